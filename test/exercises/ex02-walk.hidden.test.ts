import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { accessPolicy, READ, WRITE, FETCH, type PrivilegeState } from '../../src/hw/rights.ts';
import { WalkResult, type WalkMachine } from '../../src/hw/walk.ts';
import { walk32 } from '../../src/hw/walk-32.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex02-walk', { hidden: true });

t(1, 'a mapped page translates to its frame plus the offset', (see) => {
  const { space, mmu } = machine32();
  space.map(0x0804_8000, 0x0005_0000, PTE_P | PTE_RW | PTE_US);
  see.addr('mmu.physical(0x08048123, READ)', mmu.physical(0x0804_8123, READ), 0x0005_0123);
});

t(1, 'the last entry of a page table is found too, and the first of the next', (see) => {
  const { space, mmu } = machine32();
  space.map(0x003f_f000, 0x0009_0000, PTE_P | PTE_RW);
  space.map(0x0040_0000, 0x000a_0000, PTE_P | PTE_RW);
  see.addr('mmu.physical(0x003ffffc, READ)', mmu.physical(0x003f_fffc, READ), 0x0009_0ffc);
  see.addr('mmu.physical(0x00400004, READ)', mmu.physical(0x0040_0004, READ), 0x000a_0004);
});

t(1, 'a page table above 2 GiB of physical memory is found (addresses are unsigned)', (see) => {
  // A sparse physical memory: a walk may be handed any WalkMemory.
  const words = new Map<number, number>([[0x1000 + (0x0804_8000 >>> 22) * 4, 0xfff0_0000 | PTE_P | PTE_RW | PTE_US], [0xfff0_0000 + 0x48 * 4, 0x0005_0000 | PTE_P | PTE_RW | PTE_US]]);
  const memory = { read32: (a: number) => words.get(a) ?? 0, write32: (a: number, v: number) => void words.set(a, v >>> 0) };
  const privilege: PrivilegeState = { cpl: 0, wp: false, smep: false, smap: false, ac: false, nxe: false, reportsFetch: false };
  const m: WalkMachine = { memory, cr3: 0x1000, pse: false, pdpteLo: new Uint32Array(4), pdpteHi: new Uint32Array(4), reservedHi: 0, reservedPse36: 0, privilege, policy: [READ, WRITE, FETCH].map((k) => accessPolicy(k as 0, privilege)) };
  const out = new WalkResult();
  see.value('walk32(0x08048123, READ) succeeds', walk32(m, 0x0804_8123, READ, out), true);
  see.addr('its page base', out.pageBase, 0x0005_0000);
});
