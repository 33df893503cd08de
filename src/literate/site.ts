/**
 * The site: every chapter rendered through the book's markdown-it pipeline,
 * highlighted by shiki with the real line numbers of each woven region, with
 * the conformance map, source views, search, a print view and typedoc's API
 * reference beside it.
 *
 * The build checks the book first and refuses to produce a site from a book
 * that has drifted from its code. The slow parts that depend only on the
 * code (running the examples, drawing the figures) run in worker threads
 * while this thread renders, and are remembered for the code they ran.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { build } from 'esbuild';
import anchor from 'markdown-it-anchor';
import type MarkdownIt from 'markdown-it';
import { API_FOLDERS, apiCss, explainedBy, type Explanation } from './api.ts';
import { bookMarkdown, bookTranscripts, checkBook, claimIndex, loadBook, type Book } from './book.ts';
import { scanClaimTests, type ClaimTest } from './claims.ts';
import { memoKey, PACKAGE_ROOT } from './cache.ts';
import { drawFigures, figureNames, type DrawnFigures, type FigureMode } from './figures.ts';
import { plainTokens, siteHighlighter, type SiteHighlighter } from './highlight.ts';
import { Identifiers } from './identifiers.ts';
import { contentsPage, esc, h3, layout, pageOf, tableWrap, tocOf } from './layout.ts';
import { printPage, renderChapter } from './print.ts';
import { formatError } from './regions.ts';
import { bundleExamples } from './runnable.ts';
import { searchDocs, searchIndex } from './search.ts';
import { FAVICON, PAGE_CSS } from './site-assets.ts';
import { SourceTree } from './sources.ts';
import { checkTranscripts } from './transcripts.ts';
import { buildApiInWorker, type ApiBuilt } from './workers.ts';
import { PER_THREAD, secs, stopwatch } from './timing.ts';
import type { WovenMeta } from './weave.ts';

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
  const cpu = process.cpuUsage();
  const log = options.log ?? (() => {});
  const { root, out } = options;
  const seconds = (from: number) => secs(performance.now() - from);
  const watch = stopwatch();
  const phase = (name: string) => watch.lap(name);

  // Highlighted code is kept between builds (per tree built: the student edition has its own).
  const highlighter = await siteHighlighter({ store: join(PACKAGE_ROOT, '.cache', `highlight-${memoKey('highlight', root).slice(0, 12)}.json`) });
  const tree = new SourceTree(root);
  const tests = scanClaimTests(tree);
  const drawn: DrawnFigures = new Map();
  const figureMode = options.figures ?? true;
  const ids: { current?: Identifiers } = {};
  const md = siteMarkdown(tree, tests, highlighter, figureMode, ids, drawn);
  const book = loadBook(root, { tree, md, claimTests: tests });
  const errors = checkBook(book).map(formatError);
  if (errors.length) return { pages: [], errors, ms: performance.now() - started };
  phase('check');

  const side = <T>(work: Promise<T>, done: (t: T) => string) => work.then((t) => { log(`  ${done(t)} (${seconds(started)} in)`); return t; });
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  // The slow, independent work starts now, in worker threads: the API
  // reference (typedoc), the examples' transcripts and the figures. This
  // thread meanwhile builds everything else.
  const chapters = book.chapters;
  // The API reference's symbols are what woven identifiers resolve to, and each of
  // its pages links back to the chapter that explains its symbol.
  const explanations = explanationsOf(book);
  const noApi: ApiBuilt = { errors: [], symbols: [] };
  const api = options.api === false ? Promise.resolve(noApi)
    : side(buildApiInWorker({ root, out: join(out, 'api'), explanations }), (r) => `API reference ${r.remembered ? 'remembered from an earlier build of the same code' : `built${r.cpu === undefined ? '' : ` (${secs(r.cpu)} of processor time in its worker)`}`}`);
  const checks = bookTranscripts(book);
  const ran = { cpu: 0, ran: 0 };
  const transcripts = options.transcripts === false ? Promise.resolve<string[]>([])
    : side(checkTranscripts(root, checks, 2, ran).then((e) => e.map(formatError)), () => `${new Set(checks.map((c) => c.example)).size} examples checked against their transcripts (${ran.ran ? `${ran.ran} run, ${secs(ran.cpu)} of processor time in their workers` : 'all remembered from an earlier build of the same code'})`);
  const names = figureMode ? figureNames(book.chapters.flatMap((c) => c.tokens)) : [];
  // A figure drawn from an example's output shares its run with the transcripts' check; the student
  // edition's examples stop at TODOs, so its figures come from the finished code's example.
  const figures = side(drawFigures(root, names, figureMode === 'reference' ? PACKAGE_ROOT : root).then(
    (r) => { for (const [n, f] of r.drawn) drawn.set(n, f); return { errors: [] as string[], computed: r.computed, cpu: r.cpu }; },
    (e: Error) => ({ errors: [e.message], computed: [] as string[], cpu: 0 }),
  ), (r) => `${names.length} figures ready (${r.computed.length ? `drawn: ${r.computed.join(', ')}, ${secs(r.cpu)} of processor time in their workers` : 'all remembered from an earlier build of the same code'})`);

  const pages: string[] = [];
  const write = (rel: string, html: string) => {
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    writeFileSync(join(out, rel), html);
    pages.push(rel);
  };
  const fail = async (e: string[]): Promise<SiteResult> => {
    await Promise.allSettled([transcripts, figures, api]);
    rmSync(out, { recursive: true, force: true });
    return { pages: [], errors: e, ms: performance.now() - started };
  };
  writeFileSync(join(out, 'site.css'), PAGE_CSS);
  // Browsers ask every origin for /favicon.ico; a 404 there is an error in every page's console.
  writeFileSync(join(out, 'favicon.ico'), FAVICON);

  const runnable = await bundleExamples(root, out, checks.map((t) => t.example));
  // The page's script, with the search box, and the search index it reads.
  const client = await build({ entryPoints: [join(import.meta.dirname, 'client/page.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', minify: true, write: false, logLevel: 'silent' });
  writeFileSync(join(out, 'site.js'), client.outputFiles[0]!.text);
  writeFileSync(join(out, 'search-index.json'), searchIndex(searchDocs(chapters, pageOf, book.conformance)));
  phase('scripts');

  // Source views: every file a caption, a claim or an API page links to.
  const sources = new Set<string>();
  for (const ch of chapters) for (const inc of ch.env.includes) sources.add(inc.file);
  for (const t of tests) sources.add(t.file);
  if (options.api !== false) for (const d of API_FOLDERS) for (const file of tree.files(d)) sources.add(file);
  for (const file of [...sources].sort()) {
    const code = readFileSync(join(root, file), 'utf8');
    const html = plainTokens(highlighter.html(code, 'ts', undefined, true));
    write(`source/${file}.html`, layout(book, file, `<h1 class="source-title">${esc(file)}</h1>${html}`, { depth: file.split('/').length }));
  }
  phase('sources');

  const figured = await figures;
  if (figured.errors.length) return fail(figured.errors);
  phase('waiting for figures');
  const reference = await api;
  if (reference.errors.length) return fail(reference.errors);
  if (options.api !== false) {
    writeFileSync(join(out, 'api.css'), apiCss());
    pages.unshift('api/index.html');
  }
  ids.current = new Identifiers(tree, reference.symbols, explainedBy(explanations));
  phase('waiting for typedoc');
  const rendered = new Map(chapters.map((ch) => [ch, renderChapter(md, ch).replace(/<figure class="transcript" data-example="([^"]+)">/g, (all, ex: string) => {
    // A transcript whose example bundled for the browser gets a Run button (site.js adds it).
    const run = runnable.get(ex);
    return run ? `<figure class="transcript" data-example="${ex}" data-run="${run}">` : all;
  })]));
  chapters.forEach((ch, i) => write(pageOf(ch), layout(book, ch.title, rendered.get(ch)!, { current: ch, prev: chapters[i - 1], next: chapters[i + 1], toc: tocOf(ch) })));
  write('index.html', layout(book, 'lguest-journey', contentsPage(book), {}));
  write('conformance.html', layout(book, 'Conformance with lguest', conformancePage(book, md), {}));
  write('identifiers.html', layout(book, 'Index of identifiers', ids.current.indexPage(book), {}));
  write('print.html', printPage(book, (ch) => rendered.get(ch)!));
  phase('chapters');

  const transcriptErrors = await transcripts;
  if (transcriptErrors.length) return fail(transcriptErrors);
  phase('waiting for examples');
  highlighter.save();
  log(`  this thread, clock (processor): ${watch.phases.map((p) => `${p.name} ${secs(p.wall)} (${secs(p.cpu)})`).join(' · ')}`);
  // On a shared machine the clock says little; the processor time this build took (every thread of it) says what it cost.
  const used = process.cpuUsage(cpu);
  const total = (used.user + used.system) / 1000;
  const mine = watch.phases.reduce((a, p) => a + p.cpu, 0);
  const workers = (reference.cpu ?? 0) + figured.cpu + ran.cpu;
  log(`  processor time: ${secs(total)} in this process's threads${PER_THREAD ? `: ${secs(mine)} this one, ${secs(workers)} the workers (API ${secs(reference.cpu ?? 0)}, figures ${secs(figured.cpu)}, examples ${secs(ran.cpu)}), ${secs(total - mine - workers)} the runtime's own (collecting garbage, compiling)` : ''}`);
  return { pages, errors: [], ms: performance.now() - started };
}

/** The book's markdown-it with the site's additions: anchors, shiki, woven captions, linked identifiers, scrolling tables. */
export function siteMarkdown(tree: SourceTree, tests: ClaimTest[], highlighter: SiteHighlighter, figures: FigureMode = true, ids: { current?: Identifiers } = {}, drawn: DrawnFigures = new Map()): MarkdownIt {
  const md = bookMarkdown(tree, { tests: claimIndex(tests), testHref: (t) => `source/${t.file}.html#L${t.line}` }, { figures, drawn });
  // Plain slugs ("rights-combined"), not percent-encoded punctuation, so a link reads like the heading.
  const slugify = (t: string) => t.trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s+/g, '-');
  md.use(anchor, { level: [2, 3], slugify, permalink: anchor.permalink.headerLink() });
  md.options.highlight = (code, lang) => plainTokens(highlighter.html(code, lang));
  md.renderer.rules.table_open = () => '<div class="table-wrap" role="region" tabindex="0" aria-label="Table"><table>\n';
  md.renderer.rules.table_close = () => '</table></div>\n';
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, options, env: { path: string }, self) => {
    const meta = tokens[idx]!.meta as WovenMeta | null;
    if (!meta?.woven) return fence(tokens, idx, options, env, self);
    const html = highlighter.html(tokens[idx]!.content, tokens[idx]!.info || 'ts', (line) => {
      const n = meta.lines[line - 1] ?? meta.firstLine + line - 1;
      return { number: n, highlighted: meta.highlight.includes(n) };
    });
    const identifiers = ids.current;
    const h = meta.h === undefined ? '' : ` · <span class="h-tag">${h3(meta.h)}</span>`;
    const defined = identifiers?.symbols.filter((s) => s.kind !== 'module' && s.file === meta.file && s.line >= meta.firstLine && s.line <= meta.lastLine) ?? [];
    const api = defined.length ? ` · API: ${defined.map((s) => `<a href="${esc(s.url)}">${esc(s.name)}</a>`).join(', ')}` : '';
    const where = `<a href="source/${esc(meta.file)}.html#L${meta.firstLine}">${esc(meta.file)}</a> · lines ${meta.firstLine}–${meta.lastLine}${h}${api}`;
    const page = basename(env.path).replace(/\.md$/, '.html');
    // Identifiers are linked first; tokens in the text's colour (with no link inside) then lose their element.
    const code = plainTokens(identifiers ? identifiers.linkCode(html, meta.file, page) : html);
    return `<figure class="woven" id="region-${esc(meta.region)}"><figcaption><span class="region">${esc(meta.region)}</span> · ${where}</figcaption>${code}</figure>\n`;
  };
  return md;
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
    return `<tr class="status-${esc(e?.status ?? 'missing')}"><td>${h3(j.h)}</td><td>${md.renderInline(j.title)}</td><td>${esc(e?.status ?? 'missing')}</td><td>${regions}</td><td>${e?.note ? md.renderInline(e.note) : ''}</td></tr>`;
  }).join('\n');
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(' · ');
  const table = `<table class="conformance"><thead><tr><th scope="col">H:</th><th scope="col">lguest</th><th scope="col">status</th><th scope="col">our regions</th><th scope="col">note</th></tr></thead><tbody>${rows}</tbody></table>`;
  return `<h1>Conformance with lguest</h1><p>Every <code>H:</code> section of lguest's Host journey, and what this book does with it: ${summary}.</p>
${tableWrap(table, 'Conformance with lguest, section by section')}`;
}

/** Every region the book weaves, in the book's order, with the chapter that explains it. */
function explanationsOf(book: Book): Explanation[] {
  return book.chapters.flatMap((ch) => ch.env.includes.map((inc) => {
    const e: Explanation = { file: inc.file, startLine: inc.startLine, endLine: inc.endLine, page: pageOf(ch), title: ch.title, region: inc.region };
    if (inc.h !== undefined) e.h = inc.h;
    return e;
  }));
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
