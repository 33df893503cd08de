/*
 * Traces of your own programs.
 *
 *   npm run trace -- record OUT.lgjt.gz [--from exe|start] [--skip N] [--max N] [--stdin FILE] [--show-output] -- CMD [ARG ...]
 *       runs CMD under valgrind's lackey and converts its log as it streams
 *   npm run trace -- convert LACKEY_LOG OUT.lgjt.gz [--from start|exe] [--skip N] [--max N]
 *       converts a log lackey already wrote (--trace-mem=yes; --from exe needs -v -v -v)
 *   npm run trace -- info FILE.lgjt.gz ...
 *       how many accesses each trace holds, and the pages and mappings it touches
 *
 * --from exe (record's default) starts at the first instruction fetched from
 * the program's own code, after the dynamic loader; --skip drops the next N
 * accesses; --max keeps a window of at most N (and stops the program there).
 * Memory stays bounded by the pages the program touches, however long it runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { StartAt } from '../src/workload/lackey.ts';
import { recordTrace, type RecordSummary } from '../src/workload/record.ts';
import { scanTrace } from '../src/workload/replay-files.ts';

const USAGE = `usage:
  npm run trace -- record OUT.lgjt.gz [--from exe|start] [--skip N] [--max N] [--stdin FILE] [--show-output] -- CMD [ARG ...]
  npm run trace -- convert LACKEY_LOG OUT.lgjt.gz [--from start|exe] [--skip N] [--max N]
  npm run trace -- info FILE.lgjt.gz ...`;

function usage(message: string): never {
  console.error(`trace: ${message}\n${USAGE}`);
  process.exit(2);
}

const fmt = (n: number) => n.toLocaleString('en-US');
const [command, ...rest] = process.argv.slice(2);
const dash = rest.indexOf('--');
const own = dash >= 0 ? rest.slice(0, dash) : rest;
const cmd = dash >= 0 ? rest.slice(dash + 1) : [];
const positional: string[] = [];
const opts = new Map<string, string>();
for (let i = 0; i < own.length; i++) {
  const a = own[i]!;
  if (a === '--show-output') opts.set('show-output', 'yes');
  else if (a.startsWith('--')) {
    const value = own[++i];
    if (value === undefined) usage(`${a} needs a value`);
    opts.set(a.slice(2), value);
  } else positional.push(a);
}
const number = (key: string, fallback: number): number => {
  const v = opts.get(key);
  if (v === undefined) return fallback;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 0) usage(`--${key} wants a whole number, got "${v}"`);
  return n;
};
const from = (fallback: StartAt): StartAt => {
  const v = opts.get('from') ?? fallback;
  if (v !== 'exe' && v !== 'start') usage(`--from is exe or start, not "${v}"`);
  return v;
};
const known = (keys: string[]) => {
  for (const k of opts.keys()) if (!keys.includes(k)) usage(`unknown option --${k} for ${command}`);
};

/** This process's peak memory, which a trace of any length should leave about where a short one does. */
const peak = () => `peak memory of this process ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`;

function report(out: string, s: RecordSummary): void {
  const left = [s.before ? `${fmt(s.before)} before the start${s.exe ? ` (the loader's, before ${s.exe} ran)` : ''}` : '', s.skipped ? `${fmt(s.skipped)} skipped` : ''].filter(Boolean);
  console.error(`${out}: ${fmt(s.accesses)} accesses over ${fmt(s.pages)} pages${left.length ? `; left out ${left.join(', ')}` : ''}${s.truncated ? '; the window was full, the rest not recorded' : ''} (${peak()})`);
}

if (command === 'record') {
  known(['from', 'skip', 'max', 'stdin', 'show-output']);
  const [out] = positional;
  if (!out || positional.length > 1) usage('record wants one output file');
  if (!cmd.length) usage('record wants the program to run after --');
  if (spawnSync('valgrind', ['--version']).error) {
    console.error('trace: needs valgrind (Debian and Ubuntu: sudo apt-get install valgrind)');
    process.exit(2);
  }
  const start = from('exe');
  const stdin = opts.get('stdin');
  if (stdin && !existsSync(stdin)) usage(`--stdin: no file ${stdin}`);
  // valgrind's log (lackey's lines) on fd 3, the program's own output wherever it goes.
  const args = ['--tool=lackey', '--trace-mem=yes', '--log-fd=3', ...(start === 'exe' ? ['-v', '-v', '-v'] : []), ...cmd];
  const child = spawn('valgrind', args, { stdio: [stdin ? openSync(stdin, 'r') : 'inherit', opts.has('show-output') ? 'inherit' : 'ignore', 'inherit', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stopped = false;
  const stop = () => {
    stopped = true;
    child.kill('SIGKILL');
  };
  let s: RecordSummary;
  try {
    s = await recordTrace(child.stdio[3] as Readable, out, { from: start, skip: number('skip', 0), max: number('max', Infinity) }, stop);
  } catch (e) {
    if (!stopped) child.kill('SIGKILL');
    console.error(`trace: ${(e as Error).message}`);
    process.exit(1);
  }
  const code = await exited;
  if (!stopped && code !== 0) console.error(`trace: note: ${cmd[0]} exited with status ${code}; the trace has what it did until then`);
  report(out, s);
} else if (command === 'convert') {
  known(['from', 'skip', 'max']);
  const [log, out] = positional;
  if (!log || !out || positional.length > 2) usage('convert wants a lackey log and an output file');
  if (!existsSync(log)) usage(`no file ${log}`);
  try {
    report(out, await recordTrace(createReadStream(log), out, { from: from('start'), skip: number('skip', 0), max: number('max', Infinity) }));
  } catch (e) {
    console.error(`trace: ${(e as Error).message}`);
    process.exit(1);
  }
} else if (command === 'info') {
  known([]);
  if (!positional.length) usage('info wants trace files');
  for (const f of positional) {
    try {
      const t = await scanTrace(f);
      const pages = t.mappings.reduce((n, m) => n + m.pages, 0);
      console.log(`${f}: ${fmt(t.length)} accesses over ${fmt(pages)} pages in ${fmt(t.mappings.length)} runs, from 0x${(t.mappings[0]?.start ?? 0).toString(16)} to 0x${t.mappings.length ? (t.mappings.at(-1)!.start + t.mappings.at(-1)!.pages * 4096).toString(16) : '0'}`);
    } catch (e) {
      console.error(`trace: ${(e as Error).message}`);
      process.exitCode = 1;
    }
  }
} else usage(command ? `unknown command "${command}"` : 'which command?');
