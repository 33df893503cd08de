/**
 * "Beyond lguest": where this project does something lguest did not (PAE, a
 * Guest model, in-place kernel-mapping updates), the chapter says so in a
 * callout,
 *
 *     ::: beyond A Guest kernel of our own
 *     lguest ran Linux; we run a model …
 *     :::
 *
 * rendered as an aside a reader cannot miss. A callout must have a title.
 */
import type MarkdownIt from 'markdown-it';
import type { PluginWithParams } from 'markdown-it';
import container from 'markdown-it-container';
import type { ChapterEnv } from './weave.ts';

const OPEN = /^beyond(?:\s+(.*))?$/;

export function beyondPlugin(md: MarkdownIt): void {
  md.use(container as unknown as PluginWithParams, 'beyond', {
    validate: (params: string) => OPEN.test(params.trim()),
    render(tokens: { nesting: number; info: string }[], idx: number) {
      const token = tokens[idx]!;
      if (token.nesting !== 1) return '</aside>\n';
      const title = OPEN.exec(token.info.trim())![1] ?? '';
      return `<aside class="beyond"><div class="beyond-tag">Beyond lguest · ${md.utils.escapeHtml(title)}</div>\n`;
    },
  });
  md.core.ruler.push('beyond', (state) => {
    const env = state.env as ChapterEnv;
    for (const token of state.tokens) {
      if (token.type === 'container_beyond_open' && !OPEN.exec(token.info.trim())![1]) {
        env.errors.push({ file: env.path, line: (token.map?.[0] ?? 0) + 1, message: 'a "::: beyond" callout needs a title: ::: beyond <what we do that lguest did not>' });
      }
    }
  });
}
