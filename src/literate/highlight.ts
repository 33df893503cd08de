/**
 * Syntax highlighting for the site, by shiki, tokenized once for both themes.
 *
 * shiki's two-theme output tokenizes every block twice and writes both
 * colours into every token; instead the code is tokenized once against
 * shiki's CSS-variables theme and each token gets a short class
 * (`t-keyword`), whose colour site.css sets per theme. That halves the
 * build's highlighting time, keeps pages small, and puts the palette in one
 * place where its contrast can be checked.
 *
 * The same block is often highlighted twice (a chapter and the print view):
 * results are kept by their input.
 */
import { createCssVariablesTheme, createHighlighter, type ShikiTransformer } from 'shiki';

const THEME = createCssVariablesTheme({ name: 'lgj', variablePrefix: '--shiki-', fontStyle: true });
const LANGS = ['ts', 'sh', 'json', 'yaml'];

/** A line of code as shown: the file line it came from, and whether it is marked. */
export type LineInfo = (line: number) => { number?: number; highlighted?: boolean };

export interface SiteHighlighter {
  /** Highlighted HTML for `code`; `lines` numbers (and marks) each line, `id` gives lines `id="L<n>"` anchors. */
  html(code: string, lang: string, lines?: LineInfo, anchors?: boolean): string;
}

export async function siteHighlighter(): Promise<SiteHighlighter> {
  const shiki = await createHighlighter({ themes: [THEME], langs: LANGS });
  const known = new Set(shiki.getLoadedLanguages());
  const done = new Map<string, string>();
  return {
    html(code, lang, lines, anchors = false) {
      const language = known.has(lang) ? lang : 'text';
      const key = lines || anchors ? undefined : `${language}\0${code}`;
      const hit = key && done.get(key);
      if (hit) return hit;
      const transformers: ShikiTransformer[] = [];
      if (lines || anchors) {
        transformers.push({
          line(node, n) {
            const info = lines?.(n) ?? { number: n };
            if (info.number !== undefined) node.properties['data-line'] = info.number;
            if (anchors) node.properties['id'] = `L${n}`;
            if (info.highlighted) this.addClassToHast(node, 'highlighted');
          },
        });
      }
      const html = shortClasses(shiki.codeToHtml(code.replace(/\n$/, ''), { lang: language, theme: 'lgj', transformers }));
      if (key) done.set(key, html);
      return html;
    },
  };
}

/** The token colours of the theme, as the classes the HTML uses. */
export const TOKEN_CLASSES = ['foreground', 'token-constant', 'token-string', 'token-comment', 'token-keyword', 'token-parameter', 'token-function', 'token-string-expression', 'token-punctuation', 'token-link'] as const;

/**
 * `style="color:var(--shiki-token-keyword)"` becomes `class="t-keyword"`;
 * the `pre`'s colours come from site.css, so its inline style goes.
 */
function shortClasses(html: string): string {
  let out = html
    .replace(/<pre class="shiki lgj" style="[^"]*"/, '<pre class="shiki"')
    .replace(/ style="color:var\(--shiki-(?:token-)?([a-z-]+)\)(;font-style:(italic|bold|underline))?"/g, (_all, name: string, _f, font: string | undefined) => ` class="t-${name}${font ? ` t-${font}` : ''}"`)
    .replace(/ style="font-style:(italic|bold|underline)"/g, ' class="t-$1"');
  // Neighbouring tokens of one colour become one element: fewer nodes for the browser to lay out.
  const same = /<span class="(t-[\w-]+)">([^<]*)<\/span><span class="\1">/g;
  for (let before = ''; before !== out;) {
    before = out;
    out = out.replace(same, '<span class="$1">$2');
  }
  return out;
}

/**
 * Tokens in the text's own colour need no element of their own: unwrapping
 * them (any with a link inside keep theirs) leaves a page with far fewer
 * elements for a browser to lay out.
 */
export function plainTokens(html: string): string {
  return html.replace(/<span class="t-(?:foreground|punctuation)">([^<]*)<\/span>/g, '$1');
}
