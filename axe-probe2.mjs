import { chromium } from 'playwright-core';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import sirv from 'sirv';
const dir = process.argv[2];
const handler = sirv(dir, { dev: true });
const server = createServer((req, res) => handler(req, res, () => { res.statusCode = 404; res.end(); }));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
const axe = readFileSync('node_modules/axe-core/axe.min.js', 'utf8');
const sources = readdirSync(dir + '/source/src/hw').slice(0, 8).map((f) => 'source/src/hw/' + f);
const chapters = ['02-two-level-walk.html', '08-demand-paging.html', '11-mastery-highmem.html'];
const tot = {};
const t = async (k, f) => { const s = performance.now(); const r = await f(); tot[k] = (tot[k] ?? 0) + performance.now() - s; return r; };
for (const [kind, list] of [['src', sources], ['ch', chapters]]) for (const p of list) {
  await t(kind + ' nav', () => page.goto(base + p));
  await t(kind + ' inject', () => page.addScriptTag({ content: axe }));
  await t(kind + ' full', () => page.evaluate(async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.length));
  await t(kind + ' full-excl-pre', () => page.evaluate(async () => (await axe.run({ exclude: [['pre']] }, { resultTypes: ['violations'] })).violations.length));
  await t(kind + ' wcag-tags', () => page.evaluate(async () => (await axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })).violations.length));
  await t(kind + ' contrast', () => page.evaluate(async () => (await axe.run(document, { runOnly: ['color-contrast'], resultTypes: ['violations'] })).violations.length));
  await t(kind + ' contrast-excl-pre', () => page.evaluate(async () => (await axe.run({ exclude: [['pre']] }, { runOnly: ['color-contrast'], resultTypes: ['violations'] })).violations.length));
}
for (const [k, v] of Object.entries(tot)) console.log(k.padEnd(24), Math.round(v / (k.startsWith('src') ? sources.length : chapters.length)), 'ms/page');
await browser.close(); server.close();
