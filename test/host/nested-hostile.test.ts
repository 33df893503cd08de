/*
 * Hostile Guests against the nested-paging Host, at both paging widths (the
 * harness and what it checks are in test/support/hostile-nested.ts). The
 * budgets are in steps, not seconds.
 */
import { describe, expect } from 'vitest';
import { claim } from '../support/claim.ts';
import { median } from '../support/hostile.ts';
import { runHostileNested, type NestedHostileReport } from '../support/hostile-nested.ts';

function summary(name: string, r: NestedHostileReport): string {
  const reasons = [...r.reasons].sort((a, b) => b[1] - a[1]).map(([why, n]) => `${n} ${why}`).join(', ');
  return `${name}: ${r.steps} steps, ${r.kills} Guests killed (median life ${median(r.lives)} steps; ${reasons}); up to ${r.maxDirs} address spaces; ` +
    `${r.compared} accesses compared with bare hardware (${r.comparedFaults} faults there, ${r.tableStores} stores into page tables, ${r.largePages} to large pages, ${r.pagingOff} with paging off, ${r.staleHits} through stale TLB entries); ` +
    `the Host took ${r.eptViolations} EPT violations and emptied its tables ${r.zapAlls} times; ${r.scans} whole-state scans`;
}

const STEPS = process.env['MUTATION'] ? 1000 : 2000;
const scale = STEPS / 2000;

function expectThorough(r: NestedHostileReport): void {
  expect(r.compared).toBeGreaterThan(6000 * scale);
  expect(r.comparedFaults).toBeGreaterThan(1500 * scale);
  expect(r.tableStores).toBeGreaterThan(2000 * scale);
  expect(r.largePages).toBeGreaterThan(0);
  expect(r.pagingOff).toBeGreaterThan(0);
  expect(r.maxDirs).toBeGreaterThanOrEqual(6);
  // Hosts too small for the Guest's memory emptied their tables, and lived on; Guests that reached outside their memory died.
  expect(r.zapAlls).toBeGreaterThan(0);
  expect(r.reasons.get('outside its memory') ?? 0).toBeGreaterThan(0);
}

describe('hostile Guests on the nested-paging Host', () => {
  claim('nested-survives-hostile-guest', () => {
    const r = runHostileNested({ pae: false, steps: STEPS, seed: 91 });
    console.log(summary('hostile two-level Guest, nested Host', r));
    expectThorough(r);
  });

  claim('nested-survives-hostile-pae-guest', () => {
    const r = runHostileNested({ pae: true, steps: STEPS, seed: 92 });
    console.log(summary('hostile PAE Guest, nested Host', r));
    expectThorough(r);
  });
});
