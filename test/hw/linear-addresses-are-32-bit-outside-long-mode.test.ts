// Outside IA-32e mode a linear address is a 32-bit unsigned number. A larger
// one (or a negative, or a fraction) is a caller's bug, refused with a
// RangeError that says so, whether the page is cached or not, in 32-bit and
// PAE paging, with the fast miss path or without: never quietly translated
// as if its high bits were not there.
import { describe, expect, test } from 'vitest';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { Mmu, CR0_PE, CR0_PG, CR4_PAE } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { Builder32, BuilderPae, FrameAllocator } from '../../src/tools/builder.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;

function machine(pae: boolean, fastMisses: boolean): Mmu {
  const memory = new PhysicalMemory(1 << 20);
  const frames = new FrameAllocator(memory, 16);
  const space = pae ? new BuilderPae(memory, frames) : new Builder32(memory, frames);
  space.map(0x1000, 0x7000, PRW);
  // Directory entries already Accessed, so the fast path would take these pages.
  const pde = space.pdeAddr(0x1000);
  memory.write32(pde, memory.read32(pde) | PTE_A);
  const mmu = new Mmu(memory, { fastMisses });
  if (pae) mmu.writeCr4(CR4_PAE);
  mmu.writeCr3(space.cr3);
  mmu.writeCr0(CR0_PE | CR0_PG);
  return mmu;
}

describe('a linear address beyond 32 bits outside IA-32e mode', () => {
  for (const pae of [false, true]) {
    for (const fastMisses of [true, false]) {
      const name = `${pae ? 'PAE' : '32-bit'}, fastMisses ${fastMisses}`;
      test(`${name}: refused on a miss and on a hit, with a clear error`, () => {
        const mmu = machine(pae, fastMisses);
        const high = 2 ** 32 + 0x1234;
        expect(() => mmu.physical(high, READ)).toThrow(new RangeError(`linear address ${high} is not a 32-bit unsigned number`));
        expect(mmu.physical(0x1234, READ)).toBe(0x7234); // now cached
        expect(() => mmu.physical(high, READ)).toThrow(RangeError);
        expect(() => mmu.physical(0x1234 + 0.5, READ)).toThrow(RangeError);
      });
    }
  }
});
