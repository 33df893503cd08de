// A TLB is direct-mapped, entry `vpn % size`, and finds a slot with a mask:
// its size must be a power of two, and anything else is refused when it is
// made, with the size in the message, not met later as two pages in one slot.
import { expect, test } from 'vitest';
import { Tlb } from '../../src/hw/tlb.ts';
import { R_RW } from '../../src/hw/rights.ts';

test('a TLB is a power of two entries, or it is not made', () => {
  for (const size of [0, -4, 3, 6, 1000]) {
    expect(() => new Tlb(size), String(size)).toThrow(`TLB size must be a power of two, got ${size}`);
  }
  for (const size of [1, 2, 16]) {
    const tlb = new Tlb(size);
    expect(tlb.mask).toBe(size - 1);
    tlb.insert(size + 1, 0x7000, R_RW, 12);
    expect(tlb.entries()).toEqual([{ vpn: size + 1, pageBase: 0x7000, rights: R_RW, pageShift: 12 }]);
  }
});
