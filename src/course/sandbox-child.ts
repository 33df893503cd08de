/*
 * The first code in a grading sandbox, before any submission code runs. The
 * grader bundles it into boot.mjs beside one test bundle; Node runs it with
 * the permission model on (it may read its own folder and nothing else),
 * without the right to start processes or workers, under memory and CPU caps.
 *
 * It reads a secret and its orders from stdin, takes away what could reach
 * outside (signals, the debugger of another process), loads the bundle, and
 * runs each registered test with a `see` that records what the code returned.
 * It reports on fd 3, every line prefixed with the secret: code loaded later
 * never saw the secret, so it can write to fd 3 but cannot forge a report.
 * Nothing here decides a verdict; the grader compares the record with the
 * reference solution's, which this process never has.
 */
import { readFileSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { plain, type Kind, type Plain } from './show.ts';

// #region X-sandbox-child
// unwoven: course tooling; the README's course section describes the sandbox.

/** What the grader tells the sandbox on stdin, after the secret's line. */
export interface SandboxOrders {
  /**
   * The test bundles, files in this folder, run one after another. Only runs
   * of the course's own code (the reference, the stubs) share a process; a
   * student's answer always has one to itself.
   */
  bundles: string[];
  /** For each bundle, the indexes (in registration order) of tests already decided, not to run again. */
  skip: number[][];
}

export interface Seen {
  kind: Kind;
  label: string;
  value: Plain;
  /** The test's own expected value: blanked (undefined) in the grader's bundles, kept for a student's self-check. */
  expected: Plain;
}

export interface ThrownInfo {
  name: string;
  message: string;
  stack: string;
  /** The exercise whose todo() threw, when it was one. */
  todo?: string;
  /** An allocation failed: the memory cap. */
  memory?: boolean;
}

/** Each report but the last names its bundle, `b` (an index into the orders' bundles). */
export type SandboxReport =
  | { t: 'load'; b: number }
  | { t: 'loaded'; b: number; tests: { exercise: string; name: string; hidden: boolean; points: number }[] }
  | { t: 'load-error'; b: number; error: ThrownInfo }
  | { t: 'start'; b: number; i: number }
  | { t: 'end'; b: number; i: number; seen: Seen[]; error?: ThrownInfo }
  | { t: 'done' };

// What this code uses after submission code has run, taken before it runs.
const stringify = JSON.stringify;
const write = writeSync;
const StringOf = String;
const isError = (e: unknown): e is Error => e instanceof Error;

const [secret = '', ordersLine = '{}'] = readFileSync(0, 'utf8').split('\n');
const orders = JSON.parse(ordersLine) as SandboxOrders;

function report(r: SandboxReport): void {
  const line = `${secret} ${stringify(r)}\n`;
  // fd 3 may be non-blocking: a full pipe says EAGAIN, and we wait for the grader to read.
  let done = 0;
  const bytes = Buffer.from(line);
  while (done < bytes.length) {
    try {
      done += write(3, bytes, done);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

function thrown(e: unknown): ThrownInfo {
  try {
    if (!isError(e)) return { name: 'thrown value', message: StringOf(e).slice(0, 400), stack: '' };
    const info: ThrownInfo = { name: StringOf(e.name).slice(0, 80), message: StringOf(e.message).slice(0, 400), stack: StringOf(e.stack ?? '').slice(0, 4000) };
    const todo = (e as { exercise?: unknown }).exercise;
    if (e.name === 'Todo' && typeof todo === 'string') info.todo = todo.slice(0, 80);
    if (e instanceof RangeError && /allocation failed|Invalid (typed )?array length|out of memory/i.test(e.message)) info.memory = true;
    return info;
  } catch {
    return { name: 'unreadable error', message: '', stack: '' };
  }
}

// Another process is out of reach: no signals (as the same user, the grader
// itself could be killed), no waking a debugger in the grader (SIGUSR1).
// Files, processes and workers are the permission model's business.
for (const name of ['kill', '_kill', '_debugProcess', '_debugEnd', 'dlopen', '_linkedBinding', 'binding', 'setuid', 'setgid', 'seteuid', 'setegid', 'setgroups', 'initgroups', 'chdir']) {
  try {
    delete (process as unknown as Record<string, unknown>)[name];
  } catch {
    // A property Node will not let go of stays; the permission model still stands.
  }
}

interface Registered {
  exercise: string;
  points: number;
  name: string;
  hidden: boolean;
  fn: (see: unknown) => unknown;
}

// The tests the bundle being loaded registers (a fresh list for each bundle).
let registered: Registered[] = [];
(globalThis as Record<symbol, unknown>)[Symbol.for('lguest-journey.grader')] = Object.freeze({
  register(t: Registered) {
    registered.push({ exercise: StringOf(t.exercise), points: Number(t.points), name: StringOf(t.name), hidden: t.hidden === true, fn: t.fn });
  },
});

for (let b = 0; b < orders.bundles.length; b++) {
  registered = [];
  report({ t: 'load', b });
  try {
    await import(pathToFileURL(`${process.cwd()}/${orders.bundles[b]}`).href);
  } catch (e) {
    report({ t: 'load-error', b, error: thrown(e) });
    continue;
  }
  // A snapshot: whatever happens to the registry later, these are the tests.
  const tests = registered.slice();
  report({ t: 'loaded', b, tests: tests.map(({ exercise, name, hidden, points }) => ({ exercise, name, hidden, points })) });

  const skip = new Set(orders.skip[b]);
  for (let i = 0; i < tests.length; i++) {
    if (skip.has(i)) continue;
    const seen: Seen[] = [];
    const record = (kind: Kind) => (label: unknown, actual: unknown, expected: unknown) => {
      if (seen.length < 10_000) seen.push({ kind, label: StringOf(label).slice(0, 200), value: plain(actual), expected: plain(expected) });
    };
    const see = Object.freeze({ value: record('value'), addr: record('addr'), entry: record('entry'), pf: record('pf') });
    report({ t: 'start', b, i });
    try {
      await tests[i]!.fn(see);
      report({ t: 'end', b, i, seen });
    } catch (e) {
      report({ t: 'end', b, i, seen, error: thrown(e) });
    }
  }
}
report({ t: 'done' });
process.exit(0);
// #endregion X-sandbox-child
