/*
 * Drawing one page's entries, step by step: the Guest's page-table entry and
 * the shadow's, bit by bit, with what the processor's TLB holds for the page.
 * The stepping figures of the Host chapters are made of these.
 */
import { PTE_P } from '../hw/pte.ts';
import type { FigureOutput } from './figure.ts';
import { esc, svgDocument, wrap } from './svg.ts';

// #region X-figure-entry-steps
// unwoven: drawing helpers for the stepping figures, not part of the system the book builds.
const BITS: [number, string][] = [[8, 'G'], [7, 'PS'], [6, 'D'], [5, 'A'], [4, 'PCD'], [3, 'PWT'], [2, 'US'], [1, 'RW'], [0, 'P']];

/** One moment: what happened, and the two entries and the TLB just after it. */
export interface EntryStep {
  event: string;
  guest: number;
  shadow: number;
  tlb: string;
}

/** One row of an entry: its frame, then a cell per flag bit, lit when set. */
function entryRow(y: number, label: string, value: number): string {
  const cells = BITS.map(([bit, name], i) => {
    const on = (value >>> bit) & 1;
    return `<rect x="${184 + i * 44}" y="${y}" width="40" height="26" rx="3" fill="${on ? 'var(--fig-b)' : 'none'}" stroke="var(--line)"/><text x="${204 + i * 44}" y="${y + 17}" text-anchor="middle" class="fig-axis"${on ? ' style="fill:var(--bg)"' : ''}>${name}</text>`;
  }).join('');
  const frame = value & PTE_P ? `frame 0x${(value >>> 12).toString(16).padStart(5, '0')}` : 'not present';
  return `<text x="0" y="${y + 17}" class="fig-title">${esc(label)}</text><text x="92" y="${y + 17}" class="fig-axis">${frame}</text>${cells}`;
}

function drawStep(title: string, s: EntryStep, n: number, total: number): string {
  const event = wrap(s.event, 92);
  const top = 38 + (event.length - 1) * 16;
  const body = [
    `<text x="0" y="16" class="fig-title">Step ${n + 1} of ${total}</text>`,
    ...event.map((l, i) => `<text x="0" y="${38 + i * 16}" class="fig-axis">${esc(l)}</text>`),
    entryRow(top + 16, 'Guest PTE', s.guest),
    entryRow(top + 52, 'Shadow PTE', s.shadow),
    `<text x="0" y="${top + 102}" class="fig-axis">TLB: ${esc(s.tlb)}</text>`,
  ].join('');
  return svgDocument(584, top + 112, `${title}, step ${n + 1} of ${total}: ${s.event}`, body);
}

const flags = (v: number) => (v & PTE_P ? BITS.filter(([b]) => (v >>> b) & 1).map(([, n]) => n).reverse().join('|') : '-');
export const hex8 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** The figure: a frame per step, and the same as text. */
export function drawEntrySteps(title: string, steps: EntryStep[]): FigureOutput {
  const frames = steps.map((s, i) => drawStep(title, s, i, steps.length));
  const text = steps.map((s, i) => `${String(i + 1).padStart(2)}. ${s.event}\n    guest PTE ${hex8(s.guest)} ${flags(s.guest)} · shadow PTE ${hex8(s.shadow)} ${flags(s.shadow)} · TLB: ${s.tlb}`).join('\n') + '\n';
  return { frames, text };
}
// #endregion X-figure-entry-steps
