import { CR4_PSE } from '../../src/hw/mmu.ts';
import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
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
