/*
 * M:009 on the traced workload: lguest's kmap_atomic costs a clear-all each
 * time, hidden faults grow with guest memory and highmem traffic, and naming
 * the entry makes them go away without changing anything the Guest sees.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { M009_EXAMPLE, readM009Tables } from '../../src/figures/m009.ts';
import { exampleOutputs } from '../../src/literate/transcripts.ts';
import { loadTraces, LOWMEM_PAGES, perMillion } from '../../src/workload/m009.ts';
import { replay, type WorkloadResult } from '../../src/workload/replay.ts';
import { procsSweep } from '../../src/workload/three-ways.ts';
import { claim } from '../support/claim.ts';

const root = join(import.meta.dirname, '../..');
const traces = loadTraces(root);
const ACCESSES = 300_000;

/**
 * Every access of the four traces, as `npm run replay` plays them: one and four processes, on bare
 * hardware and under the four Hosts of chapter 14's tables. The four-process lguest rows are also the Mastery
 * chapter's table (the Guest has as much highmem as lowmem either way), so one replay serves both.
 */
let whole: ReturnType<typeof procsSweep> | undefined;
const played = (procs: number, host: string): WorkloadResult => {
  whole ??= procsSweep(traces, [1, 4], ['native', 'lguest', 'lguest-fixed', 'shadow', 'nested']);
  return whole.find((r) => r.procs === procs && r.host === host)!.result;
};

describe('M:009', () => {
  // The chapter's own sweeps, as examples/08-highmem.ts prints them (a million accesses a row): the
  // build runs them once, for the transcript's check and the figure, and this reads that same run.
  claim('m009-reproduced', async () => {
    const printed = (await exampleOutputs(root, [M009_EXAMPLE])).get(M009_EXAMPLE)!;
    expect(printed.error).toBeUndefined();
    const { memory, traffic } = readM009Tables(printed.stdout!);
    expect(memory.map((r) => r.label)).toEqual(['8 MiB', '9 MiB', '10 MiB', '12 MiB', '16 MiB']);
    // One clear-all at LGUEST_INIT, then one per kmap_atomic.
    for (const r of memory) expect(r.clearAlls[0]).toBe(r.kmaps + 1);
    const hidden = memory.map((r) => r.hidden[0]);
    for (let i = 1; i < hidden.length; i++) expect(hidden[i]!).toBeGreaterThanOrEqual(hidden[i - 1]!);
    // The chapter's words: about 700 with no highmem, ninefold with 1 MiB of it, seventeen times with room for the programs.
    expect(hidden[0]!).toBeGreaterThan(650);
    expect(hidden[0]!).toBeLessThan(750);
    expect(Math.round(hidden[1]! / hidden[0]!)).toBe(9);
    expect(Math.round(hidden.at(-1)! / hidden[0]!)).toBe(17);
    expect(traffic.length).toBe(4);
    const io = traffic.map((r) => r.hidden[0]);
    for (let i = 1; i < io.length; i++) expect(io[i]!).toBeGreaterThan(io[i - 1]!);
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
    const row = (r: WorkloadResult) => [Math.round(perMillion(r)), r.clearAlls, r.shadowPagesBuilt, Math.round(perMillion(r, r.trips))];
    const lguest = played(4, 'lguest');
    const fixed = played(4, 'lguest-fixed');
    expect(lguest.accesses).toBe(5_694_752);
    expect(row(lguest)).toEqual([7_112, 2_127, 11_724, 8_635]);
    expect(row(fixed)).toEqual([15, 1, 33, 1_538]);
    // Of the trips left, the hypercalls: three for each kmap (map the slot, clear it, flush the page) and one per page mapped.
    expect(fixed.kmaps).toBe(2_126);
    expect(Math.round(perMillion(fixed, fixed.hypercalls))).toBe(1_350);
    // The table above the claim says the same, cell for cell.
    const chapter = readFileSync(join(root, 'chapters/12-mastery-highmem.md'), 'utf8');
    const cells = (label: string) => chapter.split('\n').find((l) => l.startsWith(`| ${label} |`))?.split('|').slice(2, -1).map((c) => c.trim());
    const n = (x: number) => x.toLocaleString('en-US');
    expect(cells("Host, lguest's `kmap_atomic`")).toEqual(row(lguest).map(n));
    expect(cells('Host, `kmap_atomic` named')).toEqual(row(fixed).map(n));
    // "about 470-fold", "more than fivefold".
    expect(Math.round(lguest.hiddenFaults / fixed.hiddenFaults / 10) * 10).toBe(470);
    expect(lguest.trips / fixed.trips).toBeGreaterThan(5);
    expect(lguest.trips / fixed.trips).toBeLessThan(6);
  });

  // Chapter 14's two tables, read from the chapter: every cell of their rows for one and four processes.
  // (Their rows for 8 and 16 replay 100 million accesses, too many for the tests; the chapter says so.)
  test('chapter 14\'s replay tables, one and four processes, cell for cell', () => {
    const HOSTS: Record<string, string> = {
      'bare hardware': 'native', 'lguest, its kmap': 'lguest', 'lguest, kmap named': 'lguest-fixed', transparent: 'shadow', 'transparent shadow': 'shadow', 'nested paging': 'nested',
    };
    const text = readFileSync(join(root, 'chapters/14-three-ways.md'), 'utf8');
    /** The rows of the table whose header starts `head`, for one and four processes, as [procs, label, cells]. */
    const table = (head: string): [number, string, string[]][] => {
      const at = text.indexOf(head);
      expect(at, head).toBeGreaterThan(0);
      const lines = text.slice(at).split('\n');
      const body = lines.slice(2, lines.findIndex((l) => !l.startsWith('|')));
      return body.map((l) => l.split('|').slice(1, -1).map((c) => c.trim()))
        .filter(([p]) => p === '1' || p === '4').map(([p, label, ...cells]) => [Number(p), label!, cells]);
    };
    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const trips = table('| processes | Host | hidden faults per M | of them');
    const three = table('| processes | Host | hidden faults per M | exits per M');
    expect(trips.map(([p, l]) => `${p} ${l}`)).toEqual(['1', '4'].flatMap((p) => ['lguest, its kmap', 'lguest, kmap named', 'transparent'].map((l) => `${p} ${l}`)));
    expect(three.map(([p, l]) => `${p} ${l}`)).toEqual(['1', '4'].flatMap((p) => ['bare hardware', 'lguest, its kmap', 'lguest, kmap named', 'transparent shadow', 'nested paging'].map((l) => `${p} ${l}`)));
    for (const [procs, label, cells] of trips) {
      const host = HOSTS[label]!, r = played(procs, host);
      expect(cells, `${procs} ${label}`).toEqual([n(perMillion(r)), host === 'shadow' ? n(perMillion(r, r.emulatedWrites)) : '-', n(r.clearAlls), n(r.shadowPagesBuilt), n(perMillion(r, r.trips))]);
    }
    for (const [procs, label, cells] of three) {
      const host = HOSTS[label]!, r = played(procs, host);
      const refs = host === 'nested' ? `${r.refsPerMiss.toFixed(1)} (${r.refsPerMissCached.toFixed(1)})` : String(Number(r.refsPerMiss.toFixed(1)));
      expect(cells, `${procs} ${label}`).toEqual([n(perMillion(r)), n(perMillion(r, r.trips)), n(perMillion(r, r.tlbMisses)), refs, n(r.shadowPagesBuilt)]);
    }
  });
});
