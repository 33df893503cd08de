/**
 * The API reference: typedoc over the public modules, written into the site
 * under api/. Each symbol's page links back to the chapter that explains it,
 * and the symbols (with the module each comes from) are what woven code's
 * identifiers are resolved against.
 *
 * `npm test` type-checks the whole tree, so typedoc skips its own type check,
 * and it is handed a program of only the modules it documents: the two make
 * the reference several times quicker to build.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainTokens, siteHighlighter, type SiteHighlighter } from './highlight.ts';
import { cssVariables, PALETTES, type Palette } from './palette.ts';
import { TOKEN_CSS } from './site-assets.ts';

/** The folders whose exports make up the API reference. */
export const API_FOLDERS = ['src/hw', 'src/host', 'src/guest', 'src/tools'];

/** An exported symbol with a page of its own in the API reference. */
export interface ApiSymbol {
  name: string;
  kind: string;
  /** Where it is declared: the file from the package root, and the line. */
  file: string;
  line: number;
  /** Its API page, from the site root. */
  url: string;
}

/** Where the book explains a line of code. */
export interface Explained {
  page: string;
  title: string;
  region: string;
  h?: number;
}

/** A woven region's lines, and where the book explains them: what a worker is told in place of a function. */
export interface Explanation extends Explained {
  file: string;
  /** The region's lines, its markers included (0-based start, as the region parser gives them). */
  startLine: number;
  endLine: number;
}

/** The lookup `ApiOptions.explained` wants, from the book's list: the first region that holds the line. */
export function explainedBy(list: Explanation[]): (file: string, line: number) => Explained | undefined {
  return (file, line) => {
    const x = list.find((e) => e.file === file && e.startLine - 1 <= line && line <= e.endLine);
    if (!x) return undefined;
    const e: Explained = { page: x.page, title: x.title, region: x.region };
    if (x.h !== undefined) e.h = x.h;
    return e;
  };
}

export interface ApiOptions {
  root: string;
  out: string;
  explained: (file: string, line: number) => Explained | undefined;
  /** Rewrites each finished page (the site's header, theme and way back). `depth` is its folder depth below api/. */
  decorate?: (html: string, depth: number) => string;
}

export async function buildApi(o: ApiOptions): Promise<{ errors: string[]; symbols: ApiSymbol[] }> {
  const td = await import('typedoc');
  const folders = API_FOLDERS.filter((d) => existsSync(join(o.root, d)) && readdirSync(join(o.root, d)).some((f) => f.endsWith('.ts')));
  // A tsconfig for the documented modules alone, on the project's settings.
  const tmp = mkdtempSync(join(tmpdir(), 'lgj-api-'));
  const tsconfig = join(tmp, 'tsconfig.json');
  writeFileSync(tsconfig, JSON.stringify({
    extends: join(o.root, 'tsconfig.json'),
    // No @types/node: the documented modules use nothing of Node's, and with it every Error of ours
    // listed Node's own statics (captureStackTrace and the like, with Node's docs), at a quarter of typedoc's time.
    compilerOptions: { lib: ['ES2022'], types: [], typeRoots: [join(o.root, 'node_modules/@types')] },
    include: folders.map((d) => join(o.root, d)),
  }));
  try {
    const app = await td.Application.bootstrapWithPlugins({
      entryPoints: folders.map((d) => join(o.root, d, '*.ts')),
      // Source links go to the site's own source views, which carry line anchors.
      disableGit: true,
      basePath: o.root,
      sourceLinkTemplate: '../../source/src/{path}.html#L{line}',
      tsconfig,
      skipErrorChecking: true,
      out: o.out,
      name: 'lguest-journey API',
      excludePrivate: true,
      // Prose like "CR0.PG" is not a web address.
      markdownItOptions: { linkify: false, html: true },
      validation: { notExported: false, invalidLink: true, invalidPath: true },
      treatWarningsAsErrors: true,
      logLevel: 'Warn',
      githubPages: false,
      // The book is the way in; the reference's front page lists its modules.
      readme: 'none',
      // Its highlighter is loaded but not used (see commentCode): one grammar is enough.
      highlightLanguages: ['typescript'],
    });
    // Code in doc comments is highlighted by the site's highlighter, in the site's colours: typedoc's
    // own gives up on a line after 500 ms, which a busy machine reaches, and then the page (and the
    // order of its highlight.css) differs from build to build. (It is loaded only when a comment has code.)
    let highlighter: SiteHighlighter | undefined;
    app.renderer.markedPlugin.getHighlighted = (text, lang) => commentCode(highlighter!, text, lang);
    const symbols: ApiSymbol[] = [];
    app.renderer.on(td.PageEvent.END, (page: InstanceType<typeof td.PageEvent>) => {
      const model = page.model as { name?: string; kind?: number; sources?: { fileName: string; line: number }[] };
      const src = model.sources?.[0];
      const depth = page.url.split('/').length - 1;
      let symbol: ApiSymbol | undefined;
      if (src && model.name && model.kind !== undefined && src.fileName.startsWith('src/')) {
        symbol = { name: model.name, kind: td.ReflectionKind.singularString(model.kind).toLowerCase(), file: src.fileName, line: src.line, url: `api/${page.url}` };
        symbols.push(symbol);
      }
      if (!page.contents) return;
      const e = src && o.explained(src.fileName, src.line);
      if (e && model.name) {
        const up = '../'.repeat(depth + 1);
        const back = `<p class="explained-in">Explained in <a href="${up}${e.page}#region-${e.region}">${esc(e.title)} · ${esc(e.region)}${e.h !== undefined ? ` · H:${String(e.h).padStart(3, '0')}` : ''}</a> · <a href="${up}identifiers.html#${identAnchor(symbol!)}">index</a></p>`;
        page.contents = page.contents.replace(/(<h1[^>]*>[\s\S]*?<\/h1>)/, `$1${back}`);
      }
      if (o.decorate) page.contents = o.decorate(page.contents, depth);
    });
    const project = await app.convert();
    if (!project || app.logger.hasErrors() || app.logger.hasWarnings()) return { errors: ['typedoc: the API reference did not build cleanly (see messages above)'], symbols };
    if (Object.values(project.reflections).some(hasCodeBlock)) highlighter = await siteHighlighter();
    await app.generateDocs(project, o.out);
    unlinkLibrarySources(o.out);
    return { errors: app.logger.hasErrors() ? ['typedoc: generating the API pages failed'] : [], symbols };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Whether a reflection's comment (summary or tags) holds a fenced code block. */
function hasCodeBlock(r: { comment?: { summary: { kind: string; text: string }[]; blockTags: { content: { kind: string; text: string }[] }[] } }): boolean {
  const c = r.comment;
  return !!c && [c.summary, ...c.blockTags.map((t) => t.content)].some((parts) => parts.some((p) => p.kind === 'code' && p.text.startsWith('```')));
}

/** The inside of typedoc's `<pre><code>` for a code block in a comment: the site's tokens, JavaScript read as TypeScript. */
function commentCode(highlighter: SiteHighlighter, text: string, lang = 'ts'): string {
  const l = lang.toLowerCase();
  const html = highlighter.html(text, ['js', 'javascript', 'typescript', 'mjs', 'cjs', 'mts', 'cts'].includes(l) ? 'ts' : l);
  return plainTokens(html.replace(/^<pre[^>]*><code>/, '').replace(/<\/code><\/pre>$/, ''));
}

/** The index's anchor for a symbol: its module and name, unique where the bare name is not. */
export function identAnchor(s: { name: string; file: string }): string {
  return `ident-${s.file.replace(/^src\//, '').replace(/\.ts$/, '').replace(/[^A-Za-z0-9]+/g, '-')}-${s.name}`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * typedoc links members inherited from the standard library (Error's
 * `message`, say) to "source views" of TypeScript's own .d.ts files, which
 * this site does not have. Keep the text, drop the link.
 */
function unlinkLibrarySources(dir: string): void {
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, name.name);
    if (name.isDirectory()) unlinkLibrarySources(p);
    else if (name.name.endsWith('.html')) {
      const html = readFileSync(p, 'utf8');
      const fixed = html.replace(/<a href="[^"]*\/node_modules\/[^"]*"[^>]*>(.*?)<\/a>/g, '$1');
      if (fixed !== html) writeFileSync(p, fixed);
    }
  }
}

/** The API pages in the site's colours: typedoc's own variables, set from the palette. */
export function apiCss(): string {
  const vars = (mode: 'light' | 'dark', p: Palette) => {
    const map: Record<string, string> = {
      'color-background': p.bg, 'color-background-secondary': p['code-bg'], 'color-background-active': p.line, 'color-accent': p.line,
      'color-text': p.fg, 'color-contrast-text': p.fg, 'color-text-aside': p.muted, 'color-link': p.accent, 'color-focus-outline': p.accent,
      'color-ts-keyword': p['t-keyword'], 'color-ts-project': p['t-function'], 'color-ts-module': p['t-function'], 'color-ts-namespace': p['t-function'],
      'color-ts-enum': p['t-parameter'], 'color-ts-enum-member': p['t-parameter'], 'color-ts-variable': p['t-constant'], 'color-ts-function': p['t-function'],
      'color-ts-class': p['t-constant'], 'color-ts-interface': p.ok, 'color-ts-constructor': p['t-constant'], 'color-ts-property': p['t-parameter'],
      'color-ts-method': p['t-function'], 'color-ts-reference': p['t-keyword'], 'color-ts-call-signature': p['t-function'], 'color-ts-index-signature': p['t-parameter'],
      'color-ts-constructor-signature': p['t-constant'], 'color-ts-parameter': p['t-constant'], 'color-ts-type-parameter': p['t-parameter'],
      'color-ts-accessor': p['t-keyword'], 'color-ts-get-signature': p['t-keyword'], 'color-ts-set-signature': p['t-keyword'], 'color-ts-type-alias': p['t-keyword'],
      'color-document': p.fg, 'color-comment-tag': p['code-bg'], 'color-comment-tag-text': p.fg, 'color-icon-background': p.bg, 'color-icon-text': p.fg,
    };
    return Object.entries(map).map(([k, v]) => `--${mode}-${k}: ${v};`).join(' ');
  };
  return `:root { ${vars('light', PALETTES.light)} ${vars('dark', PALETTES.dark)} }
:root { ${cssVariables(PALETTES.light)} }
:root[data-theme="dark"] { ${cssVariables(PALETTES.dark)} }
${TOKEN_CSS}
:root { --light-code-background: ${PALETTES.light['code-bg']}; --dark-code-background: ${PALETTES.dark['code-bg']}; }
.tsd-theme-toggle { display: none; }
.skip { position: absolute; left: .5rem; top: -4rem; z-index: 100; padding: .5rem 1rem; background: var(--bg); color: var(--accent); border: 2px solid var(--accent); border-radius: 6px; }
.skip:focus { top: .5rem; }
.lgj-bar { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem 1.25rem; padding: .4rem 1rem; font: 15px/1.5 system-ui, sans-serif; background: var(--bg); border-bottom: 1px solid var(--line); }
.lgj-bar a { color: var(--accent); padding: .2rem 0; }
.lgj-bar .lgj-home { font-weight: 700; margin-right: auto; }
.lgj-bar button { min-width: 2.25rem; min-height: 2.25rem; background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 6px; cursor: pointer; }
.explained-in { font-size: .95rem; }
.table-wrap { overflow-x: auto; max-width: 100%; }
/* Targets of at least 24 px. */
.tsd-filter-input input[type="checkbox"], .tsd-filter-input svg { width: 24px; height: 24px; }
.tsd-accordion-summary { min-height: 24px; }
`;
}

/**
 * Each API page joins the site: its colours and theme, a bar with the way
 * back to the book, a skip link, and the text marked as the page's main part.
 */
export function apiDecorator(html: string, depth: number): string {
  const up = '../'.repeat(depth + 1);
  const head = `<script>(function(){var t=localStorage.getItem('theme'),d=t?t==='dark':matchMedia('(prefers-color-scheme: dark)').matches;document.documentElement.classList.toggle('dark',d);try{localStorage.setItem('tsd-theme',d?'dark':'light')}catch(e){}})();</script><link rel="stylesheet" href="${up}api.css"/>`;
  const bar = `<a class="skip" href="#content">Skip to the text</a><nav class="lgj-bar" aria-label="The book"><a class="lgj-home" href="${up}index.html">← lguest-journey: the book</a><a href="${up}identifiers.html">Index of identifiers</a><a href="${up}conformance.html">Conformance</a><button type="button" id="theme-toggle" aria-label="Dark mode" aria-pressed="false">◐</button></nav>`;
  return html
    // A permalink inside a folding section's <summary> is a control inside a control.
    .replace(/(<summary\b[^>]*>(?:(?!<\/summary>)[\s\S])*?)<a href="#[^"]*" aria-label="Permalink" class="tsd-anchor-icon">[\s\S]*?<\/a>/g, '$1')
    // Tables scroll in their own box, as in the book.
    .replace(/<table>/g, '<div class="table-wrap" role="region" tabindex="0" aria-label="Table"><table>').replace(/<\/table>/g, '</table></div>')
    .replace('</head>', `${head}</head>`)
    .replace(/<body>/, `<body>${bar}`)
    .replace('<div class="col-content">', '<div class="col-content" role="main" id="content" tabindex="-1">')
    .replace('</body>', `<script src="${up}site.js"></script></body>`);
}
