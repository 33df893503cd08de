// The fast PAE miss reads the directory entry of its own 2 MiB region, eight
// bytes per entry: with pages mapped through directory entries 1 and 4, each
// address gets its own frame, on the fast path as on the full walk.
import { describe, expect, test } from 'vitest';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machinePae } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;

describe('the fast PAE miss', () => {
  test('directory entries 1, 2 and 4 each lead to their own page', () => {
    const { mmu, memory, space } = machinePae((s) => {
      s.map(0x0020_1000, 0x7000, PRW); // directory entry 1
      s.map(0x0040_1000, 0x8000, PRW); // directory entry 2
      s.map(0x0080_1000, 0x9000, PRW); // directory entry 4
    });
    // Directory entries already Accessed, so every miss below is a common one.
    for (const va of [0x0020_1000, 0x0040_1000, 0x0080_1000]) memory.write32(space.pdeAddr(va), memory.read32(space.pdeAddr(va)) | PTE_A);
    expect(mmu.physical(0x0080_1234, READ)).toBe(0x9234);
    expect(mmu.physical(0x0040_1234, READ)).toBe(0x8234);
    expect(mmu.physical(0x0020_1234, READ)).toBe(0x7234);
  });
});
