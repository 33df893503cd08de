/*
 * M:009, reproduced and fixed: four real programs (traced with valgrind)
 * replayed as Guest processes under the Host, with lguest's kmap_atomic and
 * with ours. Counts only: they are the same on every machine.
 * Run: npx tsx examples/08-highmem.ts
 */
import { join } from 'node:path';
import { loadTraces, memorySweep, perMillion, trafficSweep, type M009Row } from '../src/workload/m009.ts';

const traces = loadTraces(join(import.meta.dirname, '..'));
const ACCESSES = 1_000_000;
console.log(`${traces.map((t) => t.name.replace('.lgjt.gz', '')).join(', ')}: the first ${ACCESSES / 1e6}M accesses, 20,000 per time slice`);

function table(title: string, rows: M009Row[]): void {
  console.log(`\n${title.padEnd(12)} kmaps  clear-alls   hidden faults per M accesses`);
  console.log(`${''.padEnd(12)}               lguest    lguest     fixed     cut`);
  for (const { label, lguest, fixed } of rows) {
    const cut = fixed.hiddenFaults ? `${(lguest.hiddenFaults / fixed.hiddenFaults).toFixed(1)}x` : '-';
    console.log(`${label.padEnd(12)} ${String(lguest.kmaps).padStart(5)}  ${String(lguest.clearAlls).padStart(10)}  ${perMillion(lguest).toFixed(0).padStart(8)}  ${perMillion(fixed).toFixed(0).padStart(8)}  ${cut.padStart(7)}`);
  }
}

table('guest RAM', memorySweep(traces, ACCESSES));
table('I/O writes', trafficSweep(traces, ACCESSES));
