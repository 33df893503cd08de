import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex04-dirty');

t(2, 'a read sets Accessed and not Dirty', (see) => {
  const { space, mmu, memory } = machine32();
  const at = space.map(0x1000, 0x9000, PTE_P | PTE_RW);
  mmu.read32(0x1000);
  see.entry('the PTE after mmu.read32(0x1000)', memory.read32(at), 0x9000 | PTE_P | PTE_RW | PTE_A);
});

t(1, 'a write sets both', (see) => {
  const { space, mmu, memory } = machine32();
  const at = space.map(0x1000, 0x9000, PTE_P | PTE_RW);
  mmu.write32(0x1000, 3);
  see.entry('the PTE after mmu.write32(0x1000, 3)', memory.read32(at), 0x9000 | PTE_P | PTE_RW | PTE_A | PTE_D);
});
