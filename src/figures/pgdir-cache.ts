/*
 * The Host's four shadow slots across a run of context switches, from the
 * running system: six processes take turns, and each switch either finds
 * its directory's shadow in a slot or takes a random victim.
 */
import { GuestOs } from '../guest/os.ts';
import { LguestPlatform } from '../guest/paravirt.ts';
import { PGDIR_SLOTS } from '../host/lguest.ts';
import type { FigureOutput } from './figure.ts';
import { svgDocument } from './svg.ts';

// #region X-figure-pgdir-cache
// unwoven: draws the keeping-shadows-honest chapter's slot figure from a run of the real Host.
interface Row {
  pid: number;
  outcome: string;
  /** Whose directory each slot shadows ('' when never used), and which slot runs. */
  slots: string[];
  current: number;
  hidden: number;
}

/** lguest picks victims with random(); a seed that shows hits, misses and evictions in a dozen switches. */
const SEED = 4;

export function pgdirCacheFigure(): FigureOutput {
  const pv = new LguestPlatform(512 * 4096, { seed: SEED });
  const os = new GuestOs(pv);
  const g = pv.g;
  // Six processes, each with a page of its own it touches whenever it runs.
  const buf = os.mmap(1);
  os.write(buf, 1);
  for (let i = 0; i < 5; i++) os.fork();
  const whose = (gpgdir: number) => {
    const p = [...os.k.procs.values()].find((q) => q.pgdir === gpgdir);
    return p ? `process ${p.pid}` : 'boot tables';
  };
  const rows: Row[] = [];
  const order = [2, 3, 4, 2, 5, 6, 2, 1, 3, 1, 2, 4];
  for (const pid of order) {
    const before = g.pgdirs.map((p) => p.gpgdir && p.pgdir ? p.gpgdir : 0);
    const dir = os.k.procs.get(pid)!.pgdir;
    const wasCached = before.includes(dir);
    const hidden = g.stats.hiddenFaults;
    os.switchTo(pid);
    os.read(buf);
    const evicted = before[g.cpuPgd] && before[g.cpuPgd] !== dir ? ` (${whose(before[g.cpuPgd]!)} evicted)` : before[g.cpuPgd] ? '' : ' (a blank slot)';
    rows.push({
      pid, outcome: wasCached ? 'found' : `new shadow in slot ${g.cpuPgd}${evicted}`,
      slots: g.pgdirs.map((p) => (p.pgdir ? whose(p.gpgdir) : '')), current: g.cpuPgd, hidden: g.stats.hiddenFaults - hidden,
    });
  }
  const W = 120, H = 26, X = 150;
  const body = [
    `<text x="0" y="16" class="fig-title">Switch to</text>`,
    ...Array.from({ length: PGDIR_SLOTS }, (_, s) => `<text x="${X + s * W + W / 2}" y="16" class="fig-title" text-anchor="middle">slot ${s}</text>`),
    `<text x="${X + PGDIR_SLOTS * W + 8}" y="16" class="fig-title">hidden faults</text>`,
    ...rows.map((r, i) => {
      const y = 26 + i * H;
      const cells = r.slots.map((p, s) => {
        const now = s === r.current;
        return `<rect x="${X + s * W + 2}" y="${y}" width="${W - 4}" height="${H - 4}" rx="3" fill="${now ? (r.outcome === 'found' ? 'var(--fig-b)' : 'var(--fig-a)') : 'none'}" stroke="var(--line)"/><text x="${X + s * W + W / 2}" y="${y + 16}" text-anchor="middle" class="fig-axis"${now ? ' style="fill:var(--bg)"' : ''}>${p || 'unused'}</text>`;
      }).join('');
      return `<text x="0" y="${y + 16}" class="fig-axis">process ${r.pid}: ${r.outcome === 'found' ? 'found' : 'new'}</text>${cells}<text x="${X + PGDIR_SLOTS * W + 8}" y="${y + 16}" class="fig-axis">${r.hidden}</text>`;
    }),
  ].join('');
  const title = "The Host's four shadow slots across twelve context switches";
  const text = rows.map((r) => `switch to process ${r.pid}: ${r.outcome}; slots ${r.slots.map((p, s) => `${s === r.current ? '*' : ''}${p.replace('process ', '') || '-'}`).join(' ')}; ${r.hidden} hidden fault${r.hidden === 1 ? '' : 's'}`).join('\n') + '\n';
  return { svg: svgDocument(X + PGDIR_SLOTS * W + 110, 32 + rows.length * H, title, body), text };
}
// #endregion X-figure-pgdir-cache
