/**
 * Transcripts: a chapter shows what an example prints with a fence
 *
 *     ```transcript examples/tlb-stale.ts
 *     …the output…
 *     ```
 *
 * and the book check runs the example with tsx and compares, so the output a
 * reader sees is the output they will get. An example's output is remembered
 * for the exact code it ran (see cache.ts), so an unchanged example is not rerun.
 */
import type MarkdownIt from 'markdown-it';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { digestFiles, memo, memoKey } from './cache.ts';
import { pool, runExamplesInWorkers } from './workers.ts';
import type { SourceError } from './regions.ts';
import type { ChapterEnv } from './weave.ts';

const INFO = /^transcript\s+(\S+)\s*$/;

export function transcriptPlugin(md: MarkdownIt): void {
  md.core.ruler.push('transcripts', (state) => {
    const env = state.env as ChapterEnv;
    for (const token of state.tokens) {
      if (token.type !== 'fence' || !token.info.startsWith('transcript')) continue;
      const m = INFO.exec(token.info.trim());
      const line = (token.map?.[0] ?? 0) + 1;
      if (!m) {
        env.errors.push({ file: env.path, line, message: 'a transcript fence names its example: ```transcript examples/name.ts' });
        continue;
      }
      env.transcripts.push({ example: m[1]!, line, expected: token.content });
      token.meta = { transcript: m[1]! };
    }
  });
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const token = tokens[idx]!;
    const example = (token.meta as { transcript?: string } | null)?.transcript;
    if (!example) return fence(tokens, idx, options, env, self);
    const esc = md.utils.escapeHtml;
    return `<figure class="transcript" data-example="${esc(example)}"><figcaption><code>$ npx tsx ${esc(example)}</code></figcaption><pre><code>${esc(token.content)}</code></pre></figure>\n`;
  };
}

export interface TranscriptCheck {
  chapter: string;
  line: number;
  example: string;
  expected: string;
}

/** What an example's output depends on: the code it can import, its data, the packages, tsx's settings. */
export const EXAMPLE_INPUTS = ['src', 'examples', 'test/fixtures', 'package-lock.json', 'tsconfig.json'];

/** The output of one example, run as a reader would run it (in a worker with tsx), or remembered from the last run of the same code. */
export async function runExample(root: string, example: string, digest = digestFiles(root, EXAMPLE_INPUTS)): Promise<{ stdout: string; cached: boolean }> {
  const { value, computed } = await memo(memoKey('example', example, digest), async () => {
    const ran = (await runExamplesInWorkers(root, [example], 1)).get(example)!;
    if (ran.error) throw new Error(ran.error);
    return ran.stdout;
  });
  return { stdout: value, cached: !computed };
}

/**
 * Run every example a chapter shows and report each transcript that differs,
 * at the chapter line of its fence, with the first differing line.
 */
export async function checkTranscripts(root: string, checks: TranscriptCheck[], parallel = 2): Promise<SourceError[]> {
  const errors: SourceError[] = [];
  const digest = digestFiles(root, EXAMPLE_INPUTS);
  await pool(checks.map((c) => async () => {
    if (!existsSync(join(root, c.example))) {
      errors.push({ file: c.chapter, line: c.line, message: `transcript names ${c.example}, which does not exist` });
      return;
    }
    let actual: string;
    try {
      actual = (await runExample(root, c.example, digest)).stdout;
    } catch (e) {
      errors.push({ file: c.chapter, line: c.line, message: `example ${c.example} failed: ${(e as Error).message.trim().split('\n').slice(0, 6).join(' | ')}` });
      return;
    }
    const diff = firstDifference(c.expected, actual);
    if (diff) errors.push({ file: c.chapter, line: c.line + 1 + diff.line, message: `stale transcript of ${c.example}: line ${diff.line + 1} shows "${diff.expected}" but the example prints "${diff.actual}"` });
  }), parallel);
  return errors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

function firstDifference(expected: string, actual: string): { line: number; expected: string; actual: string } | undefined {
  const e = expected.replace(/\s+$/, '').split('\n');
  const a = actual.replace(/\s+$/, '').split('\n');
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if ((e[i] ?? '').trimEnd() !== (a[i] ?? '').trimEnd()) return { line: i, expected: e[i] ?? '(end of transcript)', actual: a[i] ?? '(end of output)' };
  }
  return undefined;
}
