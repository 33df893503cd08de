/*
 * npm run course:handout -- --out DIR [--site]
 * Write the student handout into DIR (outside the repository, or under
 * dist/), prove it fit to hand out, and print each step and proof. Exit 1
 * if any proof fails, 2 on a usage error. --site adds the student edition of
 * the book's site (about half a minute more here).
 */
import { resolve } from 'node:path';
import { refuseOut, writeHandout } from '../src/course/handout.ts';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const at = args.indexOf('--out');
if (at < 0 || !args[at + 1]) {
  console.error('usage: npm run course:handout -- --out DIR [--site]   (DIR outside the repository, or under dist/)');
  process.exit(2);
}
// npm runs scripts from the package root; a relative --out means where the command was typed.
const out = resolve(process.env['INIT_CWD'] ?? process.cwd(), args[at + 1]!);
const refusal = refuseOut(root, out);
if (refusal) {
  console.error(`course:handout: ${refusal}`);
  process.exit(2);
}
const started = Date.now();
// The site's builder (markdown-it, shiki, typedoc) is loaded only when asked for.
const site = args.includes('--site') ? (await import('../src/literate/site.ts')).buildStudentSite : undefined;
const r = await writeHandout(root, out, { site, log: (l) => console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${l}`) });
for (const p of r.proofs) console.log(`proved: ${p}`);
for (const a of r.acknowledged) console.log(`known:  ${a}`);
for (const e of r.errors) console.error(`FAILED: ${e}`);
console.log(r.errors.length ? `\n${r.errors.length} problem(s): the handout in ${out} is not fit to hand out.` : `\nThe handout is in ${out} (${((Date.now() - started) / 1000).toFixed(1)} s). Hand out the folder, or a zip of it.`);
process.exit(r.errors.length ? 1 : 0);
