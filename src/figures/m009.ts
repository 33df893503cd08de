/*
 * The Mastery chapter's figure: what lguest's kmap_atomic costs the Host
 * against ours, as guest memory and highmem traffic grow, in counts only
 * (hidden faults, shadow pages built, whole-shadow clears), all exact and
 * the same on every machine. How long a replay takes is a benchmark's
 * business (`npm run bench`), not a figure's.
 */
import { loadTraces, memorySweep, perMillion, trafficSweep, type M009Row } from '../workload/m009.ts';
import type { WorkloadResult } from '../workload/replay.ts';
import { groupedBars, svgDocument, type Series } from './svg.ts';
import type { FigureOutput } from './figure.ts';

// #region X-figure-m009
// unwoven: draws the figure from the sweeps woven in the Mastery chapter.
const ACCESSES = 1_000_000;
const W = 360, H = 230;
const LGUEST = { name: "lguest's kmap_atomic", colour: 'var(--fig-a)' };
const FIXED = { name: 'kmap_atomic named (fixed)', colour: 'var(--fig-b)' };

/** One panel: a quantity of each row, lguest's mode against the fix. */
function panel(title: string, unit: string, rows: M009Row[], of: (r: WorkloadResult) => number): string {
  const series: Series[] = [
    { ...LGUEST, values: rows.map((r) => Math.round(of(r.lguest))) },
    { ...FIXED, values: rows.map((r) => Math.round(of(r.fixed))) },
  ];
  const said = series.map((s) => `${s.name}: ${s.values.map((v, i) => `${rows[i]!.label} ${v}`).join(', ')}`).join('; ');
  return svgDocument(W, H, `${title} (${unit}). ${said}`, groupedBars({ x: 0, y: 0, width: W, height: H, title, unit, categories: rows.map((r) => r.label), series }));
}

export function m009Figure(root: string): FigureOutput {
  const traces = loadTraces(root);
  const memory = memorySweep(traces, ACCESSES);
  const traffic = trafficSweep(traces, ACCESSES);
  const panels = [
    panel('Hidden faults per M accesses, by guest RAM', 'per million accesses, log scale', memory, (r) => perMillion(r)),
    panel('Hidden faults per M accesses, by I/O rate', 'per million accesses, log scale', traffic, (r) => perMillion(r)),
    panel('Shadow pages built per M accesses, by guest RAM', 'per million accesses, log scale', memory, (r) => perMillion(r, r.shadowPagesBuilt)),
    panel('Whole-shadow clears, by I/O rate', 'clear-alls in the run, log scale', traffic, (r) => r.clearAlls),
  ];
  const n = (v: number, w = 8) => String(v).padStart(w);
  const row = (r: M009Row) => `${r.label.padEnd(12)} ${n(r.lguest.accesses, 9)} ${n(r.lguest.kmaps, 6)} ${n(r.lguest.clearAlls, 7)} ${n(r.fixed.clearAlls, 6)}  ${n(r.lguest.hiddenFaults)} ${n(r.fixed.hiddenFaults, 7)}  ${n(r.lguest.shadowPagesBuilt)} ${n(r.fixed.shadowPagesBuilt, 7)}`;
  const head = [
    `${''.padEnd(12)} ${''.padStart(9)} ${''.padStart(6)} ${'clear-alls'.padStart(14)}  ${'hidden faults'.padStart(16)}  ${'shadow pages'.padStart(16)}`,
    `${'workload'.padEnd(12)} ${'accesses'.padStart(9)} ${'kmaps'.padStart(6)} ${'lguest'.padStart(7)} ${'fixed'.padStart(6)}  ${'lguest'.padStart(8)} ${'fixed'.padStart(7)}  ${'lguest'.padStart(8)} ${'fixed'.padStart(7)}`,
  ];
  const text = [...head, ...memory.map(row), '', ...traffic.map(row)].join('\n') + '\n';
  return { panels, legend: [LGUEST, FIXED], text };
}
// #endregion X-figure-m009
