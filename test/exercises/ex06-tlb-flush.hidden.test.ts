import { CR4_PGE } from '../../src/hw/mmu.ts';
import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex06-tlb-flush', { hidden: true });

t(1, 'with nothing Global, a CR3 write under PGE empties the TLB, and the next access walks again', (see) => {
  const { space, mmu, memory } = machine32({ cr4: CR4_PGE });
  const at = space.map(0x1000, 0x8000, PTE_P | PTE_RW);
  mmu.read8(0x1000);
  memory.write32(at, 0x9000 | PTE_P | PTE_RW);
  mmu.writeCr3(space.cr3);
  see.value('TLB entries after the CR3 write', mmu.tlb.entries().length, 0);
  memory.write32(0x9000, 42);
  see.value('mmu.read32(0x1000) after the PTE moved to frame 0x9000', mmu.read32(0x1000), 42);
});
