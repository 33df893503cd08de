/*
 * How a linear address is cut up at each paging width, computed by the
 * hardware's own split functions, with the Host helper that turns each piece
 * into an entry's address.
 */
import { split32, splitPae } from '../hw/pte.ts';
import type { FigureOutput } from './figure.ts';
import { esc, svgDocument } from './svg.ts';

// #region X-figure-address-split
// unwoven: draws the demand-paging chapter's address figure from the hardware's split functions.
/** A user stack address, near the top of the user half. */
const VADDR = 0xbfff_f123;

interface Field {
  /** Highest and lowest bit. */
  hi: number;
  lo: number;
  name: string;
  value: number;
  /** The Host's helpers for this piece: the shadow's, then the Guest's. */
  helpers: string;
}

function bar(y: number, label: string, fields: Field[]): string {
  const X = 120, PX = 22; // pixels per bit
  const parts = [`<text x="0" y="${y + 20}" class="fig-title">${esc(label)}</text>`];
  for (const f of fields) {
    const x = X + (31 - f.hi) * PX;
    const w = (f.hi - f.lo + 1) * PX;
    parts.push(`<rect x="${x}" y="${y}" width="${w - 2}" height="30" rx="3" fill="none" stroke="var(--line)"/>`);
    parts.push(`<text x="${x + w / 2}" y="${y + 13}" text-anchor="middle" class="fig-axis">${esc(f.name)}</text>`);
    parts.push(`<text x="${x + w / 2}" y="${y + 26}" text-anchor="middle" class="fig-title">0x${f.value.toString(16)}</text>`);
    parts.push(`<text x="${x + 2}" y="${y - 4}" class="fig-axis">${f.hi}</text>`);
    parts.push(`<text x="${x + w / 2}" y="${y + 46}" text-anchor="middle" class="fig-axis">${esc(f.helpers)}</text>`);
  }
  return parts.join('');
}

export function addressSplitFigure(): FigureOutput {
  const a = split32(VADDR);
  const p = splitPae(VADDR);
  const two: Field[] = [
    { hi: 31, lo: 22, name: 'directory index', value: a.pde, helpers: 'spgdAddr · gpgdAddr' },
    { hi: 21, lo: 12, name: 'table index', value: a.pte, helpers: 'spteAddr · gpteAddr' },
    { hi: 11, lo: 0, name: 'offset', value: a.offset, helpers: 'the byte in the page' },
  ];
  const pae: Field[] = [
    { hi: 31, lo: 30, name: 'PDPT', value: p.pdpte, helpers: 'spgdAddr · gpgdAddr' },
    { hi: 29, lo: 21, name: 'directory index', value: p.pde, helpers: 'spmdAddr · gpmdAddr' },
    { hi: 20, lo: 12, name: 'table index', value: p.pte, helpers: 'spteAddr · gpteAddr' },
    { hi: 11, lo: 0, name: 'offset', value: p.offset, helpers: 'the byte in the page' },
  ];
  const title = `The linear address 0x${VADDR.toString(16)}, cut up by two-level and by PAE paging`;
  const body = bar(20, 'Two levels', two) + bar(100, 'PAE', pae);
  const line = (f: Field) => `  bits ${f.hi}:${f.lo} ${f.name.padEnd(15)} 0x${f.value.toString(16).padEnd(4)} ${f.helpers}`;
  const text = [`0x${VADDR.toString(16)}, two levels (10 + 10 + 12 bits):`, ...two.map(line), 'PAE (2 + 9 + 9 + 12 bits):', ...pae.map(line)].join('\n') + '\n';
  return { svg: svgDocument(120 + 32 * 22 + 10, 170, title, body), text };
}
// #endregion X-figure-address-split
