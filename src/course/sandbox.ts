/*
 * The grading sandbox, from the outside: a folder holding one test bundle
 * and the boot code, and a Node process that may read that folder and
 * nothing else (no writes, no processes, no workers), with a V8 heap cap, an
 * address-space cap (prlimit) and an RSS watch, a CPU-time budget per test,
 * and, when the grader runs as root, the user `nobody`. The process reports
 * what each test's code returned; this side keeps the clock, kills the
 * process when it overruns, and says why. Every budget is CPU time, read
 * from /proc, so a loaded machine slows a test down without failing it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { SandboxOrders, SandboxReport, Seen, ThrownInfo } from './sandbox-child.ts';

// #region X-sandbox
// unwoven: course tooling; the README's course section describes the sandbox.

export interface SandboxLimits {
  /** CPU time one test may use, in ms. */
  cpuMs: number;
  /** CPU time for starting Node and loading the bundle, in ms. */
  loadCpuMs: number;
  /** The V8 heap cap, in MiB; the address-space and RSS caps allow this much and a margin over an idle Node. */
  memoryMb: number;
  /**
   * How long the process may sleep without computing (Atomics.wait, a timer
   * that never fires), in ms of wall-clock time. A busy machine makes a
   * process wait to run, not sleep, so load does not count here.
   */
  idleMs: number;
  /** Wall-clock backstop for everything else, far above any honest test's time on a loaded machine. */
  wallMs: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { cpuMs: 5000, loadCpuMs: 10_000, memoryMb: 512, idleMs: 3000, wallMs: 300_000 };

/** Why the grader stopped a sandbox. */
export type StopReason = 'cpu' | 'memory' | 'wall' | 'crash' | 'output';

export interface TestRecord {
  seen: Seen[];
  error?: ThrownInfo;
  /** CPU time the test used, as this side measured it (ms, in 10 ms ticks; 0 without /proc). */
  cpuMs?: number;
}

export interface SandboxRun {
  loaded?: { exercise: string; name: string; hidden: boolean; points: number }[];
  loadError?: ThrownInfo;
  records: Map<number, TestRecord>;
  /** The sandbox was stopped during test `at` (null: while loading), and why. */
  stopped?: { at: number | null; why: StopReason; detail: string };
}

/**
 * The files a sandbox gets: the boot code and its test bundles, run one after
 * another in the one process. A student's answer is always a bundle alone;
 * several share a process only when all are the course's own code (the
 * reference, the stubs), where one cannot harm another and a second Node
 * start would only cost processor time.
 */
export interface SandboxFiles {
  boot: string;
  bundles: string[];
}

/**
 * Over an idle Node's address space, honest tests reserve up to ~250 MiB
 * beyond their heap (code, thread stacks, heap reservations), but touch
 * little of it: the address-space cap leaves room for that, the RSS cap
 * stops a hog much sooner, long before a CPU budget runs out.
 */
const VM_MARGIN_MB = 512;
const RSS_MARGIN_MB = 128;
const MAX_REPORT_BYTES = 16 << 20;

/** A program's path, if this machine has it on PATH. */
const which = (name: string) => (process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, name)).find((p) => existsSync(p));
const prlimit = which('prlimit');
const proc = existsSync('/proc/self/stat');
const asRoot = process.getuid?.() === 0;

/**
 * How the sandbox is cut off from the network and other users, found once:
 * util-linux's unshare puts it in a network namespace of its own (no
 * interface but a loopback that is down); as root it also becomes nobody.
 * Where namespaces are not allowed (many containers), the network stays.
 */
let isolationPrefix: { argv: string[]; net: boolean; nobody: boolean } | null = null;
function isolation(): { argv: string[]; net: boolean; nobody: boolean } {
  if (isolationPrefix) return isolationPrefix;
  const unshare = which('unshare');
  const works = (argv: string[]) => spawnSync(argv[0]!, [...argv.slice(1), process.execPath, '-e', '0'], { stdio: 'ignore', env: {} }).status === 0;
  const tries: { argv: string[]; net: boolean; nobody: boolean }[] = unshare
    ? [
        ...(asRoot ? [{ argv: [unshare, '--net', '--setuid', '65534', '--setgid', '65534', '--'], net: true, nobody: true }] : []),
        { argv: [unshare, '--map-root-user', '--net', '--'], net: true, nobody: false },
      ]
    : [];
  isolationPrefix = tries.find((t) => works(t.argv)) ?? { argv: [], net: false, nobody: false };
  return isolationPrefix;
}

/** Is the sandbox's network cut on this machine? (If not, the grader runs one sandbox at a time.) */
export function networkCut(): boolean {
  return isolation().net;
}

/** What an idle Node reserves (VmSize), in MiB: the address-space cap starts from here. */
const idleVm = new Map<number, number>();
function idleVmMb(memoryMb: number): number {
  if (!idleVm.has(memoryMb)) {
    const r = spawnSync(process.execPath, [`--max-old-space-size=${memoryMb}`, '-e', "process.stdout.write(require('fs').readFileSync('/proc/self/status', 'utf8'))"], { encoding: 'utf8', env: {} });
    const kb = Number(/VmSize:\s+(\d+)/.exec(r.stdout ?? '')?.[1] ?? 0);
    idleVm.set(memoryMb, kb ? Math.ceil(kb / 1024) : 0);
  }
  return idleVm.get(memoryMb)!;
}

/** How the sandbox is confined on this machine, in words (for the README and reports). */
export function confinement(): string[] {
  const iso = isolation();
  return [
    'Node permission model: read its own folder only; no writes, child processes, workers or addons',
    prlimit ? 'address-space cap (prlimit --as) and whole-run CPU cap (prlimit --cpu)' : 'no prlimit here: no address-space cap (the heap cap and the RSS watch remain)',
    proc ? 'CPU-time budget per test and RSS watch, read from /proc' : 'no /proc here: per-test budgets are wall-clock time',
    iso.net ? 'no network (a network namespace of its own)' : 'network NOT cut (no namespaces here): one sandbox at a time',
    asRoot ? 'runs as nobody (uid 65534)' : 'runs as the grader\'s user, with process.kill and the debugger hooks taken away',
  ];
}

/** CPU time (ms), RSS (MiB) and scheduler state (R running or runnable, S asleep, …) of process `pid`, or null once it is gone. */
function usage(pid: number): { cpuMs: number; userMs: number; rssMb: number; state: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces; fields are counted after its closing parenthesis.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are in clock ticks, which Linux fixes at 100 a second for user space.
    const ticks = Number(f[11]) + Number(f[12]);
    // rss (field 24, in pages) is here too: one read a tick, not two.
    const rssPages = Number(f[21]);
    return { cpuMs: ticks * 10, userMs: Number(f[11]) * 10, rssMb: (rssPages * 4096) / (1 << 20), state: f[0] ?? '?' };
  } catch {
    return null;
  }
}

const MEMORY_WORDS = /out of memory|Allocation failed|Failed to reserve|Fatal process OOM|Cannot allocate memory|heap limit/i;

/**
 * Run the tests of `files.bundles` in a fresh sandbox, one bundle after
 * another, skipping `skip[b]` of bundle b. Resolves once the process is dead,
 * with what it reported for each bundle and why it stopped if it did not
 * finish: a stop ends the process, so the bundles after the one stopped
 * report nothing (neither loaded nor stopped) and must be run again.
 */
export function runSandbox(files: SandboxFiles, skip: number[][], limits: SandboxLimits): Promise<SandboxRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lgj-sandbox-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'boot.mjs'), files.boot, { mode: 0o644 });
  const names = files.bundles.map((_, b) => (b ? `test-${b}.mjs` : 'test.mjs'));
  files.bundles.forEach((code, b) => writeFileSync(join(dir, names[b]!), code, { mode: 0o644 }));
  const secret = randomBytes(24).toString('hex');
  const orders: SandboxOrders = { bundles: names, skip: files.bundles.map((_, b) => skip[b] ?? []) };

  const node = [process.execPath, '--experimental-permission', `--allow-fs-read=${dir}/`, `--max-old-space-size=${limits.memoryMb}`, '--no-addons', '--no-warnings', join(dir, 'boot.mjs')];
  const vm = prlimit && proc ? idleVmMb(limits.memoryMb) : 0;
  const cpuCapS = Math.ceil(((limits.loadCpuMs + limits.cpuMs * 64) * files.bundles.length) / 1000) + 2;
  const iso = isolation();
  const capped = prlimit ? [prlimit, ...(vm ? [`--as=${(vm + limits.memoryMb + VM_MARGIN_MB) * (1 << 20)}`] : []), `--cpu=${cpuCapS}:${cpuCapS + 1}`, '--', ...node] : node;
  const argv = [...iso.argv, ...capped];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: dir,
    env: {},
    stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
    // As root without namespaces, still not root.
    ...(asRoot && !iso.nobody ? { uid: 65534, gid: 65534 } : {}),
  });

  const runs: SandboxRun[] = files.bundles.map(() => ({ records: new Map() }));
  // The bundle being loaded or run: a stop is its.
  let run = runs[0]!;
  return new Promise((resolve) => {
    let stderr = '';
    let pending = '';
    let bytes = 0;
    let finished = false;
    // The phase being timed: loading (at = null) or one test.
    let phase: { at: number | null; cpu0: number; user0: number; wall0: number } = { at: null, cpu0: 0, user0: 0, wall0: Date.now() };
    let stopped = false;
    const now = () => {
      const u = proc ? usage(child.pid ?? -1) : null;
      return { cpu0: u?.cpuMs ?? 0, user0: u?.userMs ?? 0 };
    };
    const stop = (why: StopReason, detail: string) => {
      if (stopped || finished) return;
      stopped = true;
      run.stopped = { at: phase.at, why, detail };
      child.kill('SIGKILL');
    };
    const budget = () => (phase.at === null ? limits.loadCpuMs : limits.cpuMs);

    // Since when the process has slept without using CPU time.
    let asleep: { since: number; cpu: number } | null = null;
    const watch = setInterval(() => {
      const u = proc ? usage(child.pid ?? -1) : null;
      if (u) {
        // Memory first: filling memory costs CPU time too, and a hog is a hog.
        if (u.rssMb > limits.memoryMb + RSS_MARGIN_MB) stop('memory', `resident memory passed ${limits.memoryMb + RSS_MARGIN_MB} MiB`);
        // The budget is user time: filling memory is mostly the kernel's work (page faults), so a
        // hog meets its memory cap first however slow the machine; kernel time has four budgets.
        else if (u.userMs - phase.user0 > budget() || u.cpuMs - phase.cpu0 > 4 * budget()) stop('cpu', `${budget()} ms of CPU time`);
        if (u.state !== 'S' || (asleep && u.cpuMs !== asleep.cpu)) asleep = null;
        else if (!asleep) asleep = { since: Date.now(), cpu: u.cpuMs };
        else if (Date.now() - asleep.since > limits.idleMs) stop('wall', `slept ${limits.idleMs} ms without computing (Atomics.wait? a timer that never fires?)`);
      } else if (!proc && Date.now() - phase.wall0 > budget()) stop('cpu', `${budget()} ms (wall clock: no /proc on this machine)`);
      if (Date.now() - phase.wall0 > limits.wallMs) stop('wall', `${limits.wallMs} ms without finishing, though it was not computing`);
    }, 20);

    const onReport = (r: SandboxReport) => {
      if (r.t !== 'done') {
        // A bundle index out of order is not the boot code's: ignore the line.
        if (!runs[r.b] || (r.b !== runs.indexOf(run) && !(r.t === 'load' && r.b === runs.indexOf(run) + 1))) return;
      }
      switch (r.t) {
        case 'load':
          // The first bundle's load budget began with Node's start; each later one begins here.
          run = runs[r.b]!;
          if (r.b > 0) phase = { at: null, ...now(), wall0: Date.now() };
          break;
        case 'loaded':
          run.loaded = r.tests;
          phase = { at: null, ...now(), wall0: Date.now() };
          break;
        case 'load-error':
          run.loadError = r.error;
          break;
        case 'start':
          phase = { at: r.i, ...now(), wall0: Date.now() };
          break;
        case 'end': {
          const at = now();
          const cpuMs = Math.max(0, at.cpu0 - phase.cpu0);
          run.records.set(r.i, r.error ? { seen: r.seen, error: r.error, cpuMs } : { seen: r.seen, cpuMs });
          phase = { at: null, ...at, wall0: Date.now() };
          break;
        }
        case 'done':
          finished = true;
          child.kill('SIGKILL');
          break;
      }
    };

    child.stdio[3]!.on('data', (d: Buffer) => {
      bytes += d.length;
      if (bytes > MAX_REPORT_BYTES) return stop('output', `it wrote more than ${MAX_REPORT_BYTES >> 20} MiB of results`);
      pending += d.toString('utf8');
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        // Lines without the secret were written by the code under test: not reports.
        if (!line.startsWith(`${secret} `)) continue;
        try {
          onReport(JSON.parse(line.slice(secret.length + 1)) as SandboxReport);
        } catch {
          // A torn line (the code under test wrote into the middle of one) reports nothing.
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-8192);
    });
    child.on('error', (e) => stop('crash', `the sandbox did not start: ${e.message}`));
    child.stdin!.on('error', () => {});
    child.stdin!.end(`${secret}\n${JSON.stringify(orders)}\n`);

    child.on('close', (code, signal) => {
      clearInterval(watch);
      if (!finished && !stopped) {
        if (MEMORY_WORDS.test(stderr)) run.stopped = { at: phase.at, why: 'memory', detail: `it ran out of memory (cap ${limits.memoryMb} MiB)` };
        else if (signal === 'SIGXCPU' || (signal === 'SIGKILL' && prlimit)) run.stopped = { at: phase.at, why: 'cpu', detail: 'the whole run\'s CPU cap' };
        else run.stopped = { at: phase.at, why: 'crash', detail: `the test process died (${signal ?? `exit code ${code}`})` };
      }
      rmSync(dir, { recursive: true, force: true });
      resolve(runs);
    });
  });
}
// #endregion X-sandbox
