/**
 * Figures drawn from the running system: a chapter asks for one by name,
 *
 *     ```figure m009-highmem
 *     ```
 *
 * and the site renders it inline (SVG, with its text form beside it). An
 * unknown name is an error at the chapter's line. Figures are drawn once per
 * build, the first time a page needs them.
 */
import type MarkdownIt from 'markdown-it';
import { FIGURES, type FigureOutput } from '../figures/registry.ts';
import type { ChapterEnv } from './weave.ts';

const INFO = /^figure\s+(\S+)\s*$/;

/**
 * How figures are drawn: by the code being built (`true`), not at all
 * (`false`), or, for the student edition, by the finished code of the
 * edition's maker (`'reference'`): the students' code is not finished yet.
 */
export type FigureMode = boolean | 'reference';

export function figurePlugin(md: MarkdownIt, root: string, draw: FigureMode = true): void {
  const drawn = new Map<string, FigureOutput>();
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
