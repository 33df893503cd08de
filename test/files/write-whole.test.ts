/*
 * A cache file is written whole: its folder is made, the new text replaces
 * the old, and no temporary is left beside it for a reader to trip over.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { writeJsonWhole, writeWhole } from '../../src/files/write-whole.ts';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writing a file whole', () => {
  test('makes the folder, replaces the old text, and leaves nothing else behind', () => {
    dir = mkdtempSync(join(tmpdir(), 'lgj-whole-'));
    const file = join(dir, 'a', 'b', 'memo.json');
    writeJsonWhole(file, { n: 1 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ n: 1 });
    writeFileSync(file, 'a longer file than the one that replaces it');
    writeWhole(file, new Uint8Array([0x7b, 0x7d]));
    expect(readFileSync(file, 'utf8')).toBe('{}');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['memo.json']);
  });
});
