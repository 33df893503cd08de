/*
 * The book's first example: build one page table by hand, turn paging on,
 * and watch the MMU walk it. Run it with: npx tsx examples/00-first-walk.ts
 */
import { CR0_PE, CR0_PG, Mmu } from '../src/hw/mmu.ts';
import { PhysicalMemory } from '../src/hw/phys-memory.ts';
import { PTE_P, PTE_RW } from '../src/hw/pte.ts';
import { Builder32, FrameAllocator } from '../src/tools/builder.ts';
import { hex, report } from '../src/tools/explain.ts';

const memory = new PhysicalMemory(1 << 20); // 1 MiB: 256 frames
const frames = new FrameAllocator(memory, 16); // keep the first 64 KiB for "the kernel image"
const space = new Builder32(memory, frames);

// Map the kernel's first page, 0xC0000000, to physical frame 5, read-write.
space.map(0xc000_0000, 5 * 4096, PTE_P | PTE_RW);

const mmu = new Mmu(memory);
mmu.writeCr3(space.cr3);
mmu.writeCr0(CR0_PE | CR0_PG);

mmu.write32(0xc000_0010, 0x1234_5678);
console.log(`wrote through 0xc0000010; physical 0x5010 holds ${hex(memory.read32(0x5010))}`);
console.log(report(mmu.translate(0xc000_0010, 'read')));
console.log(report(mmu.translate(0xc040_0000, 'read')));
