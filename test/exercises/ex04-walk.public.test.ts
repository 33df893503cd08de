import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machine32 } from '../support/machine.ts';
import { exercise, faultCode } from '../support/graded.ts';

const t = exercise('ex04-walk');

// The builder (src/tools/builder.ts) maps pages without Accessed or Dirty,
// so every access below walks with your walk32.
t(2, 'a mapped page translates to its frame plus the offset, through the PDE and the PTE it names', (see) => {
  const { space, mmu } = machine32();
  const pteAt = space.map(0x0804_8000, 0x0005_0000, PTE_P | PTE_RW | PTE_US);
  const steps = mmu.translate(0x0804_8123, 'read').steps;
  see.value("translate(0x08048123, 'read'): levels read", steps.map((s) => s.level), ['PDE', 'PTE']);
  see.addr("translate(0x08048123, 'read'): address of the PTE read", steps[1]?.entryAddr, pteAt);
  see.addr('mmu.physical(0x08048123, READ)', mmu.physical(0x0804_8123, READ), 0x0005_0123);
});

t(1, 'a PDE or PTE that is not present faults with P clear', (see) => {
  const { space, mmu } = machine32();
  space.map(0x0040_3000, 0x0007_0000, 0);
  see.pf('mmu.read32(0x00403abc), PTE not present', faultCode(() => mmu.read32(0x0040_3abc)), 0);
  see.pf('mmu.write32(0x08000000, 1), PDE not present', faultCode(() => mmu.write32(0x0800_0000, 1)), PF_W);
});

t(2, 'a read sets Accessed in both entries, and Dirty in neither', (see) => {
  const { space, mmu, memory } = machine32();
  const at = space.map(0x1000, 0x9000, PTE_P | PTE_RW);
  mmu.read32(0x1000);
  see.entry('the PDE after mmu.read32(0x1000)', memory.read32(space.pdeAddr(0x1000)), (at & 0xffff_f000) | PTE_P | PTE_RW | PTE_US | PTE_A);
  see.entry('the PTE after mmu.read32(0x1000)', memory.read32(at), 0x9000 | PTE_P | PTE_RW | PTE_A);
});

t(1, 'a write sets Accessed and Dirty in the PTE', (see) => {
  const { space, mmu, memory } = machine32();
  const at = space.map(0x1000, 0x9000, PTE_P | PTE_RW);
  mmu.write32(0x1000, 3);
  see.entry('the PTE after mmu.write32(0x1000, 3)', memory.read32(at), 0x9000 | PTE_P | PTE_RW | PTE_A | PTE_D);
});

t(1, 'a user read of a supervisor page faults with P|U; a user write to a read-only page with P|W|U', (see) => {
  const { space, mmu } = machine32();
  space.map(0x1000, 0x9000, PTE_P | PTE_RW);
  space.map(0x2000, 0xa000, PTE_P | PTE_US);
  mmu.setCpl(3);
  see.pf('user mmu.read32(0x1000)', faultCode(() => mmu.read32(0x1000)), PF_P | PF_U);
  see.pf('user mmu.write32(0x2000, 1)', faultCode(() => mmu.write32(0x2000, 1)), PF_P | PF_W | PF_U);
});
