/*
 * The fast miss path against the full walk (the scenarios and the comparison
 * are in test/support/fast-miss.ts).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CR0_PE, CR0_PG, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { Builder32, FrameAllocator } from '../../src/tools/builder.ts';
import { runs } from '../support/budget.ts';
import { claim } from '../support/claim.ts';
import { countingFullWalks, firstDifference, scenario } from '../support/fast-miss.ts';

const PAGE = 4096;

describe('the fast miss path', () => {
  test('over a window onto a larger memory (a Guest\'s slice of the Host\'s), it reads the window\'s tables', () => {
    const host = new PhysicalMemory(64 * PAGE);
    // Below the window, entries that would map the same page elsewhere: what a reader of the wrong bytes would find.
    for (let a = 0; a < 16 * PAGE; a += 4) host.write32(a, (0x3000 | PTE_P | PTE_RW | PTE_A | PTE_D) >>> 0);
    for (const fastMisses of [true, false]) {
      const window = new PhysicalMemory(32 * PAGE, host.bytes.subarray(16 * PAGE, 48 * PAGE));
      const space = new Builder32(window, new FrameAllocator(window, 1));
      space.map(0x0040_1000, 0x5000, PTE_P | PTE_RW | PTE_A | PTE_D);
      const mmu = new Mmu(window, { fastMisses });
      mmu.writeCr3(space.cr3);
      mmu.writeCr0(CR0_PE | CR0_PG);
      expect(mmu.physical(0x0040_1234, READ)).toBe(0x5234);
    }
  });

  // Agrees with the full walk on random tables, control bits and programs (400 programs).
  claim('fast-miss-equals-walk', () => {
    const walks = countingFullWalks();
    let misses = 0;
    try {
      fc.assert(fc.property(scenario, (s) => {
        const r = firstDifference(s);
        if (r.diff !== null) throw new Error(r.diff);
        misses += r.misses;
      }), { numRuns: runs(400) });
    } finally {
      walks.restore();
    }
    // A proof only if the fast path was taken: the generator must reach the
    // common case often, not only the faults and odd entries it falls back on.
    const fastMisses = misses - walks.count();
    expect(fastMisses).toBeGreaterThan(runs(1000));
    expect(fastMisses / misses).toBeGreaterThan(0.12);
  });
});
