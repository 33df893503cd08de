import { CR4_PSE } from '../../src/hw/mmu.ts';
import { PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex05-large-page');

t(2, 'a 4 MiB page maps every offset inside it', (see) => {
  const { space, mmu } = machine32({ cr4: CR4_PSE });
  space.map4M(0x0040_0000, 0x0080_0000, PTE_P | PTE_RW);
  see.addr('mmu.physical(0x00400010, READ)', mmu.physical(0x0040_0010, READ), 0x0080_0010);
  see.addr('mmu.physical(0x007ffffc, READ)', mmu.physical(0x007f_fffc, READ), 0x00bf_fffc);
});

t(1, 'a read marks the 4 MiB PDE Accessed, a write Dirty too', (see) => {
  const { space, mmu, memory } = machine32({ cr4: CR4_PSE, mb: 16 });
  const at = space.map4M(0x0040_0000, 0x0080_0000, PTE_P | PTE_RW);
  mmu.read32(0x0040_0000);
  see.entry('the PDE after mmu.read32(0x00400000)', memory.read32(at), 0x0080_0000 | PTE_PS | PTE_P | PTE_RW | PTE_A);
  mmu.write32(0x0040_0004, 1);
  see.entry('the PDE after mmu.write32(0x00400004, 1)', memory.read32(at), 0x0080_0000 | PTE_PS | PTE_P | PTE_RW | PTE_A | PTE_D);
});
