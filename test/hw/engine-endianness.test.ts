// The aligned fast path of physical memory reads a Uint32Array, in the
// engine's byte order, so the module checks when it loads that the engine is
// little-endian, as x86 is. On every engine this runs on, the check must pass:
// a module that refused to load would take the whole machine with it.
import { expect, test, vi } from 'vitest';

test('physical memory loads on this (little-endian) engine, and its words read as x86 stores them', async () => {
  vi.resetModules();
  const { PhysicalMemory } = await import('../../src/hw/phys-memory.ts');
  const m = new PhysicalMemory(4096);
  m.write8(0, 0x78);
  m.write8(1, 0x56);
  m.write8(2, 0x34);
  m.write8(3, 0x12);
  expect(m.read32(0)).toBe(0x1234_5678);
});
