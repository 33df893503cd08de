/*
 * The site in a real browser: the README's build (shared with the other site
 * tests, see built-site.ts), served on loopback, every page opened in
 * Debian's Chromium (driven by playwright-core), once each: on a phone
 * (390×844) in the light theme, then widened to a desktop (1280×900) in the
 * dark. No console error, no failed request, and no serious or critical
 * accessibility violation by axe-core (every rule on the phone, the
 * colour-contrast rule again in the dark). On the phone nothing scrolls
 * sideways and the chapter list opens from the menu; on the desktop it is in
 * view beside the text.
 * Then what a reader does: search (on the phone, and by keyboard), follow
 * identifiers, step a figure, run an example, print, switch theme.
 * Screenshots of a chapter at both widths in both themes are written to
 * dist/screenshots/ for a person to look at.
 *
 * Chromium is installed by .ci/run. Elsewhere, without it, the test is
 * skipped with a note (set CHROMIUM to a Chromium binary to run it).
 * No verdict depends on time: waits are for states, with generous limits.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, relative } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import sirv from 'sirv';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtSite, root } from './built-site.ts';

const executable = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const have = existsSync(executable);
if (!have && process.env['CI']) throw new Error(`no Chromium at ${executable}: .ci/run installs Debian's chromium`);
if (!have) console.warn(`browser test skipped: no Chromium at ${executable} (apt-get install chromium, or set CHROMIUM)`);

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
/** Pages open at once: the browser renders one while the test reads another. */
const AT_ONCE = 2;
/** Limits for waits on a state; a loaded machine is slow, never wrong. */
const PATIENCE = 120_000;
/** axe-core, served beside the site so that the browser compiles it once, not once a page. */
const AXE = readFileSync(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');
const AXE_URL = '/__axe.min.js';
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

/** The pages a reader browses: everything but typedoc's, and of typedoc's one of each kind. */
function browsedPages(): string[] {
  const api = files.filter((f) => f.startsWith('api/'));
  const kinds = new Map<string, string>();
  for (const f of api.sort()) {
    const kind = f.split('/').length > 2 ? f.split('/')[1]! : f;
    if (!kinds.has(kind)) kinds.set(kind, f);
  }
  return [...files.filter((f) => !f.startsWith('api/')), ...kinds.values()];
}

async function context(viewport: { width: number; height: number }, colorScheme: 'light' | 'dark'): Promise<BrowserContext> {
  const c = await browser.newContext({ viewport, colorScheme, reducedMotion: 'reduce' });
  c.setDefaultTimeout(PATIENCE);
  c.setDefaultNavigationTimeout(PATIENCE);
  return c;
}

/** Open each page in turn on `lanes` tabs, with console errors and failed requests collected. */
async function visitAll(c: BrowserContext, pages: string[], visit: (page: Page, file: string, problems: string[]) => Promise<void>): Promise<string[]> {
  const problems: string[] = [];
  const queue = [...pages];
  await Promise.all(Array.from({ length: AT_ONCE }, async () => {
    const page = await c.newPage();
    let current = '';
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${current}: console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`${current}: page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`${current}: request failed: ${r.url()}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`${current}: ${r.status()} for ${r.url()}`); });
    for (let f = queue.shift(); f; f = queue.shift()) {
      current = f;
      await page.goto(base + f, { waitUntil: 'load' });
      await visit(page, f, problems);
    }
    await page.close();
  }));
  return problems;
}

/**
 * axe-core's serious and critical violations on the page, as `rule: what (where)`.
 * On a source view and the print view the code is left out: it is the same
 * code, in the same classes, as the chapters', where axe checks it in both
 * themes (and palette.ts's test checks every code colour on every background).
 */
async function axe(page: Page, file: string, runOnly?: string[]): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ url: AXE_URL });
  const leaveOut: string | null = file.startsWith('source/') || file === 'print.html' ? 'pre.shiki' : null;
  const args: { leaveOut: string | null; only: string[] | null } = { leaveOut, only: runOnly ?? null };
  return page.evaluate(async ({ leaveOut, only }: { leaveOut: string | null; only: string[] | null }) => {
    const a = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    // Only violations, and none of the extras (selectors, ancestry, xpaths of every node checked, the
    // stylesheet preload) that a report to a person needs and a pass/fail does not.
    const lean = { resultTypes: ['violations'], selectors: false, ancestry: false, xpath: false, elementRef: false, iframes: false, preload: false, performanceTimer: false };
    const r = await a.run(leaveOut ? { exclude: [[leaveOut]] } : document, { ...lean, ...(only ? { runOnly: only } : {}) });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.length} element(s)`);
  }, args);
}

/**
 * WCAG 2.5.8: every control at least 24×24 px; a link in a list of links may
 * be smaller if nothing else that can be tapped is within 24 px of its middle.
 * (axe's own target-size rule is off by default and costs as much as all its
 * other rules together on a page of linked code, so it is done here.)
 */
function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const visible = (e: Element) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.split(' ')[0]}` : ''} "${(e.textContent ?? '').trim().slice(0, 30)}"`;
    const small: string[] = [];
    for (const e of document.querySelectorAll('button, input, select, summary, [role="button"]')) {
      if (!visible(e)) continue;
      const r = e.getBoundingClientRect();
      if (r.width < 24 || r.height < 24) small.push(`${name(e)} is ${Math.round(r.width)}×${Math.round(r.height)}`);
    }
    const links = [...document.querySelectorAll('#drawer a, .toc a, .top-links a, .drawer-links a, .pager a, .lgj-bar a')].filter(visible);
    const centres = links.map((e) => { const r = e.getBoundingClientRect(); return { e, r, x: r.left + r.width / 2, y: r.top + r.height / 2 }; });
    for (const a of centres) {
      if (a.r.width >= 24 && a.r.height >= 24) continue;
      const near = centres.find((b) => b !== a && Math.hypot(a.x - b.x, a.y - b.y) < 24);
      if (near) small.push(`${name(a.e)} is ${Math.round(a.r.width)}×${Math.round(a.r.height)}, ${Math.round(Math.hypot(a.x - near.x, a.y - near.y))} px from ${name(near.e)}`);
    }
    return small;
  });
}

describe.skipIf(!have)('the site in Chromium', () => {
  beforeAll(async () => {
    const site = await builtSite();
    expect(site.result.errors).toEqual([]);
    dir = site.dir;
    files = htmlFiles(dir).map((p) => relative(dir, p).split('\\').join('/')).sort();
    const handler = sirv(dir, { dev: true });
    server = createServer((req, res) => {
      if (req.url === AXE_URL) {
        res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'max-age=3600' });
        res.end(AXE);
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

  test('every page, on a phone and on a desktop: no error, nothing sideways, the chapter list at hand, nothing serious for axe in either theme', async () => {
    // One visit a page, seen at both widths: on the phone in the light theme (every axe rule),
    // on the desktop in the dark (axe's contrast rule). A tab starts each page at the width it
    // ended the last one, so that it changes size once per page.
    const c = await context(PHONE, 'light');
    const chapters = files.filter((f) => /^\d\d-/.test(f)).length;
    const onPhone = async (page: Page, f: string, problems: string[]) => {
      await page.setViewportSize(PHONE);
      await page.evaluate(() => {
        document.documentElement.classList.remove('dark');
        if (document.documentElement.dataset['theme']) document.documentElement.dataset['theme'] = 'light';
      });
      const wide = await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));
      if (wide > PHONE.width) problems.push(`${f}: the page is ${wide} px wide at ${PHONE.width} px`);
      // The chapter list: behind the menu on our pages, behind typedoc's bar on the API's, which links back to the book.
      if (f.startsWith('api/')) {
        if (!(await page.locator('.lgj-bar a.lgj-home').isVisible())) problems.push(`${f}: no way back to the book in view`);
      } else if (f !== 'print.html') {
        await page.click('#menu-button');
        const links = page.locator('#drawer li a[href$=".html"]');
        await links.first().waitFor({ state: 'visible' });
        const n = await links.count();
        if (n < chapters) problems.push(`${f}: the drawer lists ${n} chapters of ${chapters}`);
        const box = await links.last().boundingBox();
        if (!box || box.x < 0 || box.x + box.width > PHONE.width) problems.push(`${f}: the drawer's chapter list is not on the screen`);
        await page.keyboard.press('Escape');
        await page.locator('#drawer').waitFor({ state: 'hidden' });
      } else if (!(await page.locator('.print-back a').isVisible())) problems.push(`${f}: no way back from the print view`);
      for (const v of await axe(page, f)) problems.push(`${f} (phone, light): ${v}`);
      for (const t of await smallTargets(page)) problems.push(`${f} (phone): a target smaller than 24 px with no room around it: ${t}`);
    };
    const onDesktop = async (page: Page, f: string, problems: string[]) => {
      await page.setViewportSize(DESKTOP);
      if (!f.startsWith('api/') && f !== 'print.html') {
        const box = await page.locator('#drawer').boundingBox();
        if (!box || box.x !== 0 || !(await page.locator('#drawer li a').first().isVisible())) problems.push(`${f}: the chapter list is not in view on a desktop`);
      }
      for (const t of await smallTargets(page)) problems.push(`${f} (desktop): a target smaller than 24 px with no room around it: ${t}`);
      await page.evaluate(() => {
        document.documentElement.classList.add('dark');
        if (document.documentElement.dataset['theme']) document.documentElement.dataset['theme'] = 'dark';
      });
      for (const v of await axe(page, f, ['color-contrast'])) problems.push(`${f} (desktop, dark): ${v}`);
    };
    const problems = await visitAll(c, browsedPages(), async (page, f, problems) => {
      // Whichever width the tab has now comes first.
      if (page.viewportSize()?.width === PHONE.width) {
        await onPhone(page, f, problems);
        await onDesktop(page, f, problems);
      } else {
        await onDesktop(page, f, problems);
        await onPhone(page, f, problems);
      }
    });
    await c.close();
    expect(problems).toEqual([]);
  });

  test('screenshots of a chapter at both widths in both themes, for a person to look at', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const dark = (page: Page, on: boolean) => page.evaluate((d) => document.documentElement.classList.toggle('dark', d), on);
    for (const [name, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
      const c = await context(viewport, 'light');
      const page = await c.newPage();
      for (const [shot, url] of [['demand-paging', chapter('demand-paging')], ['m009-figure', `${chapter('mastery-highmem')}#figure-m009-highmem`]] as const) {
        await page.goto(base + url);
        for (const theme of ['light', 'dark'] as const) {
          await dark(page, theme === 'dark');
          await page.screenshot({ path: join(SCREENSHOTS, `${shot}-${name}-${theme}.png`) });
        }
      }
      if (name === 'phone') {
        await page.click('#menu-button');
        await page.locator('#drawer').waitFor({ state: 'visible' });
        await page.screenshot({ path: join(SCREENSHOTS, `drawer-${name}-dark.png`) });
      }
      await c.close();
    }
    expect(readdirSync(SCREENSHOTS).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(9);
  });

  /** A chapter's page by its slug, whatever its number: `chapter('tlb')` is '06-tlb.html'. */
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
    await page.goto(`${base}${chapter('rights')}`);
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
    await page.goto(`${base}${chapter('tlb')}`);
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
    const links = await page.evaluate(async (pages) => {
      const out: { file: string; api: string }[] = [];
      for (const p of pages) {
        const doc = new DOMParser().parseFromString(await (await fetch(p)).text(), 'text/html');
        for (const fig of doc.querySelectorAll('figure.woven')) {
          const file = fig.querySelector('figcaption a')!.textContent!;
          for (const a of fig.querySelectorAll<HTMLAnchorElement>('a.ident')) if (a.textContent === 'FAULTED') out.push({ file, api: a.dataset['api']! });
        }
      }
      return out;
    }, files.filter((f) => /^\d\d-/.test(f)));
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
    await page.goto(`${base}${chapter('demand-paging')}`);
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
    const c = await context(PHONE, 'light');
    const page = await c.newPage();
    await page.goto(`${base}print.html`);
    expect(await page.locator('meta[name="viewport"]').count()).toBe(1);
    const steps = page.locator('#figure-one-fault .step');
    expect(await steps.count()).toBeGreaterThan(5);
    expect(await page.locator('#figure-one-fault .step[hidden]').count()).toBe(0);
    expect(await page.locator('details:not([open])').count()).toBe(0);
    expect(await page.locator('main button:visible').count()).toBe(0);
    // A link from one chapter to another lands within the page.
    const inner = page.locator('main a.ident').first();
    expect(await inner.getAttribute('href')).toMatch(/^#/);
    expect(await page.locator('.print-back a').getAttribute('href')).toBe('index.html');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.print-back').isHidden()).toBe(true);
    await c.close();
  });

  test('dark mode follows the system until toggled, and stays toggled on the next page', async () => {
    const system = await context(DESKTOP, 'dark');
    const first = await system.newPage();
    await first.goto(`${base}${chapter('large-pages-pae-long-mode')}`);
    expect(await first.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);
    await system.close();
    const c = await context(DESKTOP, 'light');
    const page = await c.newPage();
    await page.goto(`${base}index.html`);
    const dark = () => page.evaluate(() => document.documentElement.classList.contains('dark'));
    expect(await dark()).toBe(false);
    await page.click('#theme-toggle');
    expect(await dark()).toBe(true);
    expect(await page.getAttribute('#theme-toggle', 'aria-pressed')).toBe('true');
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(13, 17, 23)');
    await page.goto(`${base}${chapter('two-level-walk')}`);
    expect(await dark()).toBe(true);
    await page.click('#theme-toggle');
    expect(await dark()).toBe(false);
    await c.close();
  });

  test('the skip link is the first stop of the keyboard and lands on the text', async () => {
    const c = await context(PHONE, 'light');
    const page = await c.newPage();
    await page.goto(`${base}${chapter('the-host-and-its-guest')}`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the text');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('content');
    await c.close();
  });
});
