import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import sirv from 'sirv';
const [dir, outDir, ...pages] = process.argv.slice(2);
const handler = sirv(dir, { dev: true });
const server = createServer((req, res) => handler(req, res, () => { res.statusCode = 404; res.end(); }));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
for (const [w, h] of [[390, 844], [1280, 900]]) for (const scheme of ['light', 'dark']) {
  const page = await browser.newPage({ viewport: { width: w, height: h }, colorScheme: scheme });
  for (const p of pages) {
    const [path, action] = p.split('!');
    await page.goto(base + path);
    if (action) await page.evaluate(action);
    await page.waitForTimeout(200);
    await page.screenshot({ path: `${outDir}/${path.replace(/[\/#]/g, '_')}${action ? '-' + action.length : ''}-${w}-${scheme}.png` });
  }
  await page.close();
}
await browser.close(); server.close();
