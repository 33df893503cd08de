/*
 * Highlighted code kept between builds: a result comes back only for the
 * same code, language and line numbering, from a store written by this
 * version of the highlighter, and is the same HTML as highlighting afresh.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { siteHighlighter } from '../../src/literate/highlight.ts';

const dir = mkdtempSync(join(tmpdir(), 'lgj-hl-'));
const store = join(dir, 'highlight.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const code = 'export const PTE_P = 1 << 0; // present\nconst x = PTE_P;\n';
const from41 = (n: number) => ({ number: 40 + n, highlighted: n === 2 });

test('a stored result is the one a fresh highlighter gives, and is found by code, language and line numbers only', async () => {
  const fresh = await siteHighlighter();
  const first = await siteHighlighter({ store });
  const html = first.html(code, 'ts', from41);
  expect(html).toBe(fresh.html(code, 'ts', from41));
  expect(html).toMatch(/data-line="42"[^>]*class="line highlighted"|class="line highlighted"[^>]*data-line="42"/);
  first.save();

  // Mark the stored entry, to see whether the next build reads it or highlights again.
  const saved = JSON.parse(readFileSync(store, 'utf8')) as { version: string; entries: [string, string][] };
  expect(saved.entries).toHaveLength(1);
  saved.entries[0]![1] = 'FROM THE STORE';
  writeFileSync(store, JSON.stringify(saved));
  const second = await siteHighlighter({ store });
  expect(second.html(code, 'ts', from41)).toBe('FROM THE STORE');
  // Other numbering, other code, another language: highlighted afresh.
  expect(second.html(code, 'ts', (n) => ({ number: 50 + n }))).toContain('data-line="51"');
  expect(second.html(`${code}// more\n`, 'ts', from41)).not.toBe('FROM THE STORE');
  expect(second.html(code, 'json', from41)).not.toBe('FROM THE STORE');

  // A store from another version of the highlighter (or of shiki) is ignored.
  writeFileSync(store, JSON.stringify({ ...saved, version: 'older' }));
  expect((await siteHighlighter({ store })).html(code, 'ts', from41)).toBe(html);
});

test('a build saves only what it highlighted, so the store does not pile up stale code', async () => {
  const a = await siteHighlighter({ store });
  a.html('let a = 1;', 'ts');
  a.html('let b = 2;', 'ts');
  a.save();
  const b = await siteHighlighter({ store });
  b.html('let b = 2;', 'ts');
  b.save();
  expect((JSON.parse(readFileSync(store, 'utf8')) as { entries: unknown[] }).entries).toHaveLength(1);
});

test("the HTML written straight from shiki's tokens is, byte for byte, what shiki's own HTML becomes", async () => {
  const direct = await siteHighlighter();
  const shiki = await siteHighlighter({ viaShiki: true });
  const hw = join(import.meta.dirname, '../../src/hw');
  // Two whole files with anchors (the source views), numbered and marked lines (woven code), and
  // what the prose shows: shell, JSON and YAML with their whitespace, `&`, `<` and `>`.
  const blocks: [string, string, Parameters<typeof direct.html>[2]?, boolean?][] = ['tlb.ts', 'walk-pae.ts'].map((f): [string, string, undefined, boolean] => [readFileSync(join(hw, f), 'utf8'), 'ts', undefined, true]);
  blocks.push([code, 'ts', from41], ['npm ci && npm start    # two <commands>\n\n  npm test\n', 'sh'], ['{ "a": [1, "<b> & c"] }', 'json'], ['a: 1\nb:   "x & y"  \n', 'yaml'], ['plain <text> & more\n', 'text'], ['', 'ts']);
  for (const [text, lang, lines, anchors] of blocks) expect(direct.html(text, lang, lines, anchors)).toBe(shiki.html(text, lang, lines, anchors));
});
