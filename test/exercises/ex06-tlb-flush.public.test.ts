import { CR4_PGE } from '../../src/hw/mmu.ts';
import { PTE_G, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex06-tlb-flush');

t(2, 'with PGE, a CR3 write keeps Global entries and drops the rest', (see) => {
  const { space, mmu } = machine32({ cr4: CR4_PGE });
  space.map(0xc000_0000, 0x7000, PTE_P | PTE_RW | PTE_G);
  space.map(0x1000, 0x8000, PTE_P | PTE_RW);
  mmu.read8(0xc000_0000);
  mmu.read8(0x1000);
  mmu.writeCr3(space.cr3);
  see.value('the TLB\'s page numbers after the CR3 write', mmu.tlb.entries().map((e) => e.vpn), [0xc0000]);
});
