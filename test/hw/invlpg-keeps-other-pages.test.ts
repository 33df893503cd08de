// INVLPG forgets the page holding its address, whatever its size, and no
// other: not the page that shares its slot, not a 4 KiB page beside a large
// one, not a large page's pieces for an address outside it. And it forgets
// every piece of a large page however many small entries came and went first.
import { describe, expect, test } from 'vitest';
import { CR4_PSE } from '../../src/hw/mmu.ts';
import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { cachedPages, machine32 } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW;

describe('INVLPG drops its own page and no other', () => {
  test('the page sharing its slot in the TLB stays', () => {
    const { space, mmu } = machine32({ mmu: { tlbSize: 16 } });
    space.map(0x1000, 0x7000, PRW);
    mmu.physical(0x1000, READ);
    // Page 0x11 would live in page 1's slot of a 16-entry TLB.
    mmu.invlpg(0x11000);
    expect(cachedPages(mmu)).toEqual([1]);
  });

  test('a 4 KiB page and a 4 MiB page: each INVLPG takes only its own', () => {
    const { space, mmu } = machine32({ cr4: CR4_PSE });
    space.map4M(0x0040_0000, 0x0080_0000, PRW);
    space.map(0x1000, 0x7000, PRW);
    mmu.physical(0x0040_0000, READ);
    mmu.physical(0x0060_0000, READ);
    mmu.physical(0x1000, READ);
    mmu.invlpg(0x2000); // a page not cached: nothing goes
    expect(cachedPages(mmu)).toEqual([0x1, 0x400, 0x600]);
    mmu.invlpg(0x0070_0000); // inside the large page
    expect(cachedPages(mmu)).toEqual([0x1]);
    mmu.physical(0x0040_0000, READ);
    mmu.invlpg(0x1000);
    expect(cachedPages(mmu)).toEqual([0x400]);
  });

  test('every piece of a large page goes, after small entries came and went', () => {
    const { space, mmu } = machine32({ cr4: CR4_PSE });
    space.map4M(0x0040_0000, 0x0080_0000, PRW);
    space.map(0x1000, 0x7000, PRW);
    space.map(0x2000, 0x8000, PRW);
    mmu.physical(0x0040_0000, READ);
    mmu.physical(0x0060_0000, READ);
    mmu.physical(0x1000, READ);
    mmu.physical(0x2000, READ);
    mmu.invlpg(0x1000);
    mmu.invlpg(0x2000);
    // An address of the large page whose slot holds none of its pieces.
    mmu.invlpg(0x007f_f000);
    expect(cachedPages(mmu)).toEqual([]);
  });
});
