/**
 * Transcripts: a chapter shows what an example prints with a fence
 *
 *     ```transcript examples/tlb-stale.ts
 *     …the output…
 *     ```
 *
 * and the book check runs the example with tsx and compares, so the output a
 * reader sees is the output they will get.
 */
import type MarkdownIt from 'markdown-it';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FIGURES } from '../figures/registry.ts';
import { digestFiles, memo, memoKey } from './cache.ts';
import { batchedByTurn, runAllInWorker, runInWorker, withBundles } from './workers.ts';
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
    return `<figure class="transcript" data-example="${esc(example)}"><figcaption><code>$ npx tsx ${esc(example)}</code></figcaption><pre tabindex="0"><code>${esc(token.content)}</code></pre></figure>\n`;
  };
}

export interface TranscriptCheck {
  chapter: string;
  line: number;
  example: string;
  expected: string;
}

/** The data an example may read as it runs (the traces); its code is in its bundle. */
export const EXAMPLE_DATA = ['test/fixtures'];

/**
 * Run every example a chapter shows and report each transcript that differs,
 * at the chapter line of its fence, with the first differing line. Each
 * example runs as a reader's `npx tsx` would run it, from a bundle of its
 * own (its own modules, fresh), in a worker that runs the examples one after
 * another (an example that does not end as it would alone, with an error or
 * work left for later, runs again in a worker of its own); its output
 * is remembered for its exact bundled code and data, so an example whose code
 * did not change since the last check is not run again. `spent` adds up the
 * examples actually run and the processor time their workers took.
 */
export async function checkTranscripts(root: string, checks: TranscriptCheck[], parallel = 2, spent: { cpu: number; ran: number } = { cpu: 0, ran: 0 }): Promise<SourceError[]> {
  const errors: SourceError[] = [];
  const present = checks.filter((c) => {
    if (existsSync(join(root, c.example))) return true;
    errors.push({ file: c.chapter, line: c.line, message: `transcript names ${c.example}, which does not exist` });
    return false;
  });
  const outputs = await exampleOutputs(root, [...new Set(present.map((c) => c.example))], parallel, spent);
  for (const c of present) {
    const { stdout, error } = outputs.get(c.example)!;
    if (error !== undefined || stdout === undefined) {
      errors.push({ file: c.chapter, line: c.line, message: `example ${c.example} failed: ${errorLines(error)}` });
      continue;
    }
    const diff = firstDifference(c.expected, stdout);
    if (diff) errors.push({ file: c.chapter, line: c.line + 1 + diff.line, message: `stale transcript of ${c.example}: line ${diff.line + 1} shows "${diff.expected}" but the example prints "${diff.actual}"` });
  }
  return errors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** Why an example failed, in one line of a report: its error's first six lines. */
export function errorLines(error: string | undefined): string {
  return (error ?? '').trim().split('\n').slice(0, 6).join(' | ');
}

/**
 * What each example prints, run as checkTranscripts says, or why it failed:
 * remembered for its exact bundled code and data, and computed once whoever
 * asks (the transcripts' check, or a figure drawn from an example's output,
 * see figures.ts), so the two never run the same example twice.
 */
export async function exampleOutputs(root: string, examples: string[], parallel = 2, spent: { cpu: number; ran: number } = { cpu: 0, ran: 0 }): Promise<Map<string, { stdout?: string; error?: string }>> {
  const data = digestFiles(root, EXAMPLE_DATA);
  // An example a figure is drawn from runs first in its lane: the figure, and the pages, wait for it.
  const drawnFrom = new Set(Object.values(FIGURES).flatMap((f) => (f.example ? [f.example] : [])));
  examples = [...examples.filter((e) => drawnFrom.has(e)), ...examples.filter((e) => !drawnFrom.has(e))];
  return withBundles(examples.map((e) => ({ name: e, file: join(root, e) })), async (bundles) => {
    const out = new Map<string, { stdout?: string; error?: string }>();
    // Each example's memo asks for it to be run (all in the same turn, see memo); the ones asked for then run
    // together, one after another in each of `parallel` workers, and any that did not end as it would alone runs alone.
    type Asked = { item: string; done: (r: { stdout: string; error?: string }) => void };
    const alone = async (file: string) => {
      const ran = await runInWorker(file);
      spent.cpu += ran.cpu;
      return { stdout: ran.stdout, ...(ran.error ? { error: ran.error } : {}) };
    };
    const runLane = async (lane: Asked[]) => {
      const { runs, cpu } = await runAllInWorker(lane.map((a) => a.item));
      spent.cpu += cpu;
      for (const [i, a] of lane.entries()) {
        const r = runs[i];
        a.done(r?.settled ? { stdout: r.stdout } : await alone(a.item));
      }
    };
    const run = batchedByTurn<string, { stdout: string; error?: string }>((all) => {
      const lanes = Array.from({ length: Math.min(parallel, all.length) }, (_, l) => all.filter((_a, i) => i % parallel === l));
      void Promise.all(lanes.map(runLane));
    });
    await Promise.all(examples.map(async (e) => {
      const b = bundles.get(e)!;
      if ('error' in b) return void out.set(e, { error: b.error });
      try {
        const { value } = await memo(memoKey('example', e, b.code, data), async () => {
          const ran = await run(b.file);
          // What running it cost (an example remembered costs nothing), for the build's account of its time.
          spent.ran++;
          if (ran.error) throw new Error(ran.error);
          return ran.stdout;
        });
        out.set(e, { stdout: value });
      } catch (err) {
        out.set(e, { error: (err as Error).message });
      }
    }));
    return out;
  });
}

function firstDifference(expected: string, actual: string): { line: number; expected: string; actual: string } | undefined {
  const e = expected.replace(/\s+$/, '').split('\n');
  const a = actual.replace(/\s+$/, '').split('\n');
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if ((e[i] ?? '').trimEnd() !== (a[i] ?? '').trimEnd()) return { line: i, expected: e[i] ?? '(end of transcript)', actual: a[i] ?? '(end of output)' };
  }
  return undefined;
}
