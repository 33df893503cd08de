/*
 * Addresses and entries, decoded: how 32-bit and PAE paging cut a linear
 * address into indexes, and what the flag bits of an entry say.
 * Run: npx tsx examples/01-entries.ts
 */
import { PhysicalMemory } from '../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US, split32, splitPae } from '../src/hw/pte.ts';
import { entry, hex } from '../src/tools/explain.ts';

for (const va of [0x0804_8123, 0xc010_1234, 0xffff_f000]) {
  const a = split32(va);
  const b = splitPae(va);
  console.log(`${hex(va)}  32-bit: PDE ${a.pde}, PTE ${a.pte}, offset ${hex(a.offset, 3)}   PAE: PDPTE ${b.pdpte}, PDE ${b.pde}, PTE ${b.pte}`);
}

const memory = new PhysicalMemory(4096);
memory.write32(0x100, 0x0012_3000 | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
console.log(`the word at 0x100 is ${hex(memory.read32(0x100))}: ${entry(memory.read32(0x100))}`);
console.log(`its bytes, lowest address first: ${[0, 1, 2, 3].map((i) => hex(memory.read8(0x100 + i), 2)).join(' ')}`);
try {
  memory.read32(4096);
} catch (e) {
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
}
