/*
 * npm start: check the book, build the site into dist/site, serve it on localhost.
 * npm run build: the same without serving.
 */
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import sirv from 'sirv';
import { buildSite } from '../src/literate/site.ts';

const root = resolve(import.meta.dirname, '..');
const out = resolve(root, 'dist/site');
const serve = process.argv[2] === 'serve';

const result = await buildSite({ root, out, log: (l) => console.log(l) });
if (result.errors.length) {
  console.error(result.errors.join('\n'));
  console.error(`\nThe book has ${result.errors.length} problem(s); no site was built.`);
  process.exit(1);
}
console.log(`Built ${result.pages.length} pages into dist/site in ${(result.ms / 1000).toFixed(1)} s.`);

if (serve) {
  const port = Number(process.env['PORT'] ?? 4173);
  const handler = sirv(out, { dev: true, extensions: ['html'] });
  createServer((req, res) => handler(req, res, () => { res.statusCode = 404; res.end('not found'); }))
    .listen(port, '127.0.0.1', () => console.log(`Serving the book at http://localhost:${port}/ (Ctrl-C to stop)`));
}
