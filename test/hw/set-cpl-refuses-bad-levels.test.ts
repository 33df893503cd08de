// A privilege level is 0, 1, 2 or 3. Anything else is a caller's bug, refused
// with a RangeError that names the bad value, and the level stays as it was.
import { describe, expect, test } from 'vitest';
import { machine32 } from '../support/machine.ts';

describe('setCpl', () => {
  test('takes 0 to 3', () => {
    const { mmu } = machine32();
    for (const cpl of [3, 2, 1, 0]) {
      mmu.setCpl(cpl);
      expect(mmu.cpl).toBe(cpl);
    }
  });

  for (const bad of [-1, 4, 1.5, Number.NaN]) {
    test(`refuses ${bad} with a clear error and keeps the level`, () => {
      const { mmu } = machine32();
      mmu.setCpl(3);
      expect(() => mmu.setCpl(bad)).toThrow(new RangeError(`CPL must be 0..3, got ${bad}`));
      expect(mmu.cpl).toBe(3);
    });
  }
});
