// With nested paging on, a Guest outside IA-32e mode still has 32-bit linear
// addresses: a larger one is a caller's bug, refused with a RangeError that
// says so, never walked through the Host's tables as a Guest-physical
// address above 4 GiB.
import { describe, expect, test } from 'vitest';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { READ } from '../../src/hw/rights.ts';
import { nestedMachine } from '../support/nested.ts';

describe('nested paging, Guest paging off', () => {
  test('an address beyond 32 bits is refused with a clear error', () => {
    const guest = new PhysicalMemory(16 * 4096);
    guest.write32(0x1234, 0x5566_7788);
    const { mmu } = nestedMachine(guest);
    expect(mmu.read32(0x1234)).toBe(0x5566_7788);
    const high = 2 ** 32 + 0x1234;
    expect(() => mmu.physical(high, READ)).toThrow(new RangeError(`linear address ${high} is not a 32-bit unsigned number`));
  });
});
