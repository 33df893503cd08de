/*
 * The Mastery chapter's figure: what lguest's kmap_atomic costs the Host
 * against ours, as guest memory and highmem traffic grow, in counts only
 * (hidden faults, shadow pages built, whole-shadow clears), all exact and
 * the same on every machine. How long a replay takes is a benchmark's
 * business (`npm run bench`), not a figure's.
 *
 * The chapter shows the same sweeps as examples/08-highmem.ts's transcript,
 * so the figure is drawn from what that example prints: the build runs the
 * sweeps once, for the transcript's check and for the figure (the build's
 * figures.ts hands the output in), and the figure can show nothing the
 * example does not print.
 */
import { groupedBars, svgDocument, type Series } from './svg.ts';
import type { FigureOutput } from './figure.ts';

// #region X-figure-m009
// unwoven: draws the figure from the example's table, whose sweeps the Mastery chapter weaves.
/** The example the figure is drawn from. */
export const M009_EXAMPLE = 'examples/08-highmem.ts';
const W = 360, H = 230;
const LGUEST = { name: "lguest's kmap_atomic", colour: 'var(--fig-a)' };
const FIXED = { name: 'kmap_atomic named (fixed)', colour: 'var(--fig-b)' };

/** One row of the example's tables: its kmaps, and lguest's mode against the fix, each [lguest, fixed]. */
export interface M009TableRow { label: string; kmaps: number; clearAlls: [number, number]; hidden: [number, number]; shadow: [number, number] }

/**
 * The example's two tables (guest RAM, then I/O writes), read back: each row
 * is a label in 12 columns, then kmaps, clear-alls, hidden faults per M and
 * the cut, shadow pages per M (a line that starts with a space is a heading).
 * A row it cannot read is an error, not a blank figure.
 */
export function readM009Tables(printed: string): { memory: M009TableRow[]; traffic: M009TableRow[] } {
  const tables: M009TableRow[][] = [];
  let rows: M009TableRow[] | undefined;
  for (const line of printed.split('\n')) {
    if (/^(guest RAM|I\/O writes) /.test(line)) tables.push((rows = []));
    else if (!line.trim()) rows = undefined;
    else if (rows && !line.startsWith(' ')) {
      const f = line.slice(12).trim().split(/\s+/);
      const v = [f[1], f[2], f[3], f[4], f[6], f[7], f[0]].map(Number);
      if (f.length !== 8 || v.some((x) => !Number.isInteger(x))) throw new Error(`${M009_EXAMPLE} printed a row the figure cannot read: "${line}"`);
      rows.push({ label: line.slice(0, 12).trim(), kmaps: v[6]!, clearAlls: [v[0]!, v[1]!], hidden: [v[2]!, v[3]!], shadow: [v[4]!, v[5]!] });
    }
  }
  if (tables.length !== 2 || tables.some((t) => !t.length)) throw new Error(`${M009_EXAMPLE} did not print its two tables (guest RAM, I/O writes)`);
  return { memory: tables[0]!, traffic: tables[1]! };
}

/** One panel: a quantity of each row, lguest's mode against the fix. */
function panel(title: string, unit: string, rows: M009TableRow[], of: (r: M009TableRow) => [number, number]): string {
  const series: Series[] = [
    { ...LGUEST, values: rows.map((r) => of(r)[0]) },
    { ...FIXED, values: rows.map((r) => of(r)[1]) },
  ];
  const said = series.map((s) => `${s.name}: ${s.values.map((v, i) => `${rows[i]!.label} ${v}`).join(', ')}`).join('; ');
  return svgDocument(W, H, `${title} (${unit}). ${said}`, groupedBars({ x: 0, y: 0, width: W, height: H, title, unit, categories: rows.map((r) => r.label), series }));
}

/** The figure, from what examples/08-highmem.ts printed; its text form is that output. */
export function m009Figure(_root: string, printed?: string): FigureOutput {
  if (printed === undefined) throw new Error(`the M:009 figure is drawn from what ${M009_EXAMPLE} prints, and was given none`);
  const { memory, traffic } = readM009Tables(printed);
  const panels = [
    panel('Hidden faults per M accesses, by guest RAM', 'per million accesses, log scale', memory, (r) => r.hidden),
    panel('Hidden faults per M accesses, by I/O rate', 'per million accesses, log scale', traffic, (r) => r.hidden),
    panel('Shadow pages built per M accesses, by guest RAM', 'per million accesses, log scale', memory, (r) => r.shadow),
    panel('Whole-shadow clears, by I/O rate', 'clear-alls in the run, log scale', traffic, (r) => r.clearAlls),
  ];
  return { panels, legend: [LGUEST, FIXED], text: printed };
}
// #endregion X-figure-m009
