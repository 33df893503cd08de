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
 * results are kept by their input. With a `store`, they are also kept on
 * disk between builds, for this file's code and shiki's version: a build
 * after a change to the prose highlights only the code that changed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createCssVariablesTheme, createHighlighter, type BundledLanguage, type ShikiTransformer, type ThemedToken } from 'shiki';
import { writeJsonWhole } from '../files/write-whole.ts';

const THEME = createCssVariablesTheme({ name: 'lgj', variablePrefix: '--shiki-', fontStyle: true });
const LANGS = ['ts', 'sh', 'json', 'yaml'];

/** A line of code as shown: the file line it came from, and whether it is marked. */
export type LineInfo = (line: number) => { number?: number; highlighted?: boolean };

export interface SiteHighlighter {
  /** Highlighted HTML for `code`; `lines` numbers (and marks) each line, `id` gives lines `id="L<n>"` anchors. */
  html(code: string, lang: string, lines?: LineInfo, anchors?: boolean): string;
  /** Write what this build highlighted to the store (and only that: nothing stale piles up). */
  save(): void;
}

/** One shiki for the process: its grammars are compiled once, however many builds share it. */
let shared: ReturnType<typeof createHighlighter> | undefined;

/** What a stored result depends on besides its input: this file and shiki. */
function storeVersion(): string {
  const shiki = createRequire(import.meta.url)('shiki/package.json') as { version: string };
  return createHash('sha256').update(readFileSync(import.meta.filename)).update(shiki.version).update(LANGS.join()).digest('hex');
}

/**
 * `store` is a JSON file for results kept between builds; without one (or
 * with LGJ_NO_CACHE=1, which still writes it) every block is highlighted.
 */
export async function siteHighlighter(o: { store?: string; /** shiki's own HTML path every time (what the direct one is checked against). */ viaShiki?: boolean } = {}): Promise<SiteHighlighter> {
  const shiki = await (shared ??= createHighlighter({ themes: [THEME], langs: LANGS }));
  const known = new Set(shiki.getLoadedLanguages());
  const version = o.store ? storeVersion() : '';
  let stored = new Map<string, string>();
  if (o.store && process.env['LGJ_NO_CACHE'] !== '1') {
    try {
      const file = JSON.parse(readFileSync(o.store, 'utf8')) as { version: string; entries: [string, string][] };
      if (file.version === version) stored = new Map(file.entries);
    } catch { /* none yet, or torn: highlight afresh */ }
  }
  const used = new Map<string, string>();
  return {
    html(code, lang, lines, anchors = false) {
      const language = known.has(lang) ? lang : 'text';
      // The key is everything the result depends on: the code, its language, and how each line is numbered and marked.
      const shown = lines ? code.replace(/\n$/, '').split('\n').map((_, i) => lines(i + 1)) : undefined;
      const key = createHash('sha1').update(`${language}\0${anchors}\0${JSON.stringify(shown ?? null)}\0${code}`).digest('base64');
      const hit = used.get(key) ?? stored.get(key);
      if (hit !== undefined) {
        used.set(key, hit);
        return hit;
      }
      const fast = o.viaShiki ? undefined : direct(shiki.codeToTokens(code.replace(/\n$/, ''), { lang: language as BundledLanguage, theme: 'lgj', tokenizeTimeLimit: 0 }).tokens, shown, anchors);
      if (fast !== undefined) {
        used.set(key, fast);
        return fast;
      }
      const transformers: ShikiTransformer[] = [];
      if (shown || anchors) {
        transformers.push({
          line(node, n) {
            const info = shown?.[n - 1] ?? { number: n };
            if (info.number !== undefined) node.properties['data-line'] = info.number;
            if (anchors) node.properties['id'] = `L${n}`;
            if (info.highlighted) this.addClassToHast(node, 'highlighted');
          },
        });
      }
      // No time limit per line: shiki's default (500 ms) leaves the rest of a line untokenized when the
      // machine is busy (a cold grammar under load did, comment and all), and a page must not depend on that.
      const html = shortClasses(shiki.codeToHtml(code.replace(/\n$/, ''), { lang: language, theme: 'lgj', transformers, tokenizeTimeLimit: 0 }));
      used.set(key, html);
      return html;
    },
    save() {
      if (!o.store) return;
      writeJsonWhole(o.store, { version, entries: [...used] });
    },
  };
}

/** A token's colour as the theme gives it: `var(--shiki-token-keyword)`, the class `t-keyword`. */
const VAR = /^var\(--shiki-(?:token-)?([a-z-]+)\)$/;

/**
 * What shortClasses makes of shiki's HTML, written straight from the
 * tokens: the same bytes, without building shiki's tree of every token and
 * printing it (a third of the time highlighting took). A block with a token
 * that is not one plain colour (bold, italic, a background) is left to shiki:
 * undefined.
 */
function direct(tokens: ThemedToken[][], shown: ReturnType<LineInfo>[] | undefined, anchors: boolean): string | undefined {
  const out: string[] = [];
  for (const [i, line] of tokens.entries()) {
    const info = shown?.[i] ?? (anchors ? { number: i + 1 } : {});
    let html = `<span class="line${info.highlighted ? ' highlighted' : ''}"${info.number !== undefined ? ` data-line="${info.number}"` : ''}${anchors ? ` id="L${i + 1}"` : ''}>`;
    // Neighbouring tokens of one colour are one element, as shortClasses makes them.
    let open = '';
    // Whitespace goes with the token after it (shiki's mergeWhitespaces), in that token's colour.
    let carried = '';
    for (const [j, t] of line.entries()) {
      const name = t.color === undefined ? undefined : VAR.exec(t.color)?.[1];
      if (name === undefined || t.fontStyle || t.bgColor || t.htmlStyle || t.htmlAttrs) return undefined;
      if (j + 1 < line.length && /^\s+$/.test(t.content)) {
        carried += t.content;
        continue;
      }
      if (name !== open) html += `${open ? '</span>' : ''}<span class="t-${name}">`;
      open = name;
      html += (carried + t.content).replace(/&/g, '&#x26;').replace(/</g, '&#x3C;');
      carried = '';
    }
    out.push(`${html}${open ? '</span>' : ''}</span>`);
  }
  return `<pre class="shiki" tabindex="0"><code>${out.join('\n')}</code></pre>`;
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
