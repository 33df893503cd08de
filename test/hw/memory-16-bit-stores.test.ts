// write16 is a little-endian store of two bytes, bounds-checked like every
// other access: the low byte first, and nothing outside its two bytes touched.
import { expect, test } from 'vitest';
import { BusError, PhysicalMemory } from '../../src/hw/phys-memory.ts';

test('a 16-bit store writes its two bytes low byte first, and only those', () => {
  const m = new PhysicalMemory(4096);
  m.write32(0x10, 0xaabb_ccdd);
  m.write16(0x11, 0x1122);
  expect([m.read8(0x10), m.read8(0x11), m.read8(0x12), m.read8(0x13)]).toEqual([0xdd, 0x22, 0x11, 0xaa]);
  expect(m.read16(0x11)).toBe(0x1122);
  // The last two bytes of memory are the last a 16-bit store may touch.
  m.write16(4094, 0xbeef);
  expect(m.read16(4094)).toBe(0xbeef);
  expect(() => m.write16(4095, 1)).toThrow(BusError);
  expect(m.read8(4095)).toBe(0xbe);
});
