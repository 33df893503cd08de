/*
 * One process's page tables and their shadow, side by side, from the running
 * system: the Guest's tree, complete, and the Host's, holding only what the
 * process has touched since its shadow was last thrown away.
 */
import { PTE_P } from '../hw/pte.ts';
import { entryBytes, userTables } from '../guest/kernel.ts';
import { GuestOs } from '../guest/os.ts';
import { LguestPlatform } from '../guest/paravirt.ts';
import { findSpte, spgdAddr } from '../host/shadow-walk.ts';
import type { FigureOutput } from './figure.ts';
import { svgDocument } from './svg.ts';

// #region X-figure-guest-and-shadow
// unwoven: draws the demand-paging chapter's two trees from a run of the real Host.
const NAMES: [number, string][] = [[6, 'D'], [5, 'A'], [2, 'US'], [1, 'RW']];
const flags = (e: number) => ['P', ...NAMES.filter(([b]) => (e >>> b) & 1).map(([, n]) => n).reverse()].join('|');
const frame = (e: number) => `0x${(e >>> 12).toString(16).padStart(5, '0')}`;

interface Line {
  vaddr: number;
  guest: number;
  shadow: number;
}

export function guestAndShadowFigure(): FigureOutput {
  const pv = new LguestPlatform(256 * 4096);
  const os = new GuestOs(pv);
  const g = pv.g;
  // Four pages in one place and two in another (a different page table), all written.
  const a = os.mmap(4);
  os.k.current.mmapNext = 0x4080_0000;
  const b = os.mmap(2);
  for (let i = 0; i < 4; i++) os.write(a + i * 4096, i);
  for (let i = 0; i < 2; i++) os.write(b + i * 4096, i);
  // A fork write-protects them all and throws the user half of the shadow away...
  os.fork();
  // ...and the process reads two of its pages again.
  os.read(a);
  os.read(b + 4096);
  const lines: Line[] = [];
  const e = entryBytes(os.k);
  for (const { table, base } of userTables(os.k, os.k.current.pgdir)) {
    for (let j = 0; j < 4096 / e; j++) {
      const gpte = pv.read32(table + j * e);
      if (!(gpte & PTE_P)) continue;
      const vaddr = base + j * 4096;
      const at = findSpte(g, g.cpuPgd, vaddr);
      lines.push({ vaddr, guest: gpte, shadow: at ? g.memory.read32(at) : 0 });
    }
  }
  const spde = (va: number) => g.memory.read32(spgdAddr(g, g.cpuPgd, va));
  const gpde = (va: number) => pv.read32(os.k.current.pgdir + (va >>> 22) * 4);
  const rowH = 24;
  const body: string[] = [
    `<text x="0" y="14" class="fig-title">address</text>`,
    `<text x="110" y="14" class="fig-title">The Guest's tables (process ${os.pid})</text>`,
    `<text x="420" y="14" class="fig-title">The Host's shadow</text>`,
  ];
  let y = 28;
  let lastPde = -1;
  const text: string[] = [];
  for (const l of lines) {
    if (l.vaddr >>> 22 !== lastPde) {
      lastPde = l.vaddr >>> 22;
      const gd = gpde(l.vaddr), sd = spde(l.vaddr);
      body.push(`<text x="0" y="${y + 15}" class="fig-axis">dir 0x${lastPde.toString(16)}</text>`);
      body.push(`<text x="110" y="${y + 15}" class="fig-axis">table at Guest frame ${frame(gd)}, ${flags(gd)}</text>`);
      body.push(`<text x="420" y="${y + 15}" class="fig-axis">${sd & PTE_P ? `table at Host frame ${frame(sd)}, ${flags(sd)}` : 'not present'}</text>`);
      text.push(`directory entry 0x${lastPde.toString(16)}: Guest table at frame ${frame(gd)} ${flags(gd)} · shadow ${sd & PTE_P ? `table at host frame ${frame(sd)} ${flags(sd)}` : 'not present'}`);
      y += rowH;
    }
    const shadow = l.shadow & PTE_P ? `Host frame ${frame(l.shadow)} ${flags(l.shadow)}` : 'not present';
    body.push(`<text x="16" y="${y + 15}" class="fig-axis">0x${l.vaddr.toString(16)}</text>`);
    body.push(`<rect x="106" y="${y + 1}" width="300" height="${rowH - 4}" rx="3" fill="none" stroke="var(--line)"/><text x="114" y="${y + 15}" class="fig-axis">frame ${frame(l.guest)} ${flags(l.guest)}</text>`);
    body.push(`<rect x="416" y="${y + 1}" width="300" height="${rowH - 4}" rx="3" fill="${l.shadow & PTE_P ? 'none' : 'var(--bg)'}" stroke="var(--line)"${l.shadow & PTE_P ? '' : ' stroke-dasharray="4 3"'}/><text x="424" y="${y + 15}" class="fig-axis">${shadow}</text>`);
    text.push(`  0x${l.vaddr.toString(16)}: Guest frame ${frame(l.guest)} ${flags(l.guest)} · shadow ${shadow}`);
    y += rowH;
  }
  const title = "One process's page tables beside the Host's shadow of them";
  return { svg: svgDocument(724, y + 6, title, body.join('')), text: text.join('\n') + '\n' };
}
// #endregion X-figure-guest-and-shadow
