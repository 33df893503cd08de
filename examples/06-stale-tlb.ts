/*
 * The trap: change a page-table entry and forget INVLPG, and the processor
 * goes on using the old translation. A shadow-paging host must never let this
 * happen behind a guest's back. Run: npx tsx examples/06-stale-tlb.ts
 */
import { CR0_PE, CR0_PG, Mmu } from '../src/hw/mmu.ts';
import { PhysicalMemory } from '../src/hw/phys-memory.ts';
import { PTE_P, PTE_RW } from '../src/hw/pte.ts';
import { Builder32, FrameAllocator } from '../src/tools/builder.ts';

const memory = new PhysicalMemory(1 << 20);
const space = new Builder32(memory, new FrameAllocator(memory, 16));
memory.write32(0x5000, 0xaaaa_aaaa);
memory.write32(0x6000, 0xbbbb_bbbb);
const pte = space.map(0x1000, 0x5000, PTE_P | PTE_RW);
const mmu = new Mmu(memory);
mmu.writeCr3(space.cr3);
mmu.writeCr0(CR0_PE | CR0_PG);

const read = (why: string) => console.log(`${why.padEnd(44)} reads 0x${mmu.read32(0x1000).toString(16)}`);
read('0x1000 mapped to frame 0x5000:');
memory.write32(pte, 0x6000 | PTE_P | PTE_RW);
read('PTE now says frame 0x6000, no INVLPG:');
mmu.invlpg(0x1000);
read('after INVLPG 0x1000:');
memory.write32(pte, 0);
read('PTE cleared (not present), no INVLPG:');
mmu.writeCr3(mmu.cr3);
try {
  mmu.read32(0x1000);
} catch (e) {
  console.log(`${'after reloading CR3:'.padEnd(44)} ${(e as Error).message}`);
}
