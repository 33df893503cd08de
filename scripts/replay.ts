/*
 * Replay traces through a Guest under each Host, and print what it cost:
 *
 *   npm run replay -- [FILE.lgjt.gz ...] [--host lguest,lguest-fixed,shadow,nested,native]
 *                     [--procs 1,4,8,16] [--quantum 20000] [--io 5000]
 *                     [--accesses N] [--window N] [--lowmem PAGES] [--pages PAGES]
 *
 * Without files, the committed traces (test/fixtures/traces). Counts only,
 * exact and the same on every machine; the last column is this machine's
 * replay rate, the simulator's speed, not any Host's.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { guestPagesFor, replayFiles, scanTrace, type FileWorkload, type TraceFile } from '../src/workload/replay-files.ts';
import type { WorkloadResult } from '../src/workload/replay.ts';
import { HOST_MODES } from '../src/workload/three-ways.ts';

/** The Hosts a reader can pick (the chapter's three, and bare hardware to compare): a world and how the Guest's kmap_atomic tells it. */
const LABELS: Record<string, string> = { native: 'bare hardware', lguest: "lguest, its kmap", 'lguest-fixed': 'lguest, kmap named', shadow: 'transparent shadow', nested: 'nested paging' };
const HOSTS = HOST_MODES;

function usage(message: string): never {
  console.error(`replay: ${message}`);
  console.error('usage: npm run replay -- [FILE.lgjt.gz ...] [--host lguest,lguest-fixed,shadow,nested,native] [--procs 1,4,8,16] [--quantum N] [--io N] [--accesses N] [--window N] [--lowmem PAGES] [--pages PAGES]');
  process.exit(2);
}

const files: string[] = [];
const opts = new Map<string, string>();
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a === '--help' || a === '-h') usage('replays traces of programs as Guest processes');
  if (a.startsWith('--')) {
    const [key, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? args[++i];
    if (value === undefined) usage(`--${key} needs a value`);
    opts.set(key, value);
  } else files.push(a);
}
for (const key of opts.keys()) if (!['host', 'procs', 'quantum', 'io', 'accesses', 'window', 'lowmem', 'pages'].includes(key)) usage(`unknown option --${key}`);
const count = (key: string, fallback?: number): number | undefined => {
  const v = opts.get(key);
  if (v === undefined) return fallback;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) usage(`--${key} wants a whole number, got "${v}"`);
  return n;
};

const root = join(import.meta.dirname, '..');
if (!files.length) {
  const dir = join(root, 'test/fixtures/traces');
  files.push(...readdirSync(dir).filter((f) => f.endsWith('.lgjt.gz')).sort().map((f) => join(dir, f)));
}
const hosts = (opts.get('host') ?? 'lguest,lguest-fixed,shadow,nested').split(',');
for (const h of hosts) if (!HOSTS[h]) usage(`unknown host "${h}" (one of ${Object.keys(HOSTS).join(', ')})`);
const procsList = opts.has('procs') ? opts.get('procs')!.split(',').map((p) => Number(p)) : [files.length];
for (const p of procsList) if (!Number.isInteger(p) || p < 1) usage(`--procs wants whole numbers from 1, got "${opts.get('procs')}"`);

let traces: TraceFile[];
try {
  traces = [];
  for (const f of files) traces.push(await scanTrace(f));
} catch (e) {
  console.error(`replay: ${(e as Error).message}`);
  process.exit(1);
}

const quantum = count('quantum', 20_000)!;
const ioEvery = count('io', 5000)!;
const accesses = count('accesses');
const window = count('window');
const lowmemPages = count('lowmem');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const names = traces.map((t) => t.name.replace(/\.lgjt\.gz$/, '')).join(', ');
const length = traces.reduce((n, t) => n + Math.min(t.length, window ?? Infinity), 0);
console.log(`${names}: ${traces.length} trace${traces.length > 1 ? 's' : ''}, ${fmt(length)} accesses${window ? ` (the first ${fmt(window)} of each)` : ''}`);
console.log(`${accesses ? `${fmt(accesses)} accesses in all, the traces looping` : 'each process plays its trace once'}; ${fmt(quantum)} accesses per time slice; ${ioEvery ? `a kernel I/O write every ${fmt(ioEvery)} accesses` : 'no kernel I/O'}; process i plays trace i mod ${traces.length}`);
console.log('');
const header = ['procs', 'host', 'accesses', 'switches', 'guest faults', 'hidden faults/M', 'of them PT writes/M', 'clear-alls', 'pages built', 'exits/M', 'TLB misses/M', 'refs/miss', 'with walk cache', 'M accesses/s'];
const widths = [5, 20, 11, 8, 12, 15, 19, 10, 11, 8, 12, 9, 15, 12];
const row = (cells: string[]) => console.log(cells.map((c, i) => (i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
row(header);
const perM = (r: WorkloadResult, n: number) => fmt((n / r.accesses) * 1e6);
for (const procs of procsList) {
  const w: FileWorkload = { traces, procs, quantum, ioEvery, accesses, window, lowmemPages, pages: count('pages') };
  for (const h of hosts) {
    const { world, kmapMode } = HOSTS[h]!;
    const label = LABELS[h]!;
    let r: WorkloadResult;
    try {
      r = await replayFiles(w, world, kmapMode);
    } catch (e) {
      console.error(`replay: ${procs} processes, ${label}: ${(e as Error).message}`);
      process.exit(1);
    }
    row([String(procs), label, fmt(r.accesses), fmt(r.contextSwitches), fmt(r.guestFaults), perM(r, r.hiddenFaults), world === 'transparent' ? perM(r, r.emulatedWrites) : '-',
      fmt(r.clearAlls), fmt(r.shadowPagesBuilt), perM(r, r.trips), perM(r, r.tlbMisses), r.refsPerMiss.toFixed(1), world === 'nested' ? r.refsPerMissCached.toFixed(1) : '-', (r.accesses / r.ms / 1000).toFixed(1)]);
  }
}
console.log(`\nGuest memory: ${fmt((lowmemPages ?? 2048) / 256)} MiB of lowmem, ${count('pages') ? `${fmt(count('pages')! / 256)} MiB in all` : `highmem for every page the processes touch (${procsList.map((p) => `${fmt(guestPagesFor({ traces, procs: p, lowmemPages }) / 256)} MiB in all at ${p}`).join(', ')})`}.`);
console.log('hidden faults: page faults the Host fixed (and, for the transparent Host, stores into page tables it emulated; for nested paging, EPT violations) that the Guest never saw;');
console.log('clear-alls: every shadow thrown away (lguest: FLUSH_TLB(1); transparent and nested: out of pages); pages built: shadow pages (nested: pages of the Host\'s tables);');
console.log('exits: every crossing into the Host; refs/miss: memory references per TLB miss (one dimension: the two levels walked; nested: counted, and with a 32-entry page-walk cache).');
console.error(`(peak memory of this process ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB)`);
