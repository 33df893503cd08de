/*
 * The site in a real browser: the README's build, served on loopback, every
 * page opened in Debian's Chromium (driven by playwright-core). Any console
 * error, failed request, broken link or missing image fails; one example is
 * run in the page and must print its transcript; dark mode must toggle.
 *
 * Chromium is installed by .ci/run. Elsewhere, without it, the test is
 * skipped with a note (set CHROMIUM to a Chromium binary to run it).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import sirv from 'sirv';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildSite } from '../../src/literate/site.ts';

const root = join(import.meta.dirname, '../..');
const executable = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const have = existsSync(executable);
if (!have && process.env['CI']) throw new Error(`no Chromium at ${executable}: .ci/run installs Debian's chromium`);
if (!have) console.warn(`browser test skipped: no Chromium at ${executable} (apt-get install chromium, or set CHROMIUM)`);

const out = mkdtempSync(join(tmpdir(), 'site-'));
let server: Server;
let base = '';
let browser: Browser;

function pages(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? pages(p) : f.endsWith('.html') ? [p] : [];
  });
}

describe.skipIf(!have)('the site in Chromium', () => {
  beforeAll(async () => {
    const r = await buildSite({ root, out });
    expect(r.errors).toEqual([]);
    const handler = sirv(out, { dev: true });
    server = createServer((req, res) => handler(req, res, () => { res.statusCode = 404; res.end('not found'); }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    browser = await chromium.launch({
      executablePath: executable,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
    rmSync(out, { recursive: true, force: true });
  });

  test('every page opens with no console error, no failed request, no broken link and no missing image', async () => {
    const files = pages(out).map((p) => relative(out, p).split('\\').join('/'));
    const ids = new Map<string, Set<string>>();
    for (const f of files) ids.set(f, new Set([...readFileSync(join(out, f), 'utf8').matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!)));
    const problems: string[] = [];
    const page = await browser.newPage();
    let current = '';
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${current}: console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`${current}: page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`${current}: request failed: ${r.url()}`));
    page.on('response', (r) => { if (r.status() >= 400) problems.push(`${current}: ${r.status()} for ${r.url()}`); });
    for (const f of files) {
      current = f;
      await page.goto(base + f, { waitUntil: 'load' });
      const found = await page.evaluate(() => ({
        links: Array.from(document.querySelectorAll('a[href]'), (a) => (a as HTMLAnchorElement).href),
        images: Array.from(document.images).filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.src),
      }));
      for (const src of found.images) problems.push(`${f}: missing image ${src}`);
      for (const href of found.links) {
        if (!href.startsWith(base)) continue; // other origins are not ours to check (nothing external is fetched)
        const url = new URL(href);
        let target = decodeURIComponent(url.pathname.slice(1)) || 'index.html';
        if (target.endsWith('/')) target += 'index.html';
        if (!ids.has(target)) problems.push(`${f}: broken link to ${target}`);
        // A browser matches the fragment as written, then decoded.
        else if (url.hash && !ids.get(target)!.has(url.hash.slice(1)) && !ids.get(target)!.has(decodeURIComponent(url.hash.slice(1)))) problems.push(`${f}: broken anchor ${target}${url.hash}`);
      }
    }
    expect(problems).toEqual([]);
    expect(files.length).toBeGreaterThan(90);
  });

  test('an example runs in the page and prints its transcript', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}06-tlb.html`);
    const fig = page.locator('figure.transcript[data-example="examples/06-stale-tlb.ts"]');
    await fig.locator('button.run').click();
    await expect.poll(() => fig.locator('.run-status').getAttribute('data-match')).toBe('yes');
    const [printed, transcript] = await Promise.all([fig.locator('pre.run-output').textContent(), fig.locator('pre code').first().textContent()]);
    expect(printed!.trimEnd()).toBe(transcript!.trimEnd());
  });

  test('search finds prose and code, and its results lead to the section', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}06-tlb.html`);
    await page.fill('#search', 'pinStackPages');
    await expect.poll(() => page.locator('#search-results li a').count()).toBeGreaterThan(0);
    const first = page.locator('#search-results li a').first();
    expect(await first.getAttribute('href')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/08-crossing-the-line\.html#/);
    await page.fill('#search', 'write-protected');
    await expect.poll(() => page.locator('#search-results li').first().textContent()).not.toBe('nothing found');
    await page.fill('#search', 'zzzxqv');
    await expect.poll(() => page.locator('#search-results li').first().textContent()).toBe('nothing found');
  });

  test('identifiers link both ways: woven code to the chapter that explains them, API pages back, and the index', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}10-keeping-shadows-honest.html`);
    // doSetPte (H:420) calls trackedSpte, which the demand-paging chapter explains at H:340.
    const ident = page.locator('#region-H420-do-set-pte a.ident', { hasText: /^trackedSpte$/ }).first();
    expect(await ident.getAttribute('href')).toBe('09-demand-paging.html#region-H340-gpte-to-spte');
    expect(await ident.getAttribute('title')).toBe('trackedSpte (function) · explained in “Demand paging”, H340-gpte-to-spte · H:340');
    // Hovering it offers both places: the chapter and the API page.
    await ident.hover();
    const pop = page.locator('.ident-pop');
    await expect.poll(() => pop.isVisible()).toBe(true);
    expect(await pop.locator('a').nth(0).getAttribute('href')).toBe(`${base}09-demand-paging.html#region-H340-gpte-to-spte`);
    expect(await pop.locator('a').nth(1).getAttribute('href')).toBe(`${base}api/functions/src_host_gpte-to-spte.trackedSpte.html`);
    await page.goto(`${base}api/functions/src_host_demand-page.demandPage.html`);
    await page.click('p.explained-in a >> nth=0');
    expect(page.url()).toBe(`${base}09-demand-paging.html#region-H330-demand-page`);
    await page.goto(`${base}identifiers.html`);
    expect(await page.locator('tr[id$="-demandPage"] td').nth(3).textContent()).toBe('Demand paging · H330-demand-page · H:330');
  });

  test('a figure drawn from the running system can be stepped through', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}09-demand-paging.html`);
    const fig = page.locator('#figure-one-fault');
    const where = fig.locator('.step-nav span');
    const total = await fig.locator('.step').count();
    expect(await where.textContent()).toBe(`step 1 of ${total}`);
    await fig.locator('.step-nav button', { hasText: 'Next' }).click();
    await fig.locator('.step-nav button', { hasText: 'Next' }).click();
    expect(await where.textContent()).toBe(`step 3 of ${total}`);
    expect(await fig.locator('.step:not([hidden]) svg').getAttribute('aria-label')).toMatch(new RegExp(`^One page fault, step 3 of ${total}: H:`));
    expect(await fig.locator('.step-nav button', { hasText: 'Previous' }).isEnabled()).toBe(true);
    // The same steps, as text, for readers who cannot see the drawing.
    expect(await fig.locator('details pre').textContent()).toContain('read-only until Dirty');
  });

  test('dark mode toggles, and stays toggled on the next page', async () => {
    const page = await browser.newPage({ colorScheme: 'light' });
    await page.goto(`${base}index.html`);
    const dark = () => page.evaluate(() => document.documentElement.classList.contains('dark'));
    expect(await dark()).toBe(false);
    await page.click('#theme-toggle');
    expect(await dark()).toBe(true);
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(13, 17, 23)');
    await page.goto(`${base}02-two-level-walk.html`);
    expect(await dark()).toBe(true);
    await page.click('#theme-toggle');
    expect(await dark()).toBe(false);
  });
});
