/*
 * Writing a file whole. The caches in .cache/ are read by other processes
 * while they are written (the test suite runs files side by side, a build may
 * run beside it): a reader must find the old file or the new one, never half
 * of one. So the text goes to a temporary file of this process's own, and a
 * rename, which POSIX makes atomic within a file system, puts it in place.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Write `text` to `file` whole, making its folder if need be. */
export function writeWhole(file: string, text: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  // The pid keeps two writers' temporaries apart; the last rename wins, whole.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Write `value` to `file` as JSON, whole. */
export function writeJsonWhole(file: string, value: unknown): void {
  writeWhole(file, JSON.stringify(value));
}
