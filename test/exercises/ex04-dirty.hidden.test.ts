import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex04-dirty', { hidden: true });

t(1, 'after a read, a write through the cached entry still sets Dirty', (see) => {
  const { space, mmu, memory } = machine32();
  const at = space.map(0x1000, 0x9000, PTE_P | PTE_RW);
  mmu.read32(0x1000);
  mmu.write32(0x1004, 1);
  see.entry('the PTE after a read, then mmu.write32(0x1004, 1)', memory.read32(at), 0x9000 | PTE_P | PTE_RW | PTE_A | PTE_D);
});

t(1, 'the other flags of the entry are kept', (see) => {
  const { space, mmu, memory } = machine32({ mb: 4 });
  const at = space.map(0x0030_0000, 0x0030_0000, PTE_P | PTE_RW | PTE_US);
  mmu.setCpl(3);
  mmu.write32(0x0030_0010, 1);
  see.entry('the PTE after a user mmu.write32(0x00300010, 1)', memory.read32(at), 0x0030_0000 | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
});
