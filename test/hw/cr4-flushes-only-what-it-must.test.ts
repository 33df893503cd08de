// MOV to CR4 flushes the whole TLB, globals included, when it changes PAE or
// PGE or sets SMEP (SDM 4.10.4.1), or changes PSE (our choice: it changes what
// a cached PS bit meant), and not otherwise:
// a kernel that toggles SMAP around a user copy, or clears SMEP, keeps its
// cached translations, global kernel pages and all.
import { describe, expect, test } from 'vitest';
import { CR4_PGE, CR4_SMAP, CR4_SMEP } from '../../src/hw/mmu.ts';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { cachedPages, machine32 } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;

/** 32-bit paging with PGE, a global page at 0x1000 and an ordinary one at 0x2000, both cached. */
function cached(cr4 = 0) {
  const m = machine32({ cr4: CR4_PGE | cr4 });
  m.space.map(0x1000, 0x7000, PRW | PTE_G);
  m.space.map(0x2000, 0x8000, PRW);
  m.mmu.physical(0x1000, READ);
  m.mmu.physical(0x2000, READ);
  expect(cachedPages(m.mmu)).toEqual([1, 2]);
  return m;
}

describe('which CR4 writes flush the TLB', () => {
  test('setting or clearing SMAP alone keeps every entry', () => {
    const { mmu } = cached();
    mmu.writeCr4(CR4_PGE | CR4_SMAP);
    expect(cachedPages(mmu)).toEqual([1, 2]);
    mmu.writeCr4(CR4_PGE);
    expect(cachedPages(mmu)).toEqual([1, 2]);
  });

  test('clearing SMEP keeps every entry', () => {
    const { mmu } = cached(CR4_SMEP);
    mmu.writeCr4(CR4_PGE);
    expect(cachedPages(mmu)).toEqual([1, 2]);
  });

  test('setting SMEP drops every entry, the global one too', () => {
    const { mmu } = cached();
    mmu.writeCr4(CR4_PGE | CR4_SMEP);
    expect(cachedPages(mmu)).toEqual([]);
  });
});
