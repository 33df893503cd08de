import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { accessPolicy, permits, R_RW, R_US, READ, WRITE, type PrivilegeState } from '../../src/hw/rights.ts';
import { machine32 } from '../support/machine.ts';
import { exercise, faultCode } from '../support/graded.ts';

const t = exercise('ex03-rights', { hidden: true });
const state = (s: Partial<PrivilegeState>): PrivilegeState => ({ cpl: 0, wp: false, smep: false, smap: false, ac: false, nxe: false, reportsFetch: false, ...s });

t(1, 'a user may read and write its own writable page, but not write a read-only one', (see) => {
  const { space, mmu, memory } = machine32();
  space.map(0x1000, 0x9000, PTE_P | PTE_RW | PTE_US);
  space.map(0x2000, 0xa000, PTE_P | PTE_US);
  memory.write32(0xa000, 77);
  mmu.setCpl(3);
  mmu.write32(0x1000, 5);
  see.value('user mmu.read32(0x1000) after writing 5', mmu.read32(0x1000), 5);
  see.value('user mmu.read32(0x2000)', mmu.read32(0x2000), 77);
  see.pf('user mmu.write32(0x2000, 1)', faultCode(() => mmu.write32(0x2000, 1)), PF_P | PF_W | PF_U);
});

t(1, 'without CR0.WP a supervisor may write anything; SMAP forbids user pages', (see) => {
  const sup = state({});
  see.value('permits(0, supervisor write, no WP)', permits(0, accessPolicy(WRITE, sup)), true);
  see.value('permits(R_RW, supervisor write, WP)', permits(R_RW, accessPolicy(WRITE, state({ wp: true }))), true);
  see.value('permits(R_US|R_RW, supervisor read, SMAP)', permits(R_US | R_RW, accessPolicy(READ, state({ smap: true }))), false);
  see.value('permits(R_US|R_RW, supervisor read, SMAP with AC)', permits(R_US | R_RW, accessPolicy(READ, state({ smap: true, ac: true }))), true);
});
