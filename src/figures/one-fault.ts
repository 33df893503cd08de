/*
 * A figure to step through: one page fault's journey, from the running
 * system. At each thing the Host does (its trace, tagged with H: numbers),
 * the Guest's page-table entry and the shadow entry are drawn bit by bit,
 * with what the processor's TLB holds for the page.
 */
import { PTE_P } from '../hw/pte.ts';
import { ptePtr } from '../guest/kernel.ts';
import { GuestOs } from '../guest/os.ts';
import { spgdAddr, spteAddr } from '../host/shadow-walk.ts';
import { LguestPlatform } from '../guest/paravirt.ts';
import { esc, svgDocument } from './svg.ts';
import type { FigureOutput } from './figure.ts';

// #region X-figure-one-fault
// unwoven: draws the demand-paging chapter's stepping figure from a run of the real Host.
const BITS: [number, string][] = [[8, 'G'], [7, 'PS'], [6, 'D'], [5, 'A'], [4, 'PCD'], [3, 'PWT'], [2, 'US'], [1, 'RW'], [0, 'P']];

interface Step {
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

function drawStep(s: Step, n: number, total: number): string {
  const body = [
    `<text x="0" y="16" class="fig-title">Step ${n + 1} of ${total}</text>`,
    `<text x="0" y="38" class="fig-axis">${esc(s.event)}</text>`,
    entryRow(54, 'Guest PTE', s.guest),
    entryRow(90, 'Shadow PTE', s.shadow),
    `<text x="0" y="140" class="fig-axis">TLB: ${esc(s.tlb)}</text>`,
  ].join('');
  return svgDocument(584, 150, `One page fault, step ${n + 1} of ${total}: ${s.event}`, body);
}

const flags = (v: number) => (v & PTE_P ? BITS.filter(([b]) => (v >>> b) & 1).map(([, n]) => n).reverse().join('|') : '-');
const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

export function oneFaultFigure(): FigureOutput {
  const pv = new LguestPlatform(256 * 4096);
  const os = new GuestOs(pv);
  const g = pv.g;
  const buf = os.mmap(1);
  const steps: Step[] = [];
  // The Guest's own entry, walked from its current page directory; the shadow's, from ours.
  const guestPte = () => {
    const ptep = ptePtr(os.k, os.k.current.pgdir, buf, false);
    return ptep ? pv.read32(ptep) : 0;
  };
  const shadowPte = () => {
    const spgd = g.memory.read32(spgdAddr(g, g.cpuPgd, buf));
    return spgd & PTE_P ? g.memory.read32(spteAddr(g, spgd, buf)) : 0;
  };
  const tlb = () => {
    const e = g.mmu.tlb.entries().find((x) => x.vpn === buf >>> 12);
    return e ? `0x${buf.toString(16)} → ${hex(e.pageBase)}, ${e.rights & 2 ? 'writable' : 'read-only'}` : `nothing for 0x${buf.toString(16)}`;
  };
  const snap = (event: string) => steps.push({ event, guest: guestPte(), shadow: shadowPte(), tlb: tlb() });
  snap(`Guest: process ${os.pid} is about to load from 0x${buf.toString(16)}, a page it has just mapped`);
  g.trace = (h, message) => snap(`H:${String(h).padStart(3, '0')} ${message}`);
  os.read(buf);
  snap('Guest: the load is done. The shadow entry is read-only: the Guest\'s is not yet Dirty');
  os.write(buf, 7);
  g.trace = null;
  snap('Guest: the store is done, and both entries are Dirty');
  os.write(buf + 4, 8);
  snap('Guest: a second store goes straight through the shadow and the TLB, with no fault for anyone');
  const frames = steps.map((s, i) => drawStep(s, i, steps.length));
  const text = steps.map((s, i) => `${String(i + 1).padStart(2)}. ${s.event}\n    guest PTE ${hex(s.guest)} ${flags(s.guest)} · shadow PTE ${hex(s.shadow)} ${flags(s.shadow)} · TLB: ${s.tlb}`).join('\n') + '\n';
  return { svg: frames[0]!, frames, text };
}
// #endregion X-figure-one-fault
