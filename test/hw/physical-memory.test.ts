import { describe, expect, test } from 'vitest';
import { BusError, PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { flagNames, PTE_A, PTE_P, PTE_RW, split32, splitPae } from '../../src/hw/pte.ts';
import { claim } from '../support/claim.ts';

describe('physical memory', () => {
  claim('phys-out-of-bounds', () => {
    const m = new PhysicalMemory(8192);
    expect(() => m.read32(8192)).toThrow(BusError);
    expect(() => m.read32(8190)).toThrow(/outside physical memory/);
    expect(() => m.write8(-1, 0)).toThrow(BusError);
    expect(() => m.read64(8188)).toThrow(BusError);
    // Nothing wrapped round: the first bytes are untouched.
    expect(m.read32(0)).toBe(0);
  });

  claim('phys-little-endian', () => {
    const m = new PhysicalMemory(4096);
    m.write32(0x10, 0x1122_3344);
    expect([m.read8(0x10), m.read8(0x11), m.read8(0x12), m.read8(0x13)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(m.read16(0x12)).toBe(0x1122);
    m.write64(0x20, 0x8000_0000_0000_1003n);
    expect(m.read32(0x24)).toBe(0x8000_0000);
    expect(m.read32(0x20)).toBe(0x1003);
    // All 64 bits, the middle ones too, both ways: bytes low first, and read64 gives back what was written.
    const every = 0xfedc_ba98_7654_3210n;
    m.write64(0x30, every);
    expect(Array.from({ length: 8 }, (_, i) => m.read8(0x30 + i))).toEqual([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]);
    expect(m.read64(0x30)).toBe(every);
  });

  test('a word access at an address that is no byte of memory is a BusError, not a neighbouring word', () => {
    const m = new PhysicalMemory(8192);
    m.write32(4, 0x1234_5678);
    for (const at of [4.5, -4, -0.5, NaN, 2 ** 31, 2 ** 32 + 4, 8192]) {
      expect(() => m.read32(at), String(at)).toThrow(BusError);
      expect(() => m.write32(at, 1), String(at)).toThrow(BusError);
    }
    expect(m.read32(4)).toBe(0x1234_5678);
    expect(m.read32(8188)).toBe(0);
    expect(() => m.frameWords(4096 + 4)).toThrow(RangeError);
    expect(() => m.frameWords(8192)).toThrow(BusError);
    expect(m.frameWords(0)[1]).toBe(0x1234_5678);
  });

  test('sizes must be whole frames', () => {
    expect(() => new PhysicalMemory(1000)).toThrow(RangeError);
  });
});

describe('entries and addresses', () => {
  claim('split32-fields', () => {
    expect(split32(0xc010_1234)).toEqual({ pde: 0x300, pte: 0x101, offset: 0x234 });
    expect(splitPae(0xc010_1234)).toEqual({ pdpte: 3, pde: 0, pte: 0x101, offset: 0x234 });
  });

  test('flag names read like a kernel engineer writes them', () => {
    expect(flagNames(PTE_P | PTE_RW | PTE_A)).toBe('P|RW|A');
    expect(flagNames(0, 0x8000_0000)).toBe('XD');
    expect(flagNames(0)).toBe('-');
    // Every flag bit has its name, in bit order, and each alone prints only its own.
    expect(flagNames(0x1ff, 0x8000_0000)).toBe('P|RW|US|PWT|PCD|A|D|PS|G|XD');
    const names = ['P', 'RW', 'US', 'PWT', 'PCD', 'A', 'D', 'PS', 'G'];
    names.forEach((name, bit) => expect(flagNames(1 << bit)).toBe(name));
    // The frame bits are not flags.
    expect(flagNames(0xffff_f000 | PTE_P)).toBe('P');
  });
});
