import { GeneralProtectionFault, PF_ID, PF_P, PF_RSVD, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machinePae } from '../support/machine.ts';
import { exercise, faultCode } from '../support/graded.ts';

const t = exercise('ex05-pae-walk', { hidden: true });

const raisesGp = (fn: () => void) => {
  try {
    fn();
    return false;
  } catch (e) {
    if (e instanceof GeneralProtectionFault) return true;
    throw e;
  }
};

t(1, 'the walk uses the PDPTE registers: a change in memory waits for the next CR3 write', (see) => {
  const { mmu, memory, space } = machinePae((s) => {
    s.map(0x1000, 0x9000, PTE_P | PTE_RW);
    s.map(0x4000_1000, 0xa000, PTE_P | PTE_RW);
  });
  const pdpte1 = memory.read32(space.cr3 + 8);
  memory.write32(space.cr3 + 8, 0);
  see.addr('mmu.physical(0x40001000, READ) after PDPTE 1 was cleared in memory', mmu.physical(0x4000_1000, READ), 0xa000);
  mmu.writeCr3(space.cr3);
  see.addr('mmu.physical(0x40001000, READ) after CR3 was written again', mmu.physical(0x4000_1000, READ), -1);
  memory.write32(space.cr3 + 8, pdpte1);
  see.addr('mmu.physical(0x40001000, READ) after PDPTE 1 was restored in memory, before the next CR3 write', mmu.physical(0x4000_1000, READ), -1);
});

t(1, 'a #GP at the CR3 write changes no PDPTE register; an absent PDPTE may hold anything', (see) => {
  const { mmu, memory, space } = machinePae((s) => s.map(0x1000, 0x9000, PTE_P | PTE_RW));
  const before = [...mmu.pdpteLo];
  memory.write32(space.cr3 + 24, 0x1000 | PTE_P | PTE_RW);
  memory.write32(space.cr3, 0);
  see.value('mmu.writeCr3 with PDPTE 3 P|RW raises #GP', raisesGp(() => mmu.writeCr3(space.cr3)), true);
  see.value('the PDPTE registers after it', [...mmu.pdpteLo], before);
  memory.write32(space.cr3 + 24, 0xffff_fffe);
  see.value('mmu.writeCr3 with PDPTE 3 not present but full of bits raises #GP', raisesGp(() => mmu.writeCr3(space.cr3)), false);
  see.value('the PDPTE registers after that', [...mmu.pdpteLo], [0, 0, 0, 0xffff_fffe]);
});

t(1, 'the walk sets no bit of a PDPTE, in memory or in its register', (see) => {
  const { mmu, memory, space } = machinePae((s) => s.map(0x1000, 0x9000, PTE_P | PTE_RW));
  mmu.write32(0x1000, 1);
  see.entry('PDPTE 0 in memory after a write', memory.read32(space.cr3), memory.read32(space.cr3) & 0xffff_f000 | PTE_P);
  see.entry('PDPTE register 0 after it', mmu.pdpteLo[0], memory.read32(space.cr3) & 0xffff_f000 | PTE_P);
});

t(1, 'the PDE\'s rights count: a read-only PDE makes its 2 MiB read-only, a supervisor one keeps users out', (see) => {
  const { mmu } = machinePae((s) => {
    s.map(0x0020_0000, 0x9000, PTE_P | PTE_RW | PTE_US, false, PTE_P | PTE_US);
    s.map(0x0040_0000, 0xa000, PTE_P | PTE_RW | PTE_US, false, PTE_P | PTE_RW);
  });
  see.pf('supervisor mmu.write32(0x00200000, 1), CR0.WP=1, PDE P|US', faultCode(() => mmu.write32(0x0020_0000, 1)), PF_P | PF_W);
  mmu.setCpl(3);
  see.pf('user mmu.read32(0x00400000), PDE P|RW', faultCode(() => mmu.read32(0x0040_0000)), PF_P | PF_U);
});

t(1, 'with NXE, execute-disable in the PDE forbids fetches from every page under it', (see) => {
  const { mmu, memory, space } = machinePae((s) => {
    s.map(0x1000, 0x9000, PTE_P | PTE_RW);
    s.map(0x2000, 0xa000, PTE_P | PTE_RW);
  }, { nxe: true });
  memory.write32(space.pdeAddr(0x1000) + 4, 0x8000_0000);
  mmu.writeCr3(space.cr3);
  see.pf('mmu.fetch32(0x2000), XD in the PDE', faultCode(() => mmu.fetch32(0x2000)), PF_P | PF_ID);
  see.addr('mmu.physical(0x2000, READ)', mmu.physical(0x2000, READ), 0xa000);
});

t(1, 'a 2 MiB page, at an odd 4 KiB piece', (see) => {
  const { mmu, memory, space } = machinePae((s) => s.map2M(0x4020_0000, 0x0060_0000, PTE_P | PTE_RW));
  see.addr('mmu.physical(0x40312345, READ)', mmu.physical(0x4031_2345, READ), 0x0071_2345);
  see.entry('the 2 MiB PDE\'s PS after it', memory.read32(space.pdeAddr(0x4020_0000)) & PTE_PS, PTE_PS);
});

t(1, 'a PTE with a physical-address bit above MAXPHYADDR faults with P|RSVD', (see) => {
  const { mmu, memory, space } = machinePae((s) => s.map(0x1000, 0x9000, PTE_P | PTE_RW));
  memory.write32(space.pteAddr(0x1000) + 4, 0x0000_0100);
  see.pf('mmu.read32(0x1000), PTE bit 40 set', faultCode(() => mmu.read32(0x1000)), PF_P | PF_RSVD);
});
