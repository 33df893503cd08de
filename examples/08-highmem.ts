/*
 * M:009, reproduced and fixed: four real programs (traced with valgrind)
 * replayed as Guest processes under the Host, with lguest's kmap_atomic and
 * with ours. Counts only: they are the same on every machine. The chapter's
 * figure is drawn from what this prints, so the sweeps run once for both.
 * Run: npx tsx examples/08-highmem.ts
 */
import { join } from 'node:path';
import { loadTraces, memorySweep, perMillion, trafficSweep, type M009Row } from '../src/workload/m009.ts';

const traces = loadTraces(join(import.meta.dirname, '..'));
const ACCESSES = 1_000_000;
console.log(`${traces.map((t) => t.name.replace('.lgjt.gz', '')).join(', ')}: the first ${ACCESSES / 1e6}M accesses, 20,000 per time slice`);

function table(title: string, rows: M009Row[]): void {
  const n = (v: number, w: number) => v.toFixed(0).padStart(w);
  console.log(`\n${title.padEnd(12)} ${'kmaps'.padStart(5)} ${'clear-alls'.padStart(14)} ${'hidden faults per M'.padStart(23)}     ${'shadow pages per M'.padStart(18)}`);
  console.log(`${''.padEnd(18)} ${'lguest'.padStart(7)} ${'fixed'.padStart(6)} ${'lguest'.padStart(9)} ${'fixed'.padStart(7)} ${'cut'.padStart(7)} ${'lguest'.padStart(9)} ${'fixed'.padStart(8)}`);
  for (const { label, lguest, fixed } of rows) {
    const cut = fixed.hiddenFaults ? `${(lguest.hiddenFaults / fixed.hiddenFaults).toFixed(1)}x` : '-';
    console.log(`${label.padEnd(12)} ${n(lguest.kmaps, 5)} ${n(lguest.clearAlls, 7)} ${n(fixed.clearAlls, 6)} ${n(perMillion(lguest), 9)} ${n(perMillion(fixed), 7)} ${cut.padStart(7)} ${n(perMillion(lguest, lguest.shadowPagesBuilt), 9)} ${n(perMillion(fixed, fixed.shadowPagesBuilt), 8)}`);
  }
}

table('guest RAM', memorySweep(traces, ACCESSES));
table('I/O writes', trafficSweep(traces, ACCESSES));
