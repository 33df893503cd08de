import { CR4_PSE } from '../../src/hw/mmu.ts';
import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex05-large-page', { hidden: true });

t(1, 'a large page in the middle of memory, at an odd 4 KiB piece', (see) => {
  const { space, mmu } = machine32({ cr4: CR4_PSE });
  space.map4M(0xc000_0000, 0x0040_0000, PTE_P | PTE_RW);
  see.addr('mmu.physical(0xc0123456, READ)', mmu.physical(0xc012_3456, READ), 0x0052_3456);
});
