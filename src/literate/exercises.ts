/**
 * Exercises in the book: a chapter sets one with
 *
 *     ::: exercise ex02-walk
 *     What to write, and what the tests check.
 *     :::
 *
 * rendered as a box (anchor `#ex02-walk`, which the grader's feedback links
 * to) with its title and points from course/exercises.json. The book check
 * makes sure every exercise is set exactly once, in the chapter the course
 * file names, and that its solution lies inside a region that chapter weaves.
 */
import type MarkdownIt from 'markdown-it';
import type { PluginWithParams } from 'markdown-it';
import container from 'markdown-it-container';
import { courseExercises } from '../markers/exercises.ts';
import type { ChapterEnv } from './weave.ts';

const OPEN = /^exercise\s+(\S+)\s*$/;

export function exercisePlugin(md: MarkdownIt, root: string): void {
  const known = new Map((courseExercises(root) ?? []).map((e) => [e.id, e]));
  md.use(container as unknown as PluginWithParams, 'exercise', {
    validate: (params: string) => OPEN.test(params.trim()),
    render(tokens: { nesting: number; info: string }[], idx: number) {
      const token = tokens[idx]!;
      if (token.nesting !== 1) return '</section>\n';
      const id = OPEN.exec(token.info.trim())![1]!;
      const e = known.get(id);
      const esc = md.utils.escapeHtml;
      const head = e ? `Exercise ${esc(id)} · ${esc(e.title)} · ${e.points} points` : `Exercise ${esc(id)}`;
      return `<section class="exercise" id="${esc(id)}"><div class="exercise-tag"><a href="#${esc(id)}">${head}</a> · public tests: <code>test/exercises/${esc(id)}.public.test.ts</code></div>\n`;
    },
  });
  md.core.ruler.push('exercises', (state) => {
    const env = state.env as ChapterEnv;
    for (const token of state.tokens) {
      if (token.type !== 'container_exercise_open') continue;
      const id = OPEN.exec(token.info.trim())![1]!;
      env.exercises.push({ id, line: (token.map?.[0] ?? 0) + 1 });
    }
  });
}
