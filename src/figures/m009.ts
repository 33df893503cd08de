/*
 * The Mastery chapter's figure: hidden faults (exact, the same on every
 * machine) and replay time (measured as the site is built), lguest's kmap
 * against ours, as guest memory and highmem traffic grow.
 */
import { loadTraces, memorySweep, perMillion, trafficSweep, type M009Row } from '../workload/m009.ts';
import { groupedBars, legend, svgDocument, type Series } from './svg.ts';
import type { FigureOutput } from './figure.ts';

// #region X-figure-m009
// unwoven: draws the figure from the sweeps woven in the Mastery chapter.
const ACCESSES = 1_000_000;

export function m009Figure(root: string): FigureOutput {
  const traces = loadTraces(root);
  const memory = memorySweep(traces, ACCESSES);
  const traffic = trafficSweep(traces, ACCESSES);
  const faults = (rows: M009Row[]): Series[] => [
    { name: "lguest's kmap_atomic", colour: 'var(--fig-a)', values: rows.map((r) => Math.round(perMillion(r.lguest))) },
    { name: 'kmap_atomic named (fixed)', colour: 'var(--fig-b)', values: rows.map((r) => Math.round(perMillion(r.fixed))) },
  ];
  const time = (rows: M009Row[]): Series[] => [
    { name: "lguest's kmap_atomic", colour: 'var(--fig-a)', values: rows.map((r) => Math.round(r.lguest.ms)) },
    { name: 'kmap_atomic named (fixed)', colour: 'var(--fig-b)', values: rows.map((r) => Math.round(r.fixed.ms)) },
  ];
  const W = 360, H = 220;
  const body = [
    groupedBars({ x: 0, y: 0, width: W, height: H, title: 'Hidden faults per M accesses, by guest RAM', unit: 'per M', categories: memory.map((r) => r.label), series: faults(memory) }),
    groupedBars({ x: W + 20, y: 0, width: W, height: H, title: 'Hidden faults per M accesses, by I/O rate', unit: 'per M', categories: traffic.map((r) => r.label), series: faults(traffic) }),
    groupedBars({ x: 0, y: H + 10, width: W, height: H, title: 'Replay time, ms (at build), by guest RAM', unit: 'ms', categories: memory.map((r) => r.label), series: time(memory) }),
    groupedBars({ x: W + 20, y: H + 10, width: W, height: H, title: 'Replay time, ms (at build), by I/O rate', unit: 'ms', categories: traffic.map((r) => r.label), series: time(traffic) }),
    legend(48, 2 * H + 34, faults(memory)),
  ].join('');
  const row = (r: M009Row) => `${r.label.padEnd(12)} ${String(r.lguest.kmaps).padStart(6)} ${String(r.lguest.hiddenFaults).padStart(9)} ${String(r.fixed.hiddenFaults).padStart(9)}`;
  const head = `${'workload'.padEnd(12)} ${'kmaps'.padStart(6)} ${'lguest'.padStart(9)} ${'fixed'.padStart(9)}   (hidden faults in ${ACCESSES.toLocaleString('en-US')} accesses)`;
  const text = [head, ...memory.map(row), '', ...traffic.map(row)].join('\n') + '\n';
  return { svg: svgDocument(2 * W + 20, 2 * H + 44, 'M:009: hidden faults and replay time, lguest mode against the fix', body), text };
}
// #endregion X-figure-m009
