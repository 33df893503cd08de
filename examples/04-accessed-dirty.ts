/*
 * Accessed and Dirty, watched: the entries after a read, after a write,
 * and after a refused access. Run: npx tsx examples/04-accessed-dirty.ts
 */
import { PageFault } from '../src/hw/fault.ts';
import { CR0_PE, CR0_PG, Mmu } from '../src/hw/mmu.ts';
import { PhysicalMemory } from '../src/hw/phys-memory.ts';
import { flagNames, PTE_P, PTE_RW, PTE_US } from '../src/hw/pte.ts';
import { Builder32, FrameAllocator } from '../src/tools/builder.ts';

const memory = new PhysicalMemory(1 << 20);
const space = new Builder32(memory, new FrameAllocator(memory, 16));
space.map(0x1000, 0x5000, PTE_P | PTE_RW | PTE_US);
space.map(0x0040_0000, 0x6000, PTE_P | PTE_RW); // supervisor-only
const mmu = new Mmu(memory);
mmu.writeCr3(space.cr3);
mmu.writeCr0(CR0_PE | CR0_PG);

const show = (what: string, va: number) =>
  console.log(`${what.padEnd(34)} PDE ${flagNames(space.pde(va)).padEnd(12)} PTE ${flagNames(space.pte(va))}`);

show('0x1000, before any access:', 0x1000);
mmu.setCpl(3);
mmu.read32(0x1000);
show('after a user read:', 0x1000);
mmu.write32(0x1000, 7);
show('after a user write:', 0x1000);
try {
  mmu.read32(0x0040_0000);
} catch (e) {
  if (!(e instanceof PageFault)) throw e;
  show('0x400000, after a refused read:', 0x0040_0000);
}
console.log(`walks: ${mmu.tlb.misses} for 3 accesses`);
