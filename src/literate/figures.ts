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
import { digestFiles, memo, memoKey } from './cache.ts';
import type { ChapterEnv } from './weave.ts';
import { errorLines, exampleOutputs } from './transcripts.ts';
import { batchedByTurn, FIGURE_ENTRY, runInWorker, withBundles } from './workers.ts';

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
 * Draw the named figures for the tree at `root`, all in one worker. A
 * figure is a function of the code that draws it (its bundle) and the data
 * it reads (the tree's test/fixtures/): for the same bytes it is remembered,
 * not drawn again; the ones not remembered are drawn together. A figure
 * drawn from an example's output (its `example`) gets that output as the
 * transcripts' check does, from the same memo (see exampleOutputs), so a
 * build runs the example once for both, whichever asks first; the example
 * is the one under `examples` (the student edition draws from the finished
 * code's), and its output is part of the figure's key. `cpu` is the
 * processor time the workers took, in ms (the example's included, when this
 * ran it).
 */
export async function drawFigures(root: string, names: Iterable<string>, examples = root): Promise<{ drawn: DrawnFigures; computed: string[]; cpu: number }> {
  const wanted = [...new Set(names)].filter((n) => FIGURES[n]);
  const data = digestFiles(root, ['test/fixtures']);
  const drawn: DrawnFigures = new Map();
  const computed: string[] = [];
  const ran = { cpu: 0, ran: 0 };
  let cpu = 0;
  await withBundles([FIGURE_ENTRY], async (bundles) => {
    const b = bundles.get(FIGURE_ENTRY.name)!;
    if ('error' in b) throw new Error(`the figures do not compile: ${b.error}`);
    // Each figure's memo asks for it to be drawn (all in the same turn); one worker then draws them all.
    // A figure that waits for an example's output asks later, in a batch (and a worker) of its own.
    const draw = batchedByTurn<{ name: string; printed: string | undefined }, { output?: FigureOutput; error?: string }>(async (batch) => {
      const printed = Object.fromEntries(batch.flatMap((a) => (a.item.printed === undefined ? [] : [[a.item.name, a.item.printed]])));
      const ran = await runInWorker<{ output?: FigureOutput; error?: string }[]>(b.file, { names: batch.map((a) => a.item.name), root, printed });
      cpu += ran.cpu;
      batch.forEach((a, i) => a.done(ran.message?.[i] ?? { error: ran.error ?? 'it returned nothing' }));
    });
    await Promise.all(wanted.map(async (name) => {
      const example = FIGURES[name]!.example;
      let printed: string | undefined;
      if (example) {
        const out = (await exampleOutputs(examples, [example], 1, ran)).get(example)!;
        if (out.stdout === undefined) throw new Error(`figure ${name} could not be drawn: ${example} failed: ${errorLines(out.error)}`);
        printed = out.stdout;
      }
      const r = await memo(memoKey('figure', name, b.code, data, printed ?? ''), async () => {
        const { output, error } = await draw({ name, printed });
        if (error !== undefined || !output) throw new Error(`figure ${name} could not be drawn: ${error ?? 'it returned nothing'}`);
        return output;
      });
      drawn.set(name, r.value);
      if (r.computed) computed.push(name);
    }));
  });
  return { drawn, computed, cpu: cpu + ran.cpu };
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

/**
 * One picture in a box of its own that scrolls sideways: it may shrink to fit
 * the column, but never below 85% of the size it was drawn at (its 11 px
 * labels stay at 9 px or more); on a phone it keeps that size and scrolls.
 */
function wide(svg: string, title: string): string {
  const width = Number(/^<svg [^>]*\bwidth="(\d+(?:\.\d+)?)"/.exec(svg)?.[1] ?? 0);
  const least = width ? ` style="--fig-least:${Math.ceil(width * 0.85)}px"` : '';
  return `<div class="fig-scroll" role="region" tabindex="0" aria-label="${title}"${least}>${svg}</div>`;
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
    const esc = md.utils.escapeHtml;
    // A stepping figure: every frame in the page, one shown; site.js adds Previous and Next.
    const picture = out.frames
      ? `<div class="stepper" role="region" tabindex="0" aria-label="${esc(FIGURES[name]!.title)}, step by step">${out.frames.map((f, i) => `<div class="step"${i ? ' hidden' : ''}>${f}</div>`).join('')}</div>`
      : out.panels
        ? `<div class="fig-panels">${out.panels.join('')}</div>`
        : out.svg ? wide(out.svg, esc(FIGURES[name]!.title)) : '';
    const legend = out.legend ? `<ul class="fig-legend">${out.legend.map((l) => `<li><span class="swatch" style="background:${esc(l.colour)}"></span>${esc(l.name)}</li>`).join('')}</ul>` : '';
    const how = draw === 'reference' ? 'drawn by the finished code: yours, once the exercises are done, draws the same' : 'drawn by running the code when this page was built';
    return `<figure class="live-figure" id="figure-${name}">${picture}${legend}<figcaption>${esc(FIGURES[name]!.title)} · ${how}</figcaption><details><summary>The same, as a table</summary><pre tabindex="0">${text}</pre></details></figure>\n`;
  };
}
