/*
 * A figure to step through: the textbook question, "what happens for this
 * sequence of operations under shadow paging and under nested paging?",
 * answered by running it on lguest's Host, the transparent shadow-paging
 * Host and the nested-paging Host. Each step shows what the Guest did, and
 * for each Host its exits and why, the entries of its tables that changed,
 * and every memory reference its processor's TLB misses made.
 */
import { PTE_A, PTE_D, PTE_RW, PTE_US } from '../hw/pte.ts';
import { EPT_R, EPT_W, EPT_X } from '../hw/nested.ts';
import { runTextbookSequence, TEXTBOOK_HOSTS, type HostStep, type TableChange, type TextbookHost, type TextbookStep } from '../workload/textbook.ts';
import type { FigureOutput } from './figure.ts';
import { esc, svgDocument, wrap as wrapAt } from './svg.ts';

// #region X-figure-textbook-steps
// unwoven: draws the Mastery chapter's stepping figure from a run of the three Hosts (the sequence itself is woven).
const W = 360;
/** Characters of 11 px text to a line of the figure's width. */
const CHARS = 56;
const LINE = 16;
const SQUARE = 7;

export const HOST_TITLES: Record<TextbookHost, string> = {
  lguest: "lguest's Host: shadows, told by hypercalls",
  transparent: 'Transparent Host: shadows, kept by traps',
  nested: 'Nested paging: no shadows, a 2D walk',
};

const WALKED = { name: 'an entry the walk read from the tables it walks (the shadow, or the Guest\'s own under nested paging)', colour: 'var(--fig-b)' };
/** Text wrapped at words into lines of the figure's width. */
const wrap = (text: string) => wrapAt(text, CHARS);

const NESTED = { name: "an entry of the Host's nested tables (EPT), read to translate a Guest-physical address", colour: 'var(--fig-a)' };

const PTE_FLAGS: [number, string][] = [[PTE_RW, 'RW'], [PTE_US, 'US'], [PTE_A, 'A'], [PTE_D, 'D']];
const EPT_FLAGS: [number, string][] = [[EPT_R, 'R'], [EPT_W, 'W'], [EPT_X, 'X']];

/** What happened to one entry, in the flags' own names. */
export function describeChange(c: TableChange): string {
  const ept = c.table.startsWith('EPT');
  const names = ept ? EPT_FLAGS : PTE_FLAGS;
  const present = (v: number) => (ept ? (v & (EPT_R | EPT_W | EPT_X)) !== 0 : (v & 1) !== 0);
  const flags = (v: number) => names.filter(([bit]) => v & bit).map(([, n]) => n);
  const frame = (v: number) => `host frame 0x${(v >>> 12).toString(16)}`;
  const where = `${c.table} for ${c.covers}`;
  if (!present(c.before) && present(c.after)) return `${where}: made, ${frame(c.after)}, ${flags(c.after).join('|')}${ept || c.after & PTE_RW ? '' : ' (read-only)'}`;
  if (present(c.before) && !present(c.after)) return `${where}: cleared`;
  if (c.before >>> 12 !== c.after >>> 12) return `${where}: ${frame(c.before)} → ${frame(c.after)}`;
  const was = flags(c.before), now = flags(c.after);
  const gone = was.filter((f) => !now.includes(f)), got = now.filter((f) => !was.includes(f));
  return `${where}: ${[gone.length ? `${gone.join('|')} cleared` : '', got.length ? `${got.join('|')} set` : ''].filter(Boolean).join(', ')}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n === 0 ? 'no' : n} ${n === 1 ? one : many}`;

/** Exits and references from the first step to this one, on one Host. */
interface SoFar {
  exits: number;
  refs: number;
}

/** One Host's part of a step, as lines of text (the squares are drawn after them). */
function hostLines(r: HostStep): { lines: string[]; exitLines: number } {
  const lines = wrap(r.exits.length ? `${r.exits.length === 1 ? 'Exit' : 'Exits'}: ${r.exits.join(' → ')}` : 'No exit: the Host hears nothing');
  const exitLines = r.exits.length ? lines.length : 0;
  if (r.did.length) lines.push(...wrap(`The Host ${r.did.join('; ')}`));
  if (r.changes.length) for (const c of r.changes) lines.push(...wrap(describeChange(c)));
  else lines.push('No entry of its tables changes');
  lines.push(...wrap(`${plural(r.misses, 'TLB miss', 'TLB misses')}: ${plural(r.refs, 'memory reference')}${r.hostRefs ? `, ${r.hostRefs} of them in the Host's tables` : ''}`));
  return { lines, exitLines };
}

/** The line under the squares: the Host's running totals. */
const soFarLine = (t: SoFar) => `So far: ${plural(t.exits, 'exit')}, ${plural(t.refs, 'memory reference')}`;

/** The squares, one per memory reference, a gap between walks; wrapped into rows. Returns the SVG and its height. */
function squares(walks: string[], y: number): { svg: string; height: number } {
  const parts: string[] = [];
  let x = 0, row = 0;
  for (const walk of walks) {
    const width = walk.length * (SQUARE + 1);
    if (x && x + width > W) {
      x = 0;
      row++;
    }
    for (const ref of walk) {
      parts.push(`<rect x="${x}" y="${y + row * (SQUARE + 3)}" width="${SQUARE}" height="${SQUARE}" fill="${ref === 'h' ? NESTED.colour : WALKED.colour}"/>`);
      x += SQUARE + 1;
    }
    x += 5;
  }
  // With a little room under them for the line that follows.
  return { svg: parts.join(''), height: walks.length ? (row + 1) * (SQUARE + 3) + 4 : 0 };
}

function squaresHeight(walks: string[]): number {
  return squares(walks, 0).height;
}

export function textbookFigure(): FigureOutput {
  const { steps } = runTextbookSequence();
  const title = 'One sequence on three Hosts';
  // Each Host's running totals, step by step: where each pays shows as where its count climbs.
  const sofar = steps.map((_, n) => Object.fromEntries(TEXTBOOK_HOSTS.map((h) => [h, {
    exits: steps.slice(0, n + 1).reduce((t, s) => t + s.hosts[h].exits.length, 0),
    refs: steps.slice(0, n + 1).reduce((t, s) => t + s.hosts[h].refs, 0),
  }])) as Record<TextbookHost, SoFar>);
  // Each Host's band is as tall as its tallest step, so the bands stay put as the reader steps.
  const band = Object.fromEntries(TEXTBOOK_HOSTS.map((h) => [h, Math.max(...steps.map((s, n) => (2 + hostLines(s.hosts[h]).lines.length) * LINE + squaresHeight(s.hosts[h].walks)))])) as Record<TextbookHost, number>;
  const eventLines = Math.max(...steps.map((s) => wrap(s.guest).length));
  const top = 24 + eventLines * LINE;
  const height = top + TEXTBOOK_HOSTS.reduce((sum, h) => sum + band[h] + 14, 0);

  const frames = steps.map((s, n) => {
    const body = [
      `<text x="0" y="14" class="fig-title">Step ${n + 1} of ${steps.length}</text>`,
      ...wrap(s.guest).map((l, i) => `<text x="0" y="${34 + i * LINE}" class="fig-axis" style="fill:var(--fg)">${esc(l)}</text>`),
    ];
    let y = top;
    for (const h of TEXTBOOK_HOSTS) {
      const r = s.hosts[h];
      body.push(`<line x1="0" x2="${W}" y1="${y + 2}" y2="${y + 2}" class="fig-grid"/>`);
      body.push(`<text x="0" y="${y + 18}" class="fig-title">${esc(HOST_TITLES[h])}</text>`);
      const { lines, exitLines } = hostLines(r);
      // The exits in the colour of the Host's tables: each is a trip into the Host.
      lines.forEach((l, i) => body.push(`<text x="0" y="${y + 18 + (i + 1) * LINE}" class="fig-axis"${i < exitLines ? ' style="fill:var(--fig-a)"' : ''}>${esc(l)}</text>`));
      const drawn = squares(r.walks, y + 12 + (lines.length + 1) * LINE);
      body.push(drawn.svg);
      body.push(`<text x="0" y="${y + 18 + (lines.length + 1) * LINE + drawn.height}" class="fig-axis" style="fill:var(--fg)">${esc(soFarLine(sofar[n]![h]))}</text>`);
      y += band[h] + 14;
    }
    return svgDocument(W, height, `${title}, step ${n + 1} of ${steps.length}: ${s.guest}`, body.join(''));
  });
  return { frames, legend: [WALKED, NESTED], text: textOf(steps) };
}

/** The same as text: what the snapshot keeps, and what a reader who cannot see the drawing reads. */
function textOf(steps: TextbookStep[]): string {
  const out = ['Before step 1: processes 1 and 2 have each written a page at 0x40000000 (X), and each has run since;', 'process 1 runs, just switched to. Y, at 0x40001000, is mapped in process 1 and never touched.', ''];
  const total = Object.fromEntries(TEXTBOOK_HOSTS.map((h) => [h, { exits: 0, misses: 0, refs: 0 }])) as Record<TextbookHost, { exits: number; misses: number; refs: number }>;
  steps.forEach((s, n) => {
    out.push(`${String(n + 1).padStart(2)}. ${s.guest}`);
    for (const h of TEXTBOOK_HOSTS) {
      const r = s.hosts[h];
      const t = total[h];
      t.exits += r.exits.length;
      t.misses += r.misses;
      t.refs += r.refs;
      const walks = h === 'nested' && r.walks.length ? ` [${r.walks.map((w) => w.length).join(' + ')}]` : '';
      out.push(`    ${h.padEnd(12)} ${r.exits.length ? r.exits.join(' → ') : 'no exit'} · ${plural(r.misses, 'TLB miss', 'TLB misses')}, ${plural(r.refs, 'reference')}${walks}`);
      for (const d of r.did) out.push(`    ${''.padEnd(12)} the Host ${d}`);
      for (const c of r.changes) out.push(`    ${''.padEnd(12)} ${describeChange(c)}`);
    }
  });
  out.push('', 'In all:');
  for (const h of TEXTBOOK_HOSTS) out.push(`    ${h.padEnd(12)} ${plural(total[h].exits, 'exit')}, ${plural(total[h].misses, 'TLB miss', 'TLB misses')}, ${plural(total[h].refs, 'memory reference')}`);
  out.push('(Shadow paging: two references per TLB miss, a walk of the two-level shadow. Nested paging: counted, reference by reference.)');
  return `${out.join('\n')}\n`;
}
// #endregion X-figure-textbook-steps
