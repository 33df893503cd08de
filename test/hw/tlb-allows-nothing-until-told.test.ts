// A TLB fresh from its constructor allows no access to any entry until the MMU
// gives it a policy: an entry filled before then never hits.
import { expect, test } from 'vitest';
import { Tlb } from '../../src/hw/tlb.ts';
import { R_D, R_RW, R_US } from '../../src/hw/rights.ts';
import { READ } from '../../src/hw/rights.ts';

test('a new TLB gives an entry with rights, or with none, no hit keys', () => {
  const tlb = new Tlb(16);
  tlb.insert(3, 0x7000, R_RW | R_US | R_D, 12);
  // No rights bit at all (read-only, supervisor, clean): nothing is allowed before a policy either.
  tlb.insert(4, 0x8000, 0, 12);
  // Each row's six hit keys (both privilege levels' READ, WRITE, FETCH) are all -1.
  for (const slot of [3, 4]) expect([0, 1, 2, 4, 5, 6].map((k) => tlb.rows[slot * 8 + k])).toEqual([-1, -1, -1, -1, -1, -1]);
  expect(tlb.lookupWide(3, READ)).toBe(-1);
});
