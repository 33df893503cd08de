/*
 * Where in an upload the grader looks: the batch and the Gradescope run ask
 * the same question (uploadRoot), and nothing a student lays out on the way
 * (a file where a folder should be, a loop of links, a decoy src/) stops the
 * search, throws, or sends the two to different trees.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { findSrc, uploadRoot } from '../../src/course/submission.ts';

const MARKER = 'hw/rights.ts';
const work = mkdtempSync(join(tmpdir(), 'upload-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A folder under `work` laid out as `files` say: a path ending in / is a folder, one holding `->` a link, else a file. */
function upload(name: string, files: string[]): string {
  const dir = join(work, name);
  for (const f of files) {
    const [path, target] = f.split(' -> ');
    const at = join(dir, path!);
    mkdirSync(path!.endsWith('/') ? at : join(at, '..'), { recursive: true });
    if (target) symlinkSync(target, at);
    else if (!path!.endsWith('/')) writeFileSync(at, 'x');
  }
  return dir;
}

describe('where an upload is graded', () => {
  test('a decoy src whose hw is a file does not stop the search for the real one beside it', () => {
    const dir = upload('decoy', ['aa-old/src/hw', `zz-handout/src/${MARKER}`]);
    expect(findSrc(dir, MARKER)).toBe(join(dir, 'zz-handout'));
  });

  test('a loop of links on the way is passed over, never followed', () => {
    const dir = upload('loop', ['aa/src -> aa/src', `zz/src/${MARKER}`]);
    // aa/src is a link: found as such, so the survey can refuse it by name.
    expect(findSrc(dir, MARKER)).toBe(join(dir, 'aa'));
    const deeper = upload('loop2', ['aa/src/hw -> ../../aa/src/hw', `zz/src/${MARKER}`]);
    expect(findSrc(deeper, MARKER)).toBe(join(deeper, 'zz'));
  });

  test('the batch and Gradescope grade the same tree: the handout src/ wherever it is, else a top src/ as it stands', () => {
    const two = upload('two', ['src/notes.txt', `handout/src/${MARKER}`]);
    expect(uploadRoot(two, MARKER)).toBe(join(two, 'handout'));
    const bare = upload('bare', ['src/notes.txt']);
    expect(uploadRoot(bare, MARKER)).toBe(bare);
    expect(uploadRoot(upload('none', ['README.md']), MARKER)).toBe(null);
  });
});
