/*
 * A user program's address, walked twice: the first walk fills the TLB,
 * the second access hits it. Run: npx tsx examples/02-walk.ts
 */
import { CR0_PE, CR0_PG, Mmu } from '../src/hw/mmu.ts';
import { PhysicalMemory } from '../src/hw/phys-memory.ts';
import { PTE_P, PTE_RW, PTE_US } from '../src/hw/pte.ts';
import { Builder32, FrameAllocator } from '../src/tools/builder.ts';
import { hex, report } from '../src/tools/explain.ts';

const memory = new PhysicalMemory(1 << 20);
const space = new Builder32(memory, new FrameAllocator(memory, 16));
space.map(0x0804_8000, 0x9000, PTE_P | PTE_RW | PTE_US); // where a 32-bit ELF program starts
memory.write32(0x9123, 0xdead_beef);

const mmu = new Mmu(memory);
mmu.writeCr3(space.cr3);
mmu.writeCr0(CR0_PE | CR0_PG);
mmu.setCpl(3);

console.log(report(mmu.translate(0x0804_8123, 'read')));
console.log(`user read of 0x08048123: ${hex(mmu.read32(0x0804_8123))} (walks so far: ${mmu.tlb.misses})`);
console.log(`user read of 0x08048127: ${hex(mmu.read32(0x0804_8127))} (walks so far: ${mmu.tlb.misses})`);
