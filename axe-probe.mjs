import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import sirv from 'sirv';
const handler = sirv('/work/wt-site/dist/site', { dev: true });
const server = createServer((req, res) => handler(req, res, () => { res.statusCode = 404; res.end(); }));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
const axe = readFileSync('/work/wt-site/node_modules/axe-core/axe.min.js', 'utf8');
const t = async (f) => { const s = performance.now(); const r = await f(); return [Math.round(performance.now() - s), r]; };
for (const p of process.argv.slice(2)) {
  const [nav] = await t(() => page.goto(base + p));
  await page.addScriptTag({ content: axe });
  const [full, r] = await t(() => page.evaluate(async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map((v) => `${v.impact} ${v.id} ${v.nodes.length}`)));
  const [nocc] = await t(() => page.evaluate(async () => (await axe.run(document, { resultTypes: ['violations'], rules: { 'color-contrast': { enabled: false } } })).violations.length));
  const [cc] = await t(() => page.evaluate(async () => (await axe.run(document, { runOnly: ['color-contrast'], resultTypes: ['violations'] })).violations.length));
  const [ex] = await t(() => page.evaluate(async () => (await axe.run({ exclude: [['pre.shiki']] }, { resultTypes: ['violations'] })).violations.length));
  const n = await page.evaluate(() => document.querySelectorAll('*').length);
  console.log(p, 'elements', n, 'nav', nav, 'full', full, 'no-contrast', nocc, 'contrast', cc, 'excl-pre', ex, r.join('; '));
}
await browser.close(); server.close();
