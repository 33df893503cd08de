// A PDPTE may name a page directory above 4 GiB (its high word holds address
// bits 32 and up). The fast PAE miss reads only low words, so it must leave
// such an entry to the full walk: reading the directory at the same low
// address instead would translate through somebody else's table. Here the
// memory is 1 MiB, so the real directory is past its end and the walk's read of it
// is a bus error.
import { describe, expect, test } from 'vitest';
import { CR0_PE, CR0_PG, CR4_PAE, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;

describe('the fast PAE miss and a directory above 4 GiB', () => {
  for (const fastMisses of [true, false]) {
    test(`fastMisses ${fastMisses}: the low alias of the directory is never read as the directory`, () => {
      const memory = new PhysicalMemory(1 << 20);
      const pdpt = 0x10000, pd = 0x11000, pt = 0x12000;
      memory.write32(pdpt, pd | PTE_P);
      memory.write32(pdpt + 4, 1); // the directory is at 4 GiB + 0x11000
      // At 0x11000 itself, a table that would map page 0x1000 to 0x7000.
      memory.write32(pd, pt | PRW);
      memory.write32(pt + 8, 0x7000 | PRW);
      const mmu = new Mmu(memory, { fastMisses });
      mmu.writeCr4(CR4_PAE);
      mmu.writeCr3(pdpt);
      mmu.writeCr0(CR0_PE | CR0_PG);
      expect(mmu.pdpteHi[0]).toBe(1);
      let paddr: number | undefined;
      let error: unknown;
      try {
        paddr = mmu.physical(0x1234, READ);
      } catch (e) {
        error = e;
      }
      expect(paddr).not.toBe(0x7234);
      // The walk reads the real directory's entry, past the end of memory: a bus error that names it.
      expect(String(error)).toMatch(/BusError: .* at 0x100011000 is outside physical memory/);
    });
  }
});
