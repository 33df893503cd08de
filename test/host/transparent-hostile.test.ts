/*
 * Hostile Guests against the transparent Host, at both paging widths (the
 * harness and what it checks are in test/support/hostile-transparent.ts).
 * The budgets are in steps, not seconds.
 */
import { describe, expect } from 'vitest';
import { claim } from '../support/claim.ts';
import { median } from '../support/hostile.ts';
import { runHostileTransparent, type TransparentHostileReport } from '../support/hostile-transparent.ts';

function summary(name: string, r: TransparentHostileReport): string {
  const reasons = [...r.reasons].sort((a, b) => b[1] - a[1]).map(([why, n]) => `${n} ${why}`).join(', ');
  return `${name}: ${r.steps} steps, ${r.kills} Guests killed (median life ${median(r.lives)} steps; ${reasons}); up to ${r.maxDirs} address spaces; ` +
    `${r.examined} shadow entries traced to the Guest's tables (${r.examinedLeaves} PTEs); ${r.compared} accesses compared with bare hardware (${r.comparedFaults} faults there, ` +
    `${r.tableStores} stores into page tables); the Host emulated ${r.emulatedWrites} stores, unshadowed ${r.unshadowed} pages, ran out of pages ${r.zapAlls} times; ${r.scans} whole-shadow scans`;
}

const STEPS = process.env['MUTATION'] ? 1500 : 4000;
const scale = STEPS / 4000;

/** What both widths must show: a hostile Guest that got somewhere, and a Host that came through. */
function expectThorough(r: TransparentHostileReport): void {
  expect(r.examinedLeaves).toBeGreaterThan(3000 * scale);
  expect(r.compared).toBeGreaterThan(10_000 * scale);
  expect(r.tableStores).toBeGreaterThan(200 * scale);
  // More address spaces than lguest has slots, each with its own directory and tables.
  expect(r.maxDirs).toBeGreaterThanOrEqual(6);
  expect(median(r.lives)).toBeGreaterThan(100);
  expect(r.unshadowed).toBeGreaterThan(0);
  expect(r.zapAlls).toBeGreaterThan(0);
}

describe('hostile Guests on the transparent Host', () => {
  claim('transparent-survives-hostile-guest', () => {
    const r = runHostileTransparent({ pae: false, steps: STEPS, seed: 77 });
    console.log(summary('hostile two-level Guest, transparent Host', r));
    expectThorough(r);
  });

  claim('transparent-survives-hostile-pae-guest', () => {
    const r = runHostileTransparent({ pae: true, steps: STEPS, seed: 78 });
    console.log(summary('hostile PAE Guest, transparent Host', r));
    expectThorough(r);
  });
});
