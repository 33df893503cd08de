/*
 * npm run course:skeleton -- [--out dist/student] [--no-site] [--no-suite]
 * Writes the student tree (and its edition of the site) and proves it fit to
 * hand out; every proof is printed, and any failure makes the exit code 1.
 */
import { resolve } from 'node:path';
import { generateSkeleton } from '../src/course/skeleton.ts';
import { buildStudentSite } from '../src/literate/site.ts';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const at = args.indexOf('--out');
const out = resolve(root, at >= 0 ? args[at + 1]! : 'dist/student');
const started = Date.now();
const r = await generateSkeleton(root, out, { site: args.includes('--no-site') ? undefined : buildStudentSite, suite: !args.includes('--no-suite'), log: (l) => console.log(l) });
for (const p of r.proofs) console.log(`proved: ${p}`);
for (const e of r.errors) console.error(`FAILED: ${e}`);
console.log(r.errors.length ? `\n${r.errors.length} problem(s): the student tree in ${out} is not fit to hand out.` : `\nThe student tree is in ${out} (${((Date.now() - started) / 1000).toFixed(1)} s).`);
process.exit(r.errors.length ? 1 : 0);
