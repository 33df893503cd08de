/*
 * The chapters' transcripts, each example run inside this process. The book's
 * own check (test/book.test.ts) runs them with tsx in a child process, where
 * Stryker's per-test coverage cannot see them; here a mutant that changes
 * what an example prints (the Host's trace lines are printed nowhere else) is
 * caught. Mutation testing only: `npm test` already checks every transcript.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { describe, expect, test, vi } from 'vitest';
// The examples are imported by name at run time, which vitest cannot follow when it picks the
// tests related to a mutated file; these imports (the modules the examples use) make the link.
import '../src/guest/os.ts';
import '../src/guest/paravirt.ts';
import '../src/guest/transparent.ts';
import '../src/tools/builder.ts';
import '../src/tools/explain.ts';

const root = resolve(import.meta.dirname, '..');
const FENCE = /^```transcript (\S+)\n([\s\S]*?)^```/gm;
const trimmed = (text: string) => text.replace(/\s+$/, '').split('\n').map((l) => l.trimEnd());

/** Too long for every mutant that touches the Host (it replays traced programs); the book's check runs it. */
const SLOW = new Set(['examples/08-highmem.ts']);

let run = 0;
describe('the transcripts, in process', () => {
  for (const chapter of readdirSync(join(root, 'chapters')).filter((f) => f.endsWith('.md')).sort()) {
    for (const [, example, expected] of readFileSync(join(root, 'chapters', chapter), 'utf8').matchAll(FENCE)) {
      if (SLOW.has(example!)) continue;
      test(`${chapter}: ${example}`, async () => {
        const lines: string[] = [];
        const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { lines.push(format(...args)); });
        try {
          // A query makes each run a fresh module, so the example's top level runs again.
          await import(`${pathToFileURL(join(root, example!)).href}?run=${run++}`);
        } finally {
          log.mockRestore();
        }
        expect(trimmed(lines.join('\n'))).toEqual(trimmed(expected!));
      });
    }
  }
});
