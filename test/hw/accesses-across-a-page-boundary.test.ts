// An access is split across two pages only when its bytes really cross
// (SDM: each page is translated and checked on its own). One that ends at a
// page's last byte touches no other page, so an unmapped next page cannot
// fault it; one that crosses takes each byte from its own page's frame.
// And a page mapped at physical frame 0 is a page like any other.
import { describe, expect, test } from 'vitest';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { faultOf, machine32 } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;

/** Page 0x1000 → frame 0x7000, page 0x2000 → frame 0x9000 (not the next frame), page 0x3000 unmapped. */
function twoPages() {
  const m = machine32();
  m.space.map(0x1000, 0x7000, PRW);
  m.space.map(0x2000, 0x9000, PRW);
  m.memory.write32(0x7ffc, 0x4433_2211);
  m.memory.write32(0x8000, 0x8877_6655); // the next frame: what a wrong unsplit access would read
  m.memory.write32(0x9000, 0xccbb_aa99);
  m.memory.write32(0x9ffc, 0x1020_3040); // the end of page 0x2000
  return m;
}

describe('accesses at the end of a page', () => {
  test('16 and 32 bits ending at a page\'s last byte never touch the unmapped page after it', () => {
    const { mmu } = twoPages();
    expect(mmu.read16(0x2ffe)).toBe(0x1020);
    expect(mmu.fetch32(0x2ffc)).toBe(0x1020_3040);
    expect(() => mmu.write16(0x2ffe, 0xbeef)).not.toThrow();
    expect(() => mmu.write32(0x2ffc, 0xdead_beef)).not.toThrow();
    expect(mmu.read16(0x2ffe)).toBe(0xdead);
    expect(mmu.read16(0x1ffe)).toBe(0x4433);
    expect(mmu.fetch32(0x1ffc)).toBe(0x4433_2211);
  });

  test('16 and 32 bits that cross take each byte from its own page\'s frame', () => {
    const { mmu, memory } = twoPages();
    expect(mmu.read16(0x1fff)).toBe(0x9944);
    expect(mmu.read32(0x1ffe)).toBe(0xaa99_4433);
    expect(mmu.fetch32(0x1ffd)).toBe(0x9944_3322);
    mmu.write16(0x1fff, 0x5a5b);
    expect(memory.read8(0x7fff)).toBe(0x5b);
    expect(memory.read8(0x9000)).toBe(0x5a);
    expect(memory.read8(0x8000)).toBe(0x55);
    mmu.write32(0x1ffe, 0x0102_0304);
    expect([memory.read8(0x7ffe), memory.read8(0x7fff), memory.read8(0x9000), memory.read8(0x9001)]).toEqual([4, 3, 2, 1]);
  });

  test('a crossing access faults at the next page\'s address when it is not mapped', () => {
    const { mmu } = twoPages();
    expect(faultOf(() => mmu.read16(0x2fff)).address).toBe(0x3000);
    expect(faultOf(() => mmu.write16(0x2fff, 1)).address).toBe(0x3000);
  });

  test('a page at physical frame 0 reads and writes like any other', () => {
    const { mmu, memory, space } = machine32();
    space.map(0x5000, 0, PRW);
    memory.write32(0, 0x1234_5678);
    expect(mmu.read8(0x5000)).toBe(0x78);
    expect(mmu.read32(0x5000)).toBe(0x1234_5678);
    mmu.write8(0x5000, 0xab);
    expect(memory.read8(0)).toBe(0xab);
  });
});
