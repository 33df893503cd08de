/*
 * Reading a submission without trusting it. Every path under its src/ is
 * looked at with lstat before anything is read: a symbolic link anywhere
 * (src/ itself included), a file with a second hard link, a device, a fifo,
 * a file too large or a tree too big refuses the whole submission with a
 * message saying which path and why. Only the files that hold answers are
 * then read, and only as text.
 */
import { closeSync, fstatSync, lstatSync, openSync, readdirSync, readSync, constants } from 'node:fs';
import { join } from 'node:path';

// #region X-submission
// unwoven: course tooling; the README's course section lists what is refused.
const MAX_FILE = 1 << 20;
const MAX_ENTRIES = 5000;

export class Refused extends Error {
  override name = 'Refused';
}

/** A refusal for one path, in the words a student can act on. */
function refuse(path: string, why: string): never {
  throw new Refused(`${path}: ${why}. The grader reads only plain files and folders; submit your src/ folder as it is in your handout.`);
}

/**
 * Check every entry under `dir/src` with lstat. Returns the relative paths
 * (from `dir`) of the plain files, or throws Refused.
 */
export function surveySubmission(dir: string): Set<string> {
  const files = new Set<string>();
  let entries = 0;
  const walk = (rel: string) => {
    const st = lstatSync(join(dir, rel), { throwIfNoEntry: false });
    if (!st && rel === 'src') throw new Refused('no src/ folder here: a submission is a folder holding your handout\'s src/');
    if (!st) refuse(rel, 'no such file or folder');
    if (++entries > MAX_ENTRIES) refuse('src', `more than ${MAX_ENTRIES} files and folders`);
    if (st.isSymbolicLink()) refuse(rel, 'is a symbolic link');
    if (st.isDirectory()) {
      for (const name of readdirSync(join(dir, rel)).sort()) walk(`${rel}/${name}`);
      return;
    }
    if (!st.isFile()) refuse(rel, 'is not a plain file (a device, a fifo or a socket)');
    if (st.nlink > 1) refuse(rel, 'has more than one hard link');
    if (st.size > MAX_FILE) refuse(rel, `is larger than ${MAX_FILE >> 10} KiB`);
    files.add(rel);
  };
  walk('src');
  return files;
}

/**
 * Read `rel` under `dir` as UTF-8, refusing to follow a link that appeared
 * since the survey (O_NOFOLLOW) and checking that what was opened is still a
 * plain file of the surveyed kind.
 */
export function readSubmissionFile(dir: string, rel: string): string {
  const fd = openSync(join(dir, rel), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.nlink > 1 || st.size > MAX_FILE) refuse(rel, 'changed while it was being read');
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, buf, got, st.size - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** What is at `path`, not following a link; undefined for nothing, and for a path the upload made unreadable (a file where a folder should be, a loop of links). */
function entryAt(path: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * Where the src/ folder of an upload is: `dir/src`, or the shallowest
 * folder named src below it that holds `marker` (a path every handout has,
 * like hw/walk-32.ts). Links are never followed. Null when there is none.
 */
export function findSrc(dir: string, marker: string, maxDepth = 6): string | null {
  let level = [''];
  for (let depth = 0; depth <= maxDepth && level.length; depth++) {
    const next: string[] = [];
    for (const rel of level.sort()) {
      const here = rel ? join(dir, rel) : dir;
      const src = entryAt(join(here, 'src'));
      // A src that is a link is found too, so that the survey can refuse it by name.
      if (src?.isSymbolicLink() || (src?.isDirectory() && entryAt(join(here, 'src', marker)))) return here;
      let names: string[] = [];
      try {
        names = readdirSync(here, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules' && d.name !== '__MACOSX').map((d) => d.name);
      } catch {
        continue;
      }
      next.push(...names.map((n) => (rel ? `${rel}/${n}` : n)));
    }
    level = next.slice(0, 500);
  }
  return null;
}

/**
 * The folder to grade in an upload, the same for the batch and for Gradescope: where findSrc
 * finds the handout's src/, or else the upload itself if it has a src/ at all (one without the
 * marker is graded as it is, and scores what it holds). Null when there is no src/ anywhere.
 */
export function uploadRoot(dir: string, marker: string): string | null {
  return findSrc(dir, marker) ?? (entryAt(join(dir, 'src')) ? dir : null);
}
// #endregion X-submission
