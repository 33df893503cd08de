/**
 * Figures drawn from the running system: a chapter asks for one by name,
 *
 *     ```figure m009-highmem
 *     ```
 *
 * and the site renders it inline (SVG, with its text form beside it). An
 * unknown name is an error at the chapter's line. The site draws its figures
 * ahead of rendering, in worker threads beside the rest of the build
 * (`drawFigures`), and remembers each for the code that drew it; anything
 * else draws a figure the first time a page needs it.
 */
import type MarkdownIt from 'markdown-it';
import { FIGURES, type FigureOutput } from '../figures/registry.ts';
import { digestFiles, memo, memoKey, PACKAGE_ROOT } from './cache.ts';
import type { ChapterEnv } from './weave.ts';
import { drawFiguresInWorkers } from './workers.ts';

const INFO = /^figure\s+(\S+)\s*$/;

/**
 * How figures are drawn: by the code being built (`true`), not at all
 * (`false`), or, for the student edition, by the finished code of the
 * edition's maker (`'reference'`): the students' code is not finished yet.
 */
export type FigureMode = boolean | 'reference';

/** Figures drawn ahead of rendering, by name. */
export type DrawnFigures = Map<string, FigureOutput>;

/**
 * Draw the named figures for the tree at `root`, each in a worker. A figure
 * depends on the code that draws it (this package's src/) and the data it
 * reads (the tree's test/fixtures/): for the same bytes it is not drawn again.
 */
export async function drawFigures(root: string, names: Iterable<string>): Promise<{ drawn: DrawnFigures; computed: string[] }> {
  const code = digestFiles(PACKAGE_ROOT, ['src', 'package-lock.json']);
  const data = digestFiles(root, ['test/fixtures']);
  const drawn: DrawnFigures = new Map();
  const computed: string[] = [];
  await Promise.all([...new Set(names)].filter((n) => FIGURES[n]).map(async (name) => {
    const r = await memo(memoKey('figure', name, code, data), async () => (await drawFiguresInWorkers(root, [name])).get(name)!);
    drawn.set(name, r.value);
    if (r.computed) computed.push(name);
  }));
  return { drawn, computed };
}

/** The figures a set of parsed chapters asks for. */
export function figureNames(tokens: Iterable<{ type: string; meta: unknown }>): string[] {
  const names: string[] = [];
  for (const t of tokens) {
    const name = (t.meta as { figure?: string } | null)?.figure;
    if (t.type === 'fence' && name) names.push(name);
  }
  return names;
}

export function figurePlugin(md: MarkdownIt, root: string, draw: FigureMode = true, drawn: DrawnFigures = new Map()): void {
  md.core.ruler.push('figures', (state) => {
    const env = state.env as ChapterEnv;
    for (const token of state.tokens) {
      if (token.type !== 'fence' || !token.info.startsWith('figure')) continue;
      const name = INFO.exec(token.info.trim())?.[1];
      const line = (token.map?.[0] ?? 0) + 1;
      if (!name || !FIGURES[name]) {
        env.errors.push({ file: env.path, line, message: `unknown figure "${name ?? ''}" (figures: ${Object.keys(FIGURES).join(', ')})` });
        continue;
      }
      token.meta = { figure: name };
    }
  });
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const name = (tokens[idx]!.meta as { figure?: string } | null)?.figure;
    if (!name) return fence(tokens, idx, options, env, self);
    if (!draw) return `<p class="figure-off">Figure <code>${name}</code> is not drawn in this edition.</p>\n`;
    let out = drawn.get(name);
    if (!out) drawn.set(name, (out = FIGURES[name]!.render(root)));
    const text = md.utils.escapeHtml(out.text);
    // A stepping figure: every frame in the page, one shown; site.js adds Previous and Next.
    const svg = out.frames
      ? `<div class="stepper">${out.frames.map((f, i) => `<div class="step"${i ? ' hidden' : ''}>${f}</div>`).join('')}</div>`
      : out.svg;
    return `<figure class="live-figure" id="figure-${name}">${svg}<figcaption>${md.utils.escapeHtml(FIGURES[name]!.title)} · ${draw === 'reference' ? 'drawn by the finished code: yours, once the exercises are done, draws the same' : 'drawn by running the code when this page was built'}</figcaption><details><summary>The same, as a table</summary><pre>${text}</pre></details></figure>\n`;
  };
}
