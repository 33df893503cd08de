/**
 * The site: every chapter rendered through the book's markdown-it pipeline,
 * highlighted by shiki with the real line numbers of each woven region, with
 * the conformance map, source views and typedoc's API reference beside it.
 *
 * The build checks the book first and refuses to produce a site from a book
 * that has drifted from its code.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import anchor from 'markdown-it-anchor';
import type MarkdownIt from 'markdown-it';
import { buildApi, identAnchor, type ApiSymbol, type Explained } from './api.ts';
import { bookMarkdown, bookTranscripts, checkBook, claimIndex, loadBook, PARTS, type Book, type Chapter } from './book.ts';
import { siteHighlighter, type SiteHighlighter } from './highlight.ts';
import { scanClaimTests, type ClaimTest } from './claims.ts';
import { formatError } from './regions.ts';
import { SourceTree } from './sources.ts';
import { checkTranscripts } from './transcripts.ts';
import type { WovenMeta } from './weave.ts';
import { drawFigures, figureNames, type DrawnFigures, type FigureMode } from './figures.ts';
import { FAVICON, PAGE_CSS, PAGE_JS } from './site-assets.ts';
import { bundleExamples } from './runnable.ts';
import { searchDocs, searchIndex } from './search.ts';
import { build } from 'esbuild';

export interface SiteOptions {
  root: string;
  out: string;
  /** Skip typedoc (tests that only need the chapters). */
  api?: boolean;
  /** Skip running the examples (they are checked by npm test anyway). */
  transcripts?: boolean;
  /** How to draw figures: the student edition's code is unfinished, so its figures come from the reference code. */
  figures?: FigureMode;
  log?: (line: string) => void;
}

export interface SiteResult {
  pages: string[];
  errors: string[];
  ms: number;
}

export async function buildSite(options: SiteOptions): Promise<SiteResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const { root, out } = options;
  const times: string[] = [];
  let lap = started;
  const phase = (name: string) => {
    const now = performance.now();
    times.push(`${name} ${((now - lap) / 1000).toFixed(1)} s`);
    lap = now;
  };
  const highlighter = await siteHighlighter();
  const tree = new SourceTree(root);
  const tests = scanClaimTests(tree);
  const identifiers: Identifiers = { symbols: [], links: new Map() };
  const drawn: DrawnFigures = new Map();
  const figureMode = options.figures ?? true;
  const md = siteMarkdown(tree, tests, highlighter, figureMode, identifiers, drawn);
  const book = loadBook(root, { tree, md, claimTests: tests });
  const errors = checkBook(book).map(formatError);
  if (errors.length) return { pages: [], errors, ms: performance.now() - started };
  phase('check');

  // The slow, independent work starts now, in worker threads: the examples'
  // transcripts and the figures. This thread meanwhile builds everything else.
  const side = (what: string, work: Promise<string[]>) => work.then((e) => { log(`  ${what} (${((performance.now() - started) / 1000).toFixed(1)} s in)`); return e; });
  const transcripts = options.transcripts === false ? Promise.resolve<string[]>([]) : side('examples checked against their transcripts',
    checkTranscripts(root, bookTranscripts(book)).then((e) => e.map(formatError)));
  const names = figureMode ? figureNames(book.chapters.flatMap((c) => c.tokens)) : [];
  const figures = side(`${names.length} figures drawn`, drawFigures(root, names).then(
    (r) => { for (const [n, f] of r.drawn) drawn.set(n, f); return []; },
    (e: Error) => [e.message],
  ));

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const pages: string[] = [];
  const write = (rel: string, html: string) => {
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    writeFileSync(join(out, rel), html);
    pages.push(rel);
  };
  const fail = async (e: string[]) => {
    await Promise.allSettled([transcripts, figures]);
    rmSync(out, { recursive: true, force: true });
    return { pages: [], errors: e, ms: performance.now() - started };
  };
  writeFileSync(join(out, 'site.css'), PAGE_CSS);
  // Browsers ask every origin for /favicon.ico; a 404 there is an error in every page's console.
  writeFileSync(join(out, 'favicon.ico'), FAVICON);
  writeFileSync(join(out, 'site.js'), PAGE_JS);

  const chapters = book.chapters;
  // The API reference comes first: its pages' addresses are what woven identifiers link to,
  // and each page links back to the chapter that explains its symbol.
  const explained = explainedIn(book);
  if (options.api !== false) {
    const api = await buildApi({ root, out: join(out, 'api'), explained });
    if (api.errors.length) return fail(api.errors);
    pages.push('api/index.html');
    identifiers.symbols = api.symbols;
    phase('typedoc');
  }
  for (const s of identifiers.symbols) {
    const where = explained(s.file, s.line);
    identifiers.links.set(s.name, {
      href: where ? `${where.page}#region-${where.region}` : s.url,
      api: s.url,
      title: `${s.name} (${s.kind})${where ? ` · explained in “${where.title}”, ${where.region}${where.h ? ` · H:${String(where.h).padStart(3, '0')}` : ''}` : ''}`,
    });
  }
  write('identifiers.html', layout(book, 'Index of identifiers', identifierIndex(book, identifiers.symbols, explained), {}));
  const runnable = await bundleExamples(root, out, bookTranscripts(book).map((t) => t.example));
  // Search: the index of every section, and the script that reads it.
  writeFileSync(join(out, 'search-index.json'), searchIndex(searchDocs(chapters, pageOf)));
  const client = await build({ entryPoints: [join(import.meta.dirname, 'client/search.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, write: false, logLevel: 'silent' });
  writeFileSync(join(out, 'search.js'), client.outputFiles[0]!.text);
  phase('bundles');

  // Source views: every file a caption or a claim links to.
  const sources = new Set<string>();
  for (const ch of chapters) for (const inc of ch.env.includes) sources.add(inc.file);
  for (const t of tests) sources.add(t.file);
  for (const file of tree.files('src')) sources.add(file); // typedoc's source links land here
  for (const file of [...sources].sort()) {
    const code = readFileSync(join(root, file), 'utf8');
    const html = highlighter.html(code, 'ts', undefined, true);
    write(`source/${file}.html`, layout(book, file, `<h1 class="source-title">${esc(file)}</h1>${html}`, { depth: file.split('/').length }));
  }
  phase('sources');

  const figureErrors = await figures;
  if (figureErrors.length) return fail(figureErrors);
  phase('waiting for figures');
  chapters.forEach((ch, i) => {
    // A transcript whose example bundled for the browser gets a Run button (site.js adds it).
    const body = md.renderer.render(ch.tokens, md.options, ch.env).replace(/<figure class="transcript" data-example="([^"]+)">/g, (all, ex: string) => {
      const run = runnable.get(ex);
      return run ? `<figure class="transcript" data-example="${ex}" data-run="${run}">` : all;
    });
    write(pageOf(ch), layout(book, ch.title, body, {
      current: ch, prev: chapters[i - 1], next: chapters[i + 1], toc: tocOf(ch),
    }));
  });
  write('index.html', layout(book, 'lguest-journey', contentsPage(book), {}));
  write('conformance.html', layout(book, 'Conformance with lguest', conformancePage(book, md), {}));
  write('print.html', printPage(book, md));
  phase('chapters');

  const transcriptErrors = await transcripts;
  if (transcriptErrors.length) return fail(transcriptErrors);
  phase('waiting for examples');
  log(`  ${times.join(' · ')}`);
  return { pages, errors: [], ms: performance.now() - started };
}

/** The book's markdown-it with the site's additions: anchors, shiki, woven captions, claim links. */
/** The API's symbols, and where a woven identifier links (filled in once the API is built). */
export interface Identifiers {
  symbols: ApiSymbol[];
  /** Where each identifier is explained (the chapter, or its API page if no chapter weaves it), and its API page. */
  links: Map<string, { href: string; title: string; api: string }>;
}

export function siteMarkdown(tree: SourceTree, tests: ClaimTest[], highlighter: SiteHighlighter, figures: FigureMode = true, identifiers: Identifiers = { symbols: [], links: new Map() }, drawn: DrawnFigures = new Map()): MarkdownIt {
  const md = bookMarkdown(tree, { tests: claimIndex(tests), testHref: (t) => `source/${t.file}.html#L${t.line}` }, { figures, drawn });
  // Plain slugs ("rights-combined"), not percent-encoded punctuation, so a link reads like the heading.
  const slugify = (t: string) => t.trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s+/g, '-');
  md.use(anchor, { level: [2, 3], slugify, permalink: anchor.permalink.headerLink() });
  md.options.highlight = (code, lang) => highlighter.html(code, lang);
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    const meta = tokens[idx]!.meta as WovenMeta | null;
    if (!meta?.woven) return fence(tokens, idx, options, env, self);
    const html = highlighter.html(tokens[idx]!.content, tokens[idx]!.info || 'ts', (line) => {
      const n = meta.lines[line - 1] ?? meta.firstLine + line - 1;
      return { number: n, highlighted: meta.highlight.includes(n) };
    });
    const h = meta.h === undefined ? '' : ` · <span class="h-tag">H:${String(meta.h).padStart(3, '0')}</span>`;
    const defined = identifiers.symbols.filter((s) => s.file === meta.file && s.line >= meta.firstLine && s.line <= meta.lastLine);
    const api = defined.length ? ` · API: ${defined.map((s) => `<a href="${esc(s.url)}">${esc(s.name)}</a>`).join(', ')}` : '';
    const where = `<a href="source/${esc(meta.file)}.html#L${meta.firstLine}">${esc(meta.file)}</a> · lines ${meta.firstLine}–${meta.lastLine}${h}${api}`;
    return `<figure class="woven" id="region-${esc(meta.region)}"><figcaption><span class="region">${esc(meta.region)}</span> · ${where}</figcaption>${linkIdentifiers(html, identifiers)}</figure>\n`;
  };
  return md;
}

function pageOf(ch: Chapter): string {
  return `${String(ch.number).padStart(2, '0')}-${ch.slug}.html`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface LayoutOptions {
  current?: Chapter;
  prev?: Chapter | undefined;
  next?: Chapter | undefined;
  toc?: { level: number; id: string; text: string }[];
  /** How many folders below the site root the page sits. */
  depth?: number;
}

function hRange(ch: Chapter): string {
  return ch.h ? `H:${String(ch.h[0]).padStart(3, '0')}–${String(ch.h[1]).padStart(3, '0')}` : '';
}

function layout(book: Book, title: string, body: string, o: LayoutOptions): string {
  const base = o.depth ? '../'.repeat(o.depth) : '';
  const sidebar = PARTS.map((part) => {
    const list = book.chapters.filter((c) => c.part === part);
    if (!list.length) return '';
    const items = list.map((c) => `<li${c === o.current ? ' class="current"' : ''}><a href="${base}${pageOf(c)}">${esc(c.title)}</a>${c.h ? ` <span class="h-range">${hRange(c)}</span>` : ''}</li>`).join('');
    return `<h2>${part}</h2><ol>${items}</ol>`;
  }).join('');
  const toc = o.toc?.length
    ? `<nav class="toc" aria-label="On this page"><h2>On this page</h2><ol>${o.toc.map((t) => `<li class="l${t.level}"><a href="#${esc(t.id)}">${esc(t.text)}</a></li>`).join('')}</ol></nav>`
    : '';
  const pager = o.current
    ? `<nav class="pager">${o.prev ? `<a rel="prev" href="${pageOf(o.prev)}">← ${esc(o.prev.title)}</a>` : '<span></span>'}${o.next ? `<a rel="next" href="${pageOf(o.next)}">${esc(o.next.title)} →</a>` : ''}</nav>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · lguest-journey</title>
<link rel="stylesheet" href="${base}site.css">
<script>document.documentElement.classList.toggle('dark', localStorage.getItem('theme') === 'dark' || (!localStorage.getItem('theme') && matchMedia('(prefers-color-scheme: dark)').matches));</script>
</head>
<body>
<header class="top"><a class="brand" href="${base}index.html">lguest-journey</a>
<div class="search"><input type="search" id="search" placeholder="Search the book" aria-label="Search the book" autocomplete="off"><ol id="search-results"></ol></div>
<nav><a href="${base}identifiers.html">Index</a> <a href="${base}conformance.html">Conformance</a> <a href="${base}api/index.html">API</a> <a href="${base}print.html">Print</a>
<button id="theme-toggle" type="button" aria-label="Toggle dark mode">◐</button></nav></header>
<div class="frame">
<nav class="sidebar" aria-label="Chapters">${sidebar}</nav>
<main>${o.current ? `<p class="chapter-meta">${esc(o.current.part)}${o.current.h ? ` · ${hRange(o.current)}` : ''}</p>` : ''}
${body}
${pager}</main>
${toc}
</div>
<script src="${base}site.js"></script>
<script src="${base}search.js"></script>
</body>
</html>
`;
}

function tocOf(ch: Chapter): { level: number; id: string; text: string }[] {
  const toc: { level: number; id: string; text: string }[] = [];
  ch.tokens.forEach((t, i) => {
    if (t.type !== 'heading_open' || (t.tag !== 'h2' && t.tag !== 'h3')) return;
    const id = t.attrGet('id');
    const text = ch.tokens[i + 1]?.children?.filter((c) => c.type === 'text' || c.type === 'code_inline').map((c) => c.content).join('') ?? '';
    if (id) toc.push({ level: Number(t.tag[1]), id, text });
  });
  return toc;
}

function contentsPage(book: Book): string {
  const parts = PARTS.map((part) => {
    const list = book.chapters.filter((c) => c.part === part);
    if (!list.length) return '';
    return `<h2>${part[0]!.toUpperCase()}${part.slice(1)}</h2><ol class="contents">${list.map((c) => `<li><a href="${pageOf(c)}">${esc(c.title)}</a>${c.h ? ` <span class="h-range">${hRange(c)}</span>` : ''}</li>`).join('')}</ol>`;
  }).join('');
  return `<h1>lguest-journey</h1><p>A literate journey through x86 paging and lguest's shadow page tables, in TypeScript.</p>${parts}`;
}

function conformancePage(book: Book, md: MarkdownIt): string {
  const c = book.conformance;
  const entries = new Map(c.entries.map((e) => [e.h, e]));
  const where = new Map<string, string>();
  for (const ch of book.chapters) for (const inc of ch.env.includes) where.set(inc.region, `${pageOf(ch)}#region-${inc.region}`);
  const counts = new Map<string, number>();
  for (const e of c.entries) counts.set(e.status, (counts.get(e.status) ?? 0) + 1);
  const rows = c.journey.map((j) => {
    const e = entries.get(j.h);
    const regions = (e?.regions ?? []).map((r) => `<a href="${esc(where.get(r) ?? '#')}"><code>${esc(r)}</code></a>`).join(' ');
    return `<tr class="status-${esc(e?.status ?? 'missing')}"><td>H:${String(j.h).padStart(3, '0')}</td><td>${md.renderInline(j.title)}</td><td>${esc(e?.status ?? 'missing')}</td><td>${regions}</td><td>${e?.note ? md.renderInline(e.note) : ''}</td></tr>`;
  }).join('\n');
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(' · ');
  return `<h1>Conformance with lguest</h1><p>Every <code>H:</code> section of lguest's Host journey, and what this book does with it: ${summary}.</p>
<table class="conformance"><thead><tr><th>H:</th><th>lguest</th><th>status</th><th>our regions</th><th>note</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function printPage(book: Book, md: MarkdownIt): string {
  const toc = book.chapters.map((c) => `<li><a href="#ch-${c.number}">${esc(c.title)}</a></li>`).join('');
  const body = book.chapters.map((c) => `<section class="print-chapter" id="ch-${c.number}">${md.renderer.render(c.tokens, md.options, c.env)}</section>`).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>lguest-journey (print)</title><link rel="stylesheet" href="site.css"></head>
<body class="print"><main><h1>lguest-journey</h1><nav class="print-toc"><h2>Contents</h2><ol>${toc}</ol></nav>${body}</main><script src="site.js"></script></body></html>`;
}

/** Which chapter weaves the line `line` of `file`, in which region. */
function explainedIn(book: Book): (file: string, line: number) => Explained | undefined {
  return (file, line) => {
    for (const ch of book.chapters) {
      for (const inc of ch.env.includes) {
        if (inc.file === file && inc.startLine - 1 <= line && line <= inc.endLine) {
          const e: Explained = { page: pageOf(ch), title: ch.title, region: inc.region };
          if (inc.h !== undefined) e.h = inc.h;
          return e;
        }
      }
    }
    return undefined;
  };
}

/** Wrap each known identifier in woven, highlighted code in a link to where the book explains it. */
function linkIdentifiers(html: string, identifiers: Identifiers): string {
  if (!identifiers.links.size) return html;
  return html.replace(/>(\s*)([A-Za-z_$][\w$]*)<\/span>/g, (all, space: string, name: string) => {
    const link = identifiers.links.get(name);
    return link ? `>${space}<a class="ident" href="${esc(link.href)}" data-api="${esc(link.api)}" title="${esc(link.title)}">${name}</a></span>` : all;
  });
}

/** The index of identifiers: each exported symbol, where it is defined and explained, and every chapter that weaves it. */
function identifierIndex(book: Book, symbols: ApiSymbol[], explained: (file: string, line: number) => Explained | undefined): string {
  const wovenIn = (name: string) => book.chapters.filter((ch) => ch.tokens.some((t) => t.type === 'fence' && (t.meta as WovenMeta | null)?.woven && new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\b`).test(t.content)));
  const rows = [...symbols].sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file)).map((s) => {
    const e = explained(s.file, s.line);
    const where = e ? `<a href="${e.page}#region-${esc(e.region)}">${esc(e.title)}</a> · <code>${esc(e.region)}</code>${e.h !== undefined ? ` · H:${String(e.h).padStart(3, '0')}` : ''}` : '<span class="muted">not woven</span>';
    const uses = wovenIn(s.name).map((ch) => `<a href="${pageOf(ch)}">${esc(ch.title)}</a>`).join(', ');
    return `<tr id="${identAnchor(s)}"><td><a href="${esc(s.url)}"><code>${esc(s.name)}</code></a></td><td>${esc(s.kind)}</td><td><a href="source/${esc(s.file)}.html#L${s.line}">${esc(s.file)}:${s.line}</a></td><td>${where}</td><td>${uses}</td></tr>`;
  }).join('\n');
  return `<h1>Index of identifiers</h1><p>Every exported name in the API reference, like the index at the back of a Knuth book: where it is defined, the chapter that explains it, and every chapter whose code uses it.</p>
<table class="identifiers"><thead><tr><th>name</th><th>kind</th><th>defined at</th><th>explained in</th><th>woven in</th></tr></thead><tbody>${rows}</tbody></table>`;
}

// #region X-student-site
// unwoven: the course handout (npm run course:handout -- --site) builds the student edition with this.
/**
 * The student edition of the site: transcripts are not re-run (the examples
 * stop at TODOs), and figures come from the finished code.
 */
export function buildStudentSite(root: string, out: string): Promise<{ pages: unknown[]; errors: string[] }> {
  return buildSite({ root, out, transcripts: false, figures: 'reference' });
}
// #endregion X-student-site
