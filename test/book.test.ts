/*
 * The real book, checked whole: every region, claim, H: section and example.
 * A failure lists every problem as file:line: message.
 */
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { bookTranscripts, checkBook, loadBook } from '../src/literate/book.ts';
import { formatError } from '../src/literate/regions.ts';
import { checkTranscripts } from '../src/literate/transcripts.ts';
import { FULLY_WOVEN_ROOTS } from '../src/literate/sources.ts';
import { claim } from './support/claim.ts';

const root = resolve(import.meta.dirname, '..');
const book = loadBook(root);

describe('the book', () => {
  claim('every-line-woven', () => {
    const problems = checkBook(book).map(formatError);
    expect(problems.join('\n')).toBe('');
    // And the check has something to check: the fully woven folders have regions, all of them woven.
    const regions = FULLY_WOVEN_ROOTS.flatMap((d) => book.tree.files(d)).flatMap((f) => [...book.tree.get(f)!.regions.keys()]);
    const woven = new Set(book.chapters.flatMap((c) => c.env.includes.map((i) => i.region)));
    expect(regions.length).toBeGreaterThan(10);
    expect(regions.filter((r) => !r.startsWith('X-') && !woven.has(r))).toEqual([]);
  });

  test('every example a chapter shows prints what the chapter says', async () => {
    const checks = bookTranscripts(book);
    expect(checks.length).toBeGreaterThan(0);
    const problems = (await checkTranscripts(root, checks)).map(formatError);
    expect(problems.join('\n')).toBe('');
  });
});
