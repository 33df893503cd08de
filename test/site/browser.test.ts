/*
 * The site in a real browser: the README's build (shared with the other site
 * tests, see built-site.ts), served on loopback and opened in Debian's
 * Chromium, driven by playwright-core. Where Debian's chromium-headless-shell
 * is installed (.ci/run installs it), it is the browser: the same Blink and
 * V8 as chromium, without the browser's own user interface, and it does the
 * same work in about half the processor time.
 *
 * Every page of the book is seen at 390×844 (a phone) and at 1280×900 (a
 * desktop), and of the pages made from one template with other text in it,
 * typedoc's and the source views, those that could differ: one of each kind
 * of API page, and the source views with the longest line, the longest path,
 * the most lines, and the first of each folder. Each page seen: it
 * must not scroll sideways on the phone, its chapter list must open from the
 * menu there and stand beside the text on the desktop, its controls must be
 * 24 px targets, its figures' text at least 9 px, and it must load with no
 * console error and no failed request. A page is loaded into a frame of
 * exactly that size inside a tab (a viewport is a viewport to the page's
 * CSS and script), which costs a third of what a tab's navigation does; the
 * frame stands outside the tab's view, so the browser lays the page out and
 * answers every question about it but paints nothing (a quarter of the cost
 * was paint and raster of pixels nobody looked at). The print view's own
 * make-up (every step and table open, no button, a way back that paper does
 * not show) is read there too, on the phone; chapters, the contents, the
 * index and API pages are also opened as tabs of their own, and painted, by
 * the reader's tests below.
 *
 * axe-core checks each distinct page in both themes (every rule on the
 * phone in the light theme, the colour-contrast rule again in the dark on
 * the desktop), in the same frame and the same load of the page as the
 * sweep of every page: each kind of page (a chapter with its code and one of
 * everything a chapter holds, the contents, the index of identifiers, the
 * conformance map, a source view, typedoc's front page, a class's and a
 * function's) and all of the chapters' text at once, in the print view,
 * which holds every chapter with every step and table open. The other
 * chapters and source views differ from those only in text that axe has
 * already seen in the same markup (see leftOut for what else it skips);
 * every code colour is checked against every background by palette.test.ts.
 *
 * Then what a reader does: search (on the phone, and by keyboard), follow
 * identifiers, step a figure, run an example, print, switch theme.
 * Screenshots of a chapter at both widths in both themes are written to
 * dist/screenshots/ for a person to look at.
 *
 * Chromium is installed by .ci/run. Elsewhere, without either, the test is
 * skipped with a note (set CHROMIUM to a Chromium binary to run it).
 * No verdict depends on time: waits are for states, with generous limits.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, relative } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import sirv from 'sirv';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtSite, root } from './built-site.ts';

const executable = process.env['CHROMIUM'] ?? ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find((p) => existsSync(p)) ?? '/usr/bin/chromium';
const have = existsSync(executable);
if (!have && process.env['CI']) throw new Error(`no Chromium at ${executable}: .ci/run installs Debian's chromium-headless-shell`);
if (!have) console.warn(`browser test skipped: no Chromium at ${executable} (apt-get install chromium-headless-shell, or chromium, or set CHROMIUM)`);

type Size = { width: number; height: number };
const PHONE: Size = { width: 390, height: 844 };
const DESKTOP: Size = { width: 1280, height: 900 };
/** Limits for waits on a state; a loaded machine is slow, never wrong. */
const PATIENCE = 120_000;
/** axe-core, served beside the site so that the browser compiles it once, not once a page. */
const AXE = readFileSync(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');
const AXE_URL = '/__axe.min.js';
/** An empty page with one frame, out of its view, in which every page of the site is seen at both widths. */
const HARNESS_URL = '/__harness.html';
const HARNESS = '<!doctype html><html lang="en"><title>every page</title><body style="margin:0"><iframe id="frame" title="the page under test" style="display:block;border:0;position:absolute;left:-20000px;top:0"></iframe></body></html>';
const SCREENSHOTS = join(root, 'dist/screenshots');

let dir = '';
let server: Server;
let base = '';
let browser: Browser;
let files: string[] = [];

function htmlFiles(d: string): string[] {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? htmlFiles(p) : f.endsWith('.html') ? [p] : [];
  });
}

/** typedoc's pages come from one template per kind (a function, a class…): one of each kind is seen. */
function apiSamples(): string[] {
  const kinds = new Map<string, string>();
  for (const f of files.filter((x) => x.startsWith('api/')).sort()) {
    const kind = f.split('/').length > 2 ? f.split('/')[1]! : f;
    if (!kinds.has(kind)) kinds.set(kind, f);
  }
  return [...kinds.values()];
}

/**
 * The source views come from one template too, and differ in their text: what could push one
 * sideways or crowd it is its longest line, its longest path (the title, on a phone) and its
 * length. The views at each extreme are seen, and the first of each top folder.
 */
function sourceSamples(): string[] {
  const views = files.filter((f) => f.startsWith('source/')).sort();
  const text = new Map(views.map((f) => [f, readFileSync(join(root, f.slice('source/'.length, -'.html'.length)), 'utf8').split('\n')]));
  const most = (score: (f: string) => number) => views.reduce((best, f) => (score(f) > score(best) ? f : best));
  const folder = (f: string) => f.split('/')[1];
  return [...new Set([
    ...views.filter((f, i) => i === views.findIndex((g) => folder(g) === folder(f))),
    most((f) => Math.max(...text.get(f)!.map((l) => l.length))),
    most((f) => f.length),
    most((f) => text.get(f)!.length),
  ])];
}

/** The pages a reader browses: all of the book's, one API page of each kind, and the telling source views. */
function browsedPages(): string[] {
  return [...files.filter((f) => !f.startsWith('api/') && !f.startsWith('source/')), ...apiSamples(), ...sourceSamples()];
}

async function context(viewport: Size, colorScheme: 'light' | 'dark'): Promise<BrowserContext> {
  const c = await browser.newContext({ viewport, colorScheme, reducedMotion: 'reduce' });
  c.setDefaultTimeout(PATIENCE);
  c.setDefaultNavigationTimeout(PATIENCE);
  return c;
}

/** A tab whose console errors, uncaught errors and failed requests (its frames' too) are reported against `current()`. */
async function watchedPage(c: BrowserContext, problems: string[], current: () => string): Promise<Page> {
  const page = await c.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${current()}: console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${current()}: page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`${current()}: request failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${current()}: ${r.status()} for ${r.url()}`); });
  return page;
}

/**
 * One page of the site, seen in the harness's frame at both widths (the
 * width it is loaded at first, then the other). Runs in the browser; returns
 * what is wrong. Kept to one layout per width: a page is measured, the
 * drawer opened and closed, then the frame resized once.
 */
function seePage(a: { url: string; kind: 'book' | 'api' | 'print'; chapters: number; first: Size; then: Size; phone: number }): Promise<string[]> {
  const frame = document.getElementById('frame') as HTMLIFrameElement;
  const size = (s: Size) => { frame.style.width = `${s.width}px`; frame.style.height = `${s.height}px`; };
  size(a.first);
  // typedoc's pages hide their body until their script has set them up.
  const ready = (resolve: () => void) => {
    if (frame.contentDocument!.body.style.display !== 'none') resolve();
    else frame.contentWindow!.requestAnimationFrame(() => ready(resolve));
  };
  return new Promise<void>((resolve) => { frame.onload = () => ready(resolve); frame.src = a.url; }).then(() => {
    const w = frame.contentWindow!, d = frame.contentDocument!;
    const problems: string[] = [];
    const box = (e: Element | null) => e?.getBoundingClientRect();
    const shown = (e: Element | null) => { const r = box(e); return !!e && !!r && r.width > 0 && r.height > 0 && w.getComputedStyle(e).visibility === 'visible'; };
    // Not merely laid out: the first thing under its middle, as a tap would find it.
    const tappable = (e: Element | null) => {
      if (!shown(e)) return false;
      const r = box(e)!;
      const x = r.left + Math.min(r.width / 2, 8), y = r.top + r.height / 2;
      return x >= 0 && x < w.innerWidth && y >= 0 && y < w.innerHeight && e!.contains(d.elementFromPoint(x, y));
    };
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''} "${(e.textContent ?? '').trim().slice(0, 30)}"`;
    // WCAG 2.5.8: a control is at least 24×24 px, or has nothing else to tap within 24 px of its middle.
    const smallTargets = (width: number) => {
      for (const e of d.querySelectorAll('button, input, select, summary, [role="button"]')) {
        const r = box(e)!;
        if (shown(e) && (r.width < 24 || r.height < 24)) problems.push(`a control smaller than 24 px at ${width} px: ${name(e)} is ${Math.round(r.width)}×${Math.round(r.height)}`);
      }
      const links = [...d.querySelectorAll('#drawer a, .toc a, .top-links a, .drawer-links a, .pager a, .lgj-bar a')].filter(shown)
        .map((e) => { const r = box(e)!; return { e, r, x: r.left + r.width / 2, y: r.top + r.height / 2 }; });
      for (const l of links) {
        if (l.r.width >= 24 && l.r.height >= 24) continue;
        const near = links.find((m) => m !== l && Math.hypot(l.x - m.x, l.y - m.y) < 24);
        if (near) problems.push(`a link smaller than 24 px at ${width} px, ${Math.round(Math.hypot(l.x - near.x, l.y - near.y))} px from another: ${name(l.e)} and ${name(near.e)}`);
      }
    };
    const check = (s: Size) => {
      const wide = Math.max(d.documentElement.scrollWidth, d.body.scrollWidth);
      if (wide > s.width) problems.push(`the page is ${wide} px wide at ${s.width} px`);
      if (a.kind === 'api') {
        if (!shown(d.querySelector('.lgj-bar a.lgj-home'))) problems.push(`no way back to the book at ${s.width} px`);
      } else if (a.kind === 'print') {
        if (!shown(d.querySelector('.print-back a'))) problems.push(`no way back from the print view at ${s.width} px`);
      } else if (s.width === a.phone) {
        // The chapter list, behind the menu button.
        const menu = d.getElementById('menu-button');
        if (!tappable(menu)) problems.push('no menu button to tap on the phone');
        else {
          menu!.click();
          const drawer = d.getElementById('drawer')!;
          const links = [...drawer.querySelectorAll('li a[href$=".html"]')];
          if (links.length < a.chapters) problems.push(`the drawer lists ${links.length} chapters of ${a.chapters}`);
          if (!tappable(links[0] ?? null)) problems.push('the drawer opens with its first chapter out of reach');
          const last = box(links.at(-1) ?? null);
          const scrolls = ['auto', 'scroll'].includes(w.getComputedStyle(drawer).overflowY);
          if (!last || last.left < 0 || last.right > s.width || (last.bottom > s.height && !scrolls)) problems.push('the drawer\'s last chapter is off the screen, and the drawer does not scroll');
          d.dispatchEvent(new (w as unknown as typeof window).KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
          if (shown(drawer) && box(drawer)!.right > 0) problems.push('Escape leaves the drawer open');
        }
      } else {
        // The chapter list, a column beside the text.
        const drawer = d.getElementById('drawer');
        if (box(drawer)?.left !== 0 || !tappable(drawer!.querySelector('li a'))) problems.push('the chapter list is not in view on the desktop');
      }
      smallTargets(s.width);
      // A figure is readable where it is shown: its smallest text at 9 px or more (a figure too wide scrolls in its box).
      for (const svg of d.querySelectorAll<SVGSVGElement>('.live-figure svg')) {
        const drawn = svg.viewBox.baseVal?.width, shownAt = box(svg)!.width;
        if (!drawn || !shownAt) continue; // a step not shown, or a figure not drawn in this edition
        const least = Math.min(...[...svg.querySelectorAll('text')].map((t) => parseFloat(w.getComputedStyle(t).fontSize)));
        if (least * shownAt / drawn < 9) problems.push(`at ${s.width} px a figure ("${svg.getAttribute('aria-label')?.slice(0, 40)}") draws text at ${(least * shownAt / drawn).toFixed(1)} px`);
      }
    };
    check(a.first);
    size(a.then);
    check(a.then);
    return problems;
  });
}

/**
 * What axe may leave out of a page, because the run reads the same markup in
 * the same classes elsewhere, and axe walks whatever is in the document (an
 * excluded subtree too), so it is taken out before axe starts:
 *   - the code of a source view and of the print view: the chapter checked
 *     here shows woven code in both themes (and palette.test.ts checks every
 *     code colour on every background);
 *   - the identifiers' index beyond its first 40 rows: every row is one
 *     template, its cells the same classes;
 *   - typedoc's navigation tree (three quarters of each API page), on all
 *     but the API's front page, where it is checked.
 */
function leftOut(file: string): { empty?: string; remove?: string } {
  if (file.startsWith('source/') || file === 'print.html') return { empty: 'pre.shiki' };
  if (file === 'identifiers.html') return { remove: 'tbody tr:nth-child(n+41)' };
  if (file.startsWith('api/') && file !== 'api/index.html') return { empty: '#tsd-nav-container' };
  return {};
}

/** axe-core's serious and critical violations on the page, as `rule: what`. */
async function axe(page: Page | Frame, file: string, runOnly?: string[]): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ url: AXE_URL });
  return page.evaluate(async ({ out, only }: { out: { empty?: string; remove?: string }; only: string[] | null }) => {
    if (out.empty) for (const e of document.querySelectorAll(out.empty)) e.replaceChildren();
    if (out.remove) for (const e of document.querySelectorAll(out.remove)) e.remove();
    type Check = { id: string } | string;
    type Audit = { rules: { id: string; impact?: string; any: Check[]; all: Check[]; none: Check[] }[]; checks: Record<string, { metadata?: { impact?: string } }> };
    const a = (window as unknown as { axe: { _audit?: Audit; run: (ctx: unknown, o: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: unknown[] }[] }> } }).axe;
    const grave = (impact: string | undefined) => impact === 'serious' || impact === 'critical';
    // A rule that can only ever be moderate or minor cannot change the verdict (only serious and critical
    // violations are reported), so it is not run: axe gives a violation its rule's impact where the rule
    // has one, else the gravest of its failing checks' (a quarter of axe's rules, 'region' among them,
    // which walks the whole page). Read from this axe's own rules, so a new version is followed.
    if (!a._audit?.rules.length) throw new Error('axe-core no longer lists its rules in axe._audit: the rules that cannot fail the test are not known');
    const checks = a._audit.checks;
    const mild = a._audit.rules.filter((r) => !(r.impact ? grave(r.impact) : [...r.any, ...r.all, ...r.none].some((c) => grave(checks[typeof c === 'string' ? c : c.id]?.metadata?.impact))));
    // Only violations, and none of the extras (selectors, ancestry, xpaths of every node checked, the
    // stylesheet preload) that a report to a person needs and a pass/fail does not.
    const lean = { resultTypes: ['violations'], selectors: false, ancestry: false, xpath: false, elementRef: false, iframes: false, preload: false, performanceTimer: false };
    const r = await a.run(document, { ...lean, ...(only ? { runOnly: only } : { rules: Object.fromEntries(mild.map((m) => [m.id, { enabled: false }])) }) });
    return r.violations.filter((v) => grave(v.impact))
      .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.length} element(s)`);
  }, { out: leftOut(file), only: runOnly ?? null });
}

/** Set the page's theme as the toggle would, without the toggle (typedoc's pages keep theirs in data-theme). */
function setTheme(page: Page | Frame, theme: 'light' | 'dark'): Promise<void> {
  return page.evaluate((dark) => {
    document.documentElement.classList.toggle('dark', dark);
    if (document.documentElement.dataset['theme']) document.documentElement.dataset['theme'] = dark ? 'dark' : 'light';
  }, theme === 'dark');
}

/** What the sweep found: each page's problems, axe's violations, how many pages it saw, and the print view's make-up. */
interface Sweep { seen: string[]; axe: string[]; axed: string[]; pages: string[]; print: PrintView | undefined }
interface PrintView { viewportMetas: number; steps: number; hiddenSteps: number; closedDetails: number; visibleButtons: string[]; firstIdentHref: string | null; backHref: string | null; backHiddenInPrint: boolean }

/** The print view, as the frame holds it: every step and table open, no button shown, a way back that paper does not show. */
async function printView(page: Page, frame: Frame): Promise<PrintView> {
  // Shown as Playwright's :visible has it: a box of some size, and not visibility: hidden.
  const facts = () => frame.evaluate(() => {
    const shown = (e: Element | null) => { const r = e?.getBoundingClientRect(); return !!e && !!r && r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
    return {
      viewportMetas: document.querySelectorAll('meta[name="viewport"]').length,
      steps: document.querySelectorAll('#figure-one-fault .step').length,
      hiddenSteps: document.querySelectorAll('#figure-one-fault .step[hidden]').length,
      closedDetails: document.querySelectorAll('details:not([open])').length,
      visibleButtons: [...document.querySelectorAll('main button')].filter(shown).map((b) => (b.textContent ?? '').trim().slice(0, 30)),
      firstIdentHref: document.querySelector('main a.ident')?.getAttribute('href') ?? null,
      backHref: document.querySelector('.print-back a')?.getAttribute('href') ?? null,
      backShown: shown(document.querySelector('.print-back')),
    };
  });
  const { backShown: _, ...screen } = await facts();
  await page.emulateMedia({ media: 'print' });
  const paper = await facts();
  await page.emulateMedia({ media: null });
  return { ...screen, backHiddenInPrint: !paper.backShown };
}

describe.skipIf(!have)('the site in Chromium', () => {
  beforeAll(async () => {
    const site = await builtSite();
    expect(site.result.errors).toEqual([]);
    dir = site.dir;
    files = htmlFiles(dir).map((p) => relative(dir, p).split('\\').join('/')).sort();
    // Cacheable, as a real host serves it: each page's site.css and site.js are fetched and compiled
    // once, not again for every one of the pages seen (a failed request is still seen where it fails).
    const handler = sirv(dir, { maxAge: 3600 });
    server = createServer((req, res) => {
      const own = req.url === AXE_URL ? ['text/javascript', AXE] : req.url === HARNESS_URL ? ['text/html', HARNESS] : undefined;
      if (own) {
        res.writeHead(200, { 'content-type': own[0]!, 'cache-control': 'max-age=3600' });
        res.end(own[1]);
        return;
      }
      handler(req, res, () => { res.statusCode = 404; res.end('not found'); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    browser = await chromium.launch({
      executablePath: executable,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  test('every link and anchor of every page resolves, no page repeats an id, and headings go in order', () => {
    const ids = new Map<string, Set<string>>();
    const problems: string[] = [];
    const html = new Map(files.map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    for (const [f, text] of html) {
      const seen = new Set<string>();
      // Attributes of tags only: code on the page may show `id="…"` as text (escaped `<` keeps it out).
      for (const [, id] of text.matchAll(/<[a-zA-Z][^<>]*?\sid="([^"]+)"/g)) {
        if (seen.has(id!)) problems.push(`${f}: id "${id}" is used twice`);
        seen.add(id!);
      }
      ids.set(f, seen);
    }
    for (const [f, text] of html) {
      for (const [, href] of text.matchAll(/<(?:a|link)\s[^<>]*?href="([^"]*)"/g)) {
        if (/^(https?:|mailto:|data:)/.test(href!) || href === '') continue;
        const url = new URL(href!.replace(/&amp;/g, '&'), `http://site/${f}`);
        let target = decodeURIComponent(url.pathname.slice(1)) || 'index.html';
        if (target.endsWith('/')) target += 'index.html';
        if (!ids.has(target)) {
          if (!/\.(css|js|json|ico|svg)$/.test(target) || !existsSync(join(dir, target))) problems.push(`${f}: broken link to ${target}`);
        } else if (url.hash && url.hash !== '#' && !ids.get(target)!.has(decodeURIComponent(url.hash.slice(1)))) problems.push(`${f}: broken anchor ${target}${url.hash}`);
      }
      // TypeDoc must not guess links in prose: "CR0.PG" is a register bit, not a web site.
      for (const [, href] of text.matchAll(/<a\s[^<>]*?href="(https?:\/\/[^"]+)"/g)) if (!/^https?:\/\/(www\.)?[\w-]+\.(org|com|io|net|dev)\//.test(href!)) problems.push(`${f}: a guessed link to ${href}`);
    }
    // Headings in order on the book's pages: an h1 first, and never a level skipped on the way down.
    for (const [f, text] of html) {
      if (f.startsWith('api/')) continue;
      const levels = [...text.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
      if (levels[0] !== 1) problems.push(`${f}: the first heading is h${levels[0]}, not h1`);
      levels.forEach((l, i) => { if (i && l > levels[i - 1]! + 1) problems.push(`${f}: h${levels[i - 1]} is followed by h${l}`); });
    }
    expect(problems).toEqual([]);
    expect(files.length).toBeGreaterThan(200);
  });

  /**
   * The distinct pages axe reads: a chapter with one of everything a chapter can hold (the smallest
   * such: its code is checked here in both themes), all of the chapters' text in the print view, the
   * contents, the index, the conformance map, a source view, and typedoc's front page, a class's and a
   * function's (its pages share one frame and navigation tree).
   */
  function distinctPages(): { everything: string | undefined; api: string[]; pages: string[] } {
    const parts = ['<figure class="woven"', 'class="live-figure"', '<figure class="transcript"', '<table', 'class="exercise', 'class="claim', 'class="beyond'];
    const everything = files.filter((f) => /^\d\d-/.test(f)).map((f) => ({ f, html: readFileSync(join(dir, f), 'utf8') }))
      .filter((c) => parts.every((p) => c.html.includes(p))).sort((x, y) => x.html.length - y.html.length)[0]?.f;
    const api = apiSamples().filter((f) => f === 'api/index.html' || /^api\/(classes|functions)\//.test(f));
    return { everything, api, pages: [...(everything ? [everything] : []), 'print.html', 'index.html', 'identifiers.html', 'conformance.html', files.find((f) => f.startsWith('source/'))!, ...api] };
  }

  /**
   * Every page seen at both widths, and axe run on each distinct page in the same load of it: the
   * two tests below read what this finds, and whichever runs first does the work. Two tabs, each a
   * harness, take pages from one queue, so that the browser lays out one while the other is read.
   */
  let sweep: Promise<Sweep> | undefined;
  function sweepOnce(): Promise<Sweep> {
    sweep ??= (async () => {
      const seen: string[] = [], found: string[] = [], axed: string[] = [];
      let print: PrintView | undefined;
      const c = await context(DESKTOP, 'light');
      const chapters = files.filter((f) => /^\d\d-/.test(f)).length;
      const pages = browsedPages();
      const axePages = new Set(distinctPages().pages);
      const queue = [...pages];
      await Promise.all([0, 1].map(async () => {
        let current = HARNESS_URL;
        const page = await watchedPage(c, seen, () => current);
        await page.goto(base + HARNESS_URL.slice(1));
        const frame = (await (await page.$('#frame'))!.contentFrame())!;
        // The frame starts each page at the width it left the last one at: one resize a page.
        let phoneFirst = true;
        for (let f = queue.shift(); f; f = queue.shift()) {
          current = f;
          const kind: 'book' | 'api' | 'print' = f.startsWith('api/') ? 'api' : f === 'print.html' ? 'print' : 'book';
          const [first, then] = phoneFirst ? [PHONE, DESKTOP] : [DESKTOP, PHONE];
          for (const p of await page.evaluate(seePage, { url: base + f, kind, chapters, first, then, phone: PHONE.width })) seen.push(`${f}: ${p}`);
          phoneFirst = !phoneFirst;
          let size = then;
          const resize = async (to: Size) => {
            if (to !== size) await page.evaluate((s) => { const e = document.getElementById('frame')!; e.style.width = `${s.width}px`; e.style.height = `${s.height}px`; }, to);
            size = to;
          };
          if (f === 'print.html') {
            await resize(PHONE);
            print = await printView(page, frame);
          }
          if (!axePages.has(f)) continue;
          axed.push(f);
          // axe where the page stands, then at the other width: every rule on the phone in the light
          // theme, the colour-contrast rule again on the desktop in the dark.
          const runs = [
            { size: PHONE, theme: 'light' as const, only: undefined, label: 'phone, light' },
            { size: DESKTOP, theme: 'dark' as const, only: ['color-contrast'], label: 'desktop, dark' },
          ];
          if (size === DESKTOP) runs.reverse();
          // As it loaded: the drawer's Escape left the focus on the menu button.
          await frame.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
          for (const r of runs) {
            await resize(r.size);
            await setTheme(frame, r.theme);
            for (const v of await axe(frame, f, r.only)) found.push(`${f} (${r.label}): ${v}`);
          }
        }
        await page.close();
      }));
      await c.close();
      return { seen, axe: found, axed, pages, print };
    })();
    return sweep;
  }

  test('every page of the book, and the telling ones of the API and source templates, at 390×844 and at 1280×900: nothing sideways, the chapter list at hand, 24 px targets, figures readable, no error', async () => {
    const { seen, pages } = await sweepOnce();
    expect(seen).toEqual([]);
    // Every page of the book itself (chapters, contents, index, print view, conformance map…), and
    // the samples of typedoc's and the source views' templates.
    const book = files.filter((f) => !f.startsWith('api/') && !f.startsWith('source/'));
    expect(book.length).toBeGreaterThan(20);
    expect(sourceSamples().length).toBeGreaterThanOrEqual(4);
    expect([...pages].sort()).toEqual([...book, ...apiSamples(), ...sourceSamples()].sort());
  });

  test('axe-core finds nothing serious on any distinct page, in either theme', async () => {
    const { everything, api } = distinctPages();
    expect(everything, 'a chapter with woven code, a figure, a transcript, a table, an exercise, a claim and a Beyond callout').toBeDefined();
    expect(api.length).toBe(3);
    const { axe: violations, axed } = await sweepOnce();
    // axe read every one of them (a distinct page the sweep does not visit would be left out silently).
    expect([...axed].sort()).toEqual([...distinctPages().pages].sort());
    expect(violations).toEqual([]);
  });

  test('screenshots of a chapter at both widths in both themes, for a person to look at', async () => {
    rmSync(SCREENSHOTS, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
    const shots: string[] = [];
    // One tab, loaded once and resized: a viewport is a viewport to the page's CSS.
    const c = await context(DESKTOP, 'light');
    const page = await c.newPage();
    await page.goto(base + chapter('demand-paging'));
    for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      await page.setViewportSize(viewport);
      for (const theme of ['light', 'dark'] as const) {
        await setTheme(page, theme);
        shots.push(`demand-paging-${name}-${theme}.png`);
        await page.screenshot({ path: join(SCREENSHOTS, shots.at(-1)!) });
      }
      if (name === 'phone') {
        await page.click('#menu-button');
        await page.locator('#drawer').waitFor({ state: 'visible' });
        shots.push(`drawer-${name}-dark.png`);
        await page.screenshot({ path: join(SCREENSHOTS, shots.at(-1)!) });
      }
    }
    await c.close();
    expect(readdirSync(SCREENSHOTS).sort()).toEqual(shots.sort());
  });

  /**
   * A chapter's page by its slug, whatever its number: `chapter('tlb')` is '06-tlb.html'.
   * Where any chapter will do, the tests take a short one: the browser lays out less.
   */
  function chapter(slug: string): string {
    const f = files.find((x) => new RegExp(`^\\d\\d-${slug}\\.html$`).test(x));
    if (!f) throw new Error(`no chapter ${slug}`);
    return f;
  }

  /** The page and section whose woven code declares `name`, read from the built chapters. */
  function sectionDeclaring(name: string): string {
    for (const f of files.filter((x) => /^\d\d-.*\.html$/.test(x))) {
      const html = readFileSync(join(dir, f), 'utf8');
      const at = html.search(new RegExp(`(function|const|class|interface|type)</span><span class="t-[\\w-]+"> <a class="ident"[^>]*>${name}</a>`));
      if (at < 0) continue;
      const heading = [...html.slice(0, at).matchAll(/<h[23] id="([^"]+)"/g)].at(-1);
      return heading ? `${f}#${heading[1]}` : f;
    }
    throw new Error(`no chapter declares ${name}`);
  }

  test('search on a phone: results in view, and lguest\'s C names find our code first', async () => {
    const c = await context(PHONE, 'light');
    const page = await c.newPage();
    await page.goto(`${base}${chapter('accessed-dirty')}`);
    for (const [query, ours] of [['guest_set_pte', 'guestSetPte'], ['demand_page', 'demandPage'], ['pin_stack_pages', 'pinStackPages'], ['LHCALL_FLUSH_TLB', 'LHCALL_FLUSH_TLB']] as const) {
      await page.fill('#search', query);
      const first = page.locator('#search-results li[role="option"] a').first();
      await first.waitFor({ state: 'visible' });
      expect(new URL((await first.getAttribute('href'))!).href, query).toBe(new URL(sectionDeclaring(ours), base).href);
      // The match is marked in the snippet, whole: the identifier is not cut at its underscores.
      expect((await first.locator('mark').allTextContents()).map((m) => m.toLowerCase().replace(/_/g, '')), query).toContain(ours.toLowerCase().replace(/_/g, ''));
    }
    // Everything of the results is on the screen.
    const results = await page.locator('#search-results').boundingBox();
    expect(results!.x).toBeGreaterThanOrEqual(0);
    expect(results!.x + results!.width).toBeLessThanOrEqual(PHONE.width);
    expect(results!.y + results!.height).toBeLessThanOrEqual(PHONE.height);
    // A query of prose words finds prose; nonsense finds nothing, and says so.
    await page.fill('#search', 'write-protected');
    await expect.poll(() => page.locator('#search-results li[role="option"]').count(), { timeout: PATIENCE }).toBeGreaterThan(0);
    await page.fill('#search', 'zzzxqv');
    await expect.poll(() => page.locator('#search-results li').first().textContent(), { timeout: PATIENCE }).toBe('nothing found');
    await c.close();
  });

  test('search by keyboard: / and Ctrl+K reach it, arrows choose, Enter goes, Esc and a click elsewhere close it', async () => {
    const c = await context(DESKTOP, 'light');
    const page = await c.newPage();
    await page.goto(`${base}${chapter('accessed-dirty')}`);
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('search');
    await page.keyboard.type('shadow');
    const options = page.locator('#search-results li[role="option"]');
    await expect.poll(() => options.count(), { timeout: PATIENCE }).toBeGreaterThan(2);
    expect(await options.nth(0).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await options.nth(2).getAttribute('aria-selected')).toBe('true');
    expect(await page.getAttribute('#search', 'aria-activedescendant')).toBe(await options.nth(2).getAttribute('id'));
    await page.keyboard.press('ArrowUp');
    expect(await options.nth(1).getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Escape');
    expect(await page.locator('#search-results').isHidden()).toBe(true);
    // A click in the text closes it too.
    await page.locator('#search').click();
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('#search-results').isVisible()).toBe(true);
    await page.locator('main h1').click();
    expect(await page.locator('#search-results').isHidden()).toBe(true);
    // Ctrl+K from the text, then Enter goes to the chosen result.
    await page.keyboard.press('Control+k');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('search');
    await page.keyboard.press('ArrowDown');
    const chosen = await page.locator('#search-results li[aria-selected="true"] a').getAttribute('href');
    await Promise.all([page.waitForURL(chosen!), page.keyboard.press('Enter')]);
    await c.close();
  });

  test('identifiers link both ways, by module: woven code to the chapter that explains them, API pages back, and the index', async () => {
    const c = await context(DESKTOP, 'light');
    const page = await c.newPage();
    const demand = sectionDeclaring('demandPage').split('#')[0]!;
    await page.goto(`${base}${demand}`);
    // The Host's demand pager calls trackedSpte, which the same chapter explains at H:340.
    const ident = page.locator('figure.woven a.ident', { hasText: /^trackedSpte$/ }).first();
    expect(await ident.getAttribute('href')).toMatch(/^\d\d-[\w-]+\.html#region-H340-gpte-to-spte$/);
    expect(await ident.getAttribute('title')).toMatch(/^trackedSpte \(function\) · explained in “[^”]+”, H340-gpte-to-spte · H:340$/);
    // Hovering it offers both places: the chapter and the API page.
    await ident.hover();
    const pop = page.locator('.ident-pop');
    await pop.waitFor({ state: 'visible' });
    expect(await pop.locator('a').nth(0).getAttribute('href')).toBe(new URL((await ident.getAttribute('href'))!, base).href);
    expect(await pop.locator('a').nth(1).getAttribute('href')).toMatch(/\/api\/functions\/src_host_[\w-]+\.trackedSpte\.html$/);
    // The API page of demandPage leads back to its region, and to the index.
    await page.goto(new URL((await page.locator('figure.woven figcaption a', { hasText: /^demandPage$/ }).first().getAttribute('href'))!, page.url()).href);
    await Promise.all([page.waitForURL(/#region-H330-demand-page$/), page.click('p.explained-in a >> nth=0')]);
    await page.goto(`${base}identifiers.html`);
    expect(await page.locator('tr[id$="-demandPage"] td').nth(3).textContent()).toMatch(/^[^·]+ · H330-demand-page · H:330$/);
    // The Guest's FAULTED and the Host's are two entries, each linked from its own modules' code only.
    expect(await page.locator('tr[id$="-FAULTED"]').count()).toBe(2);
    // Read from the built chapters (the same HTML the browser gets): each woven region's file, and the module its FAULTEDs link to.
    const links: { file: string; api: string }[] = [];
    for (const f of files.filter((x) => /^\d\d-/.test(x))) {
      for (const [fig] of readFileSync(join(dir, f), 'utf8').matchAll(/<figure class="woven"[\s\S]*?<\/figure>/g)) {
        const file = /<figcaption>[\s\S]*?<a href="source\/[^"]+">([^<]+)<\/a>/.exec(fig)![1]!;
        for (const [, api] of fig.matchAll(/<a class="ident"[^>]*?data-api="([^"]+)"[^>]*>FAULTED<\/a>/g)) links.push({ file, api: api! });
      }
    }
    expect(links.length).toBeGreaterThan(3);
    for (const l of links) {
      // A module's FAULTED is its own, or the one it imports under that name.
      const imports = [...readFileSync(join(root, l.file), 'utf8').matchAll(/import \{([^}]*)\} from '([^']+)'/g)];
      const imported = imports.find(([, names]) => names!.split(',').some((n) => /^\s*(type\s+)?FAULTED\s*$/.test(n) || /\bas\s+FAULTED\s*$/.test(n)))?.[2];
      const module = imported ? join(l.file, '..', imported).replace(/\.ts$/, '') : l.file.replace(/\.ts$/, '');
      expect(l.api, l.file).toContain(`${module.replace(/[/]/g, '_')}.FAULTED.html`);
    }
    await c.close();
  });

  test('the API pages wear the site\'s theme and lead back to the book', async () => {
    const c = await context(DESKTOP, 'light');
    const page = await c.newPage();
    await page.goto(`${base}index.html`);
    await page.click('#theme-toggle');
    await page.goto(`${base}api/index.html`);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(13, 17, 23)');
    await page.click('#theme-toggle');
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(255, 255, 255)');
    await Promise.all([page.waitForURL(`${base}index.html`), page.click('.lgj-bar a.lgj-home')]);
    expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(false);
    await c.close();
  });

  test('on a desktop the chapter list stays in view, and "On this page" marks the section being read', async () => {
    const c = await context(DESKTOP, 'light');
    const page = await c.newPage();
    await page.goto(`${base}${chapter('pae-shadows')}`);
    const toc = page.locator('nav.toc a');
    const last = await toc.count();
    expect(last).toBeGreaterThan(2);
    const target = (await toc.nth(2).getAttribute('href'))!;
    await page.click(`nav.toc a[href="${target}"]`);
    await expect.poll(() => page.locator('nav.toc a[aria-current]').getAttribute('href'), { timeout: PATIENCE }).toBe(target);
    await page.evaluate(() => scrollTo(0, document.documentElement.scrollHeight));
    await expect.poll(() => page.locator('nav.toc a[aria-current]').getAttribute('href'), { timeout: PATIENCE }).toBe(await toc.nth(last - 1).getAttribute('href'));
    const sidebar = await page.locator('#drawer').boundingBox();
    expect(sidebar!.y).toBeGreaterThanOrEqual(0);
    expect(sidebar!.y).toBeLessThan(100);
    expect(await page.locator('#drawer').evaluate((e) => getComputedStyle(e).overflowY)).toBe('auto');
    await c.close();
  });

  test('an example runs in the page and prints its transcript', async () => {
    const c = await context(DESKTOP, 'light');
    const page = await c.newPage();
    await page.goto(`${base}${chapter('tlb')}`);
    const fig = page.locator('figure.transcript[data-example="examples/06-stale-tlb.ts"]');
    await fig.locator('button.run').click();
    await expect.poll(() => fig.locator('.run-status').getAttribute('data-match'), { timeout: PATIENCE }).toBe('yes');
    const [printed, transcript] = await Promise.all([fig.locator('pre.run-output').textContent(), fig.locator('pre code').first().textContent()]);
    expect(printed!.trimEnd()).toBe(transcript!.trimEnd());
    await c.close();
  });

  test('a figure drawn from the running system can be stepped through, and its steps stay readable on a phone', async () => {
    const c = await context(PHONE, 'light');
    const page = await c.newPage();
    await page.goto(`${base}${chapter('demand-paging')}`);
    const fig = page.locator('#figure-one-fault');
    const where = fig.locator('.step-nav span');
    const total = await fig.locator('.step').count();
    expect(await where.textContent()).toBe(`step 1 of ${total}`);
    await fig.locator('.step-nav button', { hasText: 'Next' }).click();
    await fig.locator('.step-nav button', { hasText: 'Next' }).click();
    expect(await where.textContent()).toBe(`step 3 of ${total}`);
    const svg = fig.locator('.step:not([hidden]) svg');
    expect(await svg.getAttribute('aria-label')).toMatch(new RegExp(`^One page fault, step 3 of ${total}: H:`));
    expect(await fig.locator('.step-nav button', { hasText: 'Previous' }).isEnabled()).toBe(true);
    // Drawn at its full size (the stepper scrolls sideways), so its text is not shrunk on a phone.
    expect((await svg.boundingBox())!.width).toBe(Number(await svg.getAttribute('width')));
    // The same steps, as text, for readers who cannot see the drawing.
    expect(await fig.locator('details pre').textContent()).toContain('read-only until Dirty');
    await c.close();
  });

  test('the print view shows every step and every table, no buttons, and leads back', async () => {
    // Read on the phone in the sweep's load of the print view (the largest page of all), before axe empties its code.
    const p = (await sweepOnce()).print;
    expect(p, 'the sweep saw the print view').toBeDefined();
    expect(p!.viewportMetas).toBe(1);
    expect(p!.steps).toBeGreaterThan(5);
    expect(p!.hiddenSteps).toBe(0);
    expect(p!.closedDetails).toBe(0);
    expect(p!.visibleButtons).toEqual([]);
    // A link from one chapter to another lands within the page.
    expect(p!.firstIdentHref).toMatch(/^#/);
    expect(p!.backHref).toBe('index.html');
    expect(p!.backHiddenInPrint).toBe(true);
  });

  test('dark mode follows the system until toggled, and stays toggled on the next page', async () => {
    // One tab whose system setting changes, as a reader's does at dusk: nothing is stored until the toggle.
    const c = await context(DESKTOP, 'dark');
    const page = await c.newPage();
    const dark = () => page.evaluate(() => document.documentElement.classList.contains('dark'));
    await page.goto(`${base}${chapter('journeys-end')}`);
    expect(await dark()).toBe(true);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${base}index.html`);
    expect(await dark()).toBe(false);
    await page.click('#theme-toggle');
    expect(await dark()).toBe(true);
    expect(await page.getAttribute('#theme-toggle', 'aria-pressed')).toBe('true');
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(13, 17, 23)');
    await page.goto(`${base}${chapter('accessed-dirty')}`);
    expect(await dark()).toBe(true);
    await page.click('#theme-toggle');
    expect(await dark()).toBe(false);
    await c.close();
  });

  test('the skip link is the first stop of the keyboard and lands on the text', async () => {
    const c = await context(PHONE, 'light');
    const page = await c.newPage();
    await page.goto(`${base}${chapter('preface')}`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the text');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('content');
    await c.close();
  });
});
