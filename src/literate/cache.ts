/**
 * A content-addressed memo on disk, for the build's slow, deterministic work:
 * an example's output and a figure are functions of the code they run, so
 * once computed for one state of that code they are looked up, not run again.
 * The key is a hash of every input file's bytes (and Node's version); change
 * one byte of the code and the work is done afresh.
 *
 * Several processes may build at once (the test suite runs files side by
 * side): the first to want a value computes it while holding a lock, and the
 * others wait for it rather than repeat it. A lock whose process has died is
 * taken over.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeJsonWhole } from '../files/write-whole.ts';

/** This package's root: the cache lives in its .cache folder, which git ignores. */
export const PACKAGE_ROOT = join(import.meta.dirname, '../..');
const DIR = join(PACKAGE_ROOT, '.cache/memo');
/** Entries kept; older ones are removed as new ones are written. */
const KEEP = 64;

/** `LGJ_NO_CACHE=1` computes everything afresh (and still records it). */
const bypass = () => process.env['LGJ_NO_CACHE'] === '1';
/** When this process started: with LGJ_NO_CACHE=1, a value recorded since is afresh, and shared (an example's output that its figure asks for too). */
const STARTED = Date.now() - process.uptime() * 1000;
/** Whether a value on disk may be used: any, or with LGJ_NO_CACHE=1 only one computed since this process started. */
const usable = (file: string) => {
  try {
    return !bypass() || statSync(file).mtimeMs >= STARTED;
  } catch {
    return false;
  }
};

/**
 * A digest of files: every file under each path (a folder or a file), by its
 * path from `root` and its bytes, in sorted order. A path that does not exist
 * counts as absent, which is itself part of the digest. `skip` leaves paths out.
 */
export function digestFiles(root: string, paths: string[], skip: string[] = []): string {
  const h = createHash('sha256');
  const skipped = new Set(skip.map((p) => join(root, p)));
  const walk = (abs: string) => {
    if (skipped.has(abs)) return;
    let st;
    try {
      st = statSync(abs);
    } catch {
      h.update(`absent ${relative(root, abs)}\n`);
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(abs).sort()) if (name !== 'node_modules' && !name.startsWith('.')) walk(join(abs, name));
    } else {
      h.update(`${relative(root, abs).split(sep).join('/')} ${st.size}\n`);
      h.update(readFileSync(abs));
    }
  };
  for (const p of paths) walk(join(root, p));
  return h.digest('hex');
}

/** One key from its parts (kind, name, digests); Node's version is always one of them. */
export function memoKey(...parts: string[]): string {
  return createHash('sha256').update([process.version, ...parts].join('\0')).digest('hex').slice(0, 40);
}

/** Whether a value is already on disk for `key`, without waiting for it. */
export function memoHas(key: string): boolean {
  return existsSync(join(DIR, `${key}.json`)) && usable(join(DIR, `${key}.json`));
}

/** Drop the value for `key`, so that the next `memo` computes it afresh. */
export function memoForget(key: string): void {
  rmSync(join(DIR, `${key}.json`), { force: true });
}

/** The value for `key`: from disk, or computed (once, whoever asks). `computed` says which. */
export async function memo<T>(key: string, compute: () => Promise<T>): Promise<{ value: T; computed: boolean }> {
  mkdirSync(DIR, { recursive: true });
  const file = join(DIR, `${key}.json`);
  const lock = join(DIR, `${key}.lock`);
  for (;;) {
    if (existsSync(file) && usable(file)) {
      try {
        return { value: JSON.parse(readFileSync(file, 'utf8')) as T, computed: false };
      } catch {
        rmSync(file, { force: true }); // a torn file from an older layout: compute it again
      }
    }
    if (takeLock(lock)) break;
    await sleep(200);
  }
  try {
    const value = await compute();
    writeJsonWhole(file, value);
    prune();
    return { value, computed: true };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** mkdir is atomic: whoever creates the folder holds the lock. A dead holder's lock is broken. */
function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(process.pid));
    return true;
  } catch {
    let pid = 0;
    try {
      pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // Being written this instant, or left empty by a crash: judge by age.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 60_000) rmSync(lock, { recursive: true, force: true });
      } catch { /* gone already */ }
      return false;
    }
    if (pid && !alive(pid)) rmSync(lock, { recursive: true, force: true });
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function prune(): void {
  const entries = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => ({ f, t: statSync(join(DIR, f)).mtimeMs }));
  if (entries.length <= KEEP) return;
  entries.sort((a, b) => b.t - a.t);
  for (const { f } of entries.slice(KEEP)) rmSync(join(DIR, f), { force: true });
}
