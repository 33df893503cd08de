/*
 * M:009 on the traced workload: lguest's kmap_atomic costs a clear-all each
 * time, hidden faults grow with guest memory and highmem traffic, and naming
 * the entry makes them go away without changing anything the Guest sees.
 */
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { loadTraces, LOWMEM_PAGES, memorySweep, perMillion, trafficSweep } from '../../src/workload/m009.ts';
import { replay } from '../../src/workload/replay.ts';
import { claim } from '../support/claim.ts';

const traces = loadTraces(join(import.meta.dirname, '../..'));
const ACCESSES = 300_000;

describe('M:009', () => {
  claim('m009-reproduced', () => {
    const memory = memorySweep(traces, ACCESSES);
    // One clear-all at LGUEST_INIT, then one per kmap_atomic.
    for (const { lguest } of memory) expect(lguest.clearAlls).toBe(lguest.kmaps + 1);
    const hidden = memory.map((r) => r.lguest.hiddenFaults);
    expect(hidden[1]!).toBeGreaterThan(hidden[0]! * 5);
    for (let i = 1; i < hidden.length; i++) expect(hidden[i]!).toBeGreaterThanOrEqual(hidden[i - 1]!);
    const traffic = trafficSweep(traces, ACCESSES).map((r) => r.lguest.hiddenFaults);
    for (let i = 1; i < traffic.length; i++) expect(traffic[i]!).toBeGreaterThan(traffic[i - 1]!);
  });

  claim('m009-fixed', () => {
    const w = { traces, pages: 2 * LOWMEM_PAGES, lowmemPages: LOWMEM_PAGES, quantum: 20_000, ioEvery: 5000, accesses: ACCESSES };
    const lguest = replay(w, 'lguest', 'set-pte');
    const fixed = replay(w, 'lguest', 'set-pte-at');
    const native = replay(w, 'native', 'set-pte-at');
    expect(lguest.hiddenFaults).toBeGreaterThanOrEqual(10 * fixed.hiddenFaults);
    expect(fixed.clearAlls).toBe(1);
    expect(fixed.kmaps).toBe(lguest.kmaps);
    // The Guest's own faults are the same in every world and mode: each one, in order.
    expect(native.faultLog.length).toBeGreaterThan(100);
    expect(fixed.faultLog).toEqual(native.faultLog);
    expect(lguest.faultLog).toEqual(native.faultLog);
  });

  // The Mastery chapter's table: every access of the four traces, as npm run bench replays them.
  claim('m009-counted', () => {
    const w = { traces, pages: 2 * LOWMEM_PAGES, lowmemPages: LOWMEM_PAGES, quantum: 20_000, ioEvery: 5000 };
    const row = (r: ReturnType<typeof replay>) => [Math.round(perMillion(r)), r.clearAlls, r.shadowPagesBuilt, Math.round(perMillion(r, r.trips))];
    const lguest = replay(w, 'lguest', 'set-pte');
    const fixed = replay(w, 'lguest', 'set-pte-at');
    expect(lguest.accesses).toBe(5_694_752);
    expect(row(lguest)).toEqual([7_112, 2_127, 11_724, 8_635]);
    expect(row(fixed)).toEqual([15, 1, 33, 1_538]);
    // Of the trips left, the hypercalls: three for each kmap (map the slot, clear it, flush the page) and one per page mapped.
    expect(fixed.kmaps).toBe(2_126);
    expect(Math.round(perMillion(fixed, fixed.hypercalls))).toBe(1_350);
  });
});
