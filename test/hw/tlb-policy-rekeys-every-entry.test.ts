// A change of control bits (here CR0.WP) keeps every translation but
// re-derives what each entry allows, from that entry's own rights: page 0's
// entry as much as any other's.
import { expect, test } from 'vitest';
import { CR0_WP } from '../../src/hw/mmu.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ, WRITE } from '../../src/hw/rights.ts';
import { machine32 } from '../support/machine.ts';

test('after CR0.WP is set, no cached read-only entry lets the supervisor write, page 0 included', () => {
  const { space, mmu } = machine32();
  // Read-only but already Dirty: with CR0.WP clear the supervisor's write hits in the TLB.
  space.map(0x0000, 0x7000, PTE_P | PTE_A | PTE_D);
  space.map(0x1000, 0x8000, PTE_P | PTE_A | PTE_D);
  space.map(0x2000, 0x9000, PTE_P | PTE_RW | PTE_A | PTE_D);
  for (const va of [0x0000, 0x1000, 0x2000]) mmu.physical(va, READ);
  expect(mmu.physical(0x0000, WRITE)).toBe(0x7000);
  expect(mmu.physical(0x1000, WRITE)).toBe(0x8000);
  expect(mmu.tlb.misses).toBe(3);
  mmu.writeCr0(mmu.cr0 | CR0_WP);
  expect(mmu.physical(0x0000, WRITE)).toBe(-1);
  expect(mmu.physical(0x1000, WRITE)).toBe(-1);
  // The translations stayed: reads still hit, and the writable page still may be written.
  expect(mmu.physical(0x2000, READ)).toBe(0x9000);
  expect(mmu.physical(0x2000, WRITE)).toBe(0x9000);
  // Only the two refused writes walked (to fault): the translations were kept.
  expect(mmu.tlb.misses).toBe(5);
});
