import { GeneralProtectionFault } from '../../src/hw/fault.ts';
import { PF_W } from '../../src/hw/fault.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machinePae } from '../support/machine.ts';
import { exercise, faultCode } from '../support/graded.ts';

const t = exercise('ex05-pae-walk');

/** Whether `fn` raised #GP. */
const raisesGp = (fn: () => void) => {
  try {
    fn();
    return false;
  } catch (e) {
    if (e instanceof GeneralProtectionFault) return true;
    throw e;
  }
};

// Loading CR3 under PAE loads the PDPTE registers (your loadPdptes); an access
// walks from them (your walkPae) down eight-byte entries (your walk8).
t(2, 'a mapped page translates through a PDPTE, a PDE and a PTE', (see) => {
  const { mmu } = machinePae((s) => s.map(0x4080_3000, 0x0005_0000, PTE_P | PTE_RW));
  const steps = mmu.translate(0x4080_3123, 'read').steps;
  see.value("translate(0x40803123, 'read'): levels", steps.map((s) => s.level), ['PDPTE', 'PDE', 'PTE']);
  see.addr('mmu.physical(0x40803123, READ)', mmu.physical(0x4080_3123, READ), 0x0005_0123);
});

t(1, 'a PDPTE that is not present faults with P clear', (see) => {
  const { mmu } = machinePae((s) => s.map(0x4080_3000, 0x0005_0000, PTE_P | PTE_RW));
  see.pf('mmu.write32(0x80000000, 1), PDPTE 2 not present', faultCode(() => mmu.write32(0x8000_0000, 1)), PF_W);
});

t(1, 'a read marks the PDE and the PTE Accessed; a write marks the PTE Dirty', (see) => {
  const { mmu, memory, space } = machinePae((s) => s.map(0x1000, 0x9000, PTE_P | PTE_RW | PTE_US));
  mmu.read32(0x1000);
  see.entry('the PDE after mmu.read32(0x1000)', memory.read32(space.pdeAddr(0x1000)) & (PTE_A | PTE_D), PTE_A);
  see.entry('the PTE after mmu.read32(0x1000)', memory.read32(space.pteAddr(0x1000)) & (PTE_A | PTE_D), PTE_A);
  mmu.write32(0x1000, 1);
  see.entry('the PTE after mmu.write32(0x1000, 1)', memory.read32(space.pteAddr(0x1000)) & (PTE_A | PTE_D), PTE_A | PTE_D);
});

t(1, 'writing CR3 when a present PDPTE has a reserved bit raises #GP', (see) => {
  const { mmu, memory, space } = machinePae((s) => s.map(0x1000, 0x9000, PTE_P | PTE_RW));
  memory.write32(space.cr3, memory.read32(space.cr3) | PTE_RW);
  see.value('mmu.writeCr3 with PDPTE 0 P|RW raises #GP', raisesGp(() => mmu.writeCr3(space.cr3)), true);
});
