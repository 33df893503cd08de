/*
 * npm run course:gradescope -- --out autograder.zip
 * Build the Gradescope autograder (setup.sh, run_autograder, the course and
 * its grader) into one zip, ready to upload as a programming assignment's
 * autograder.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildAutograder } from '../src/course/gradescope.ts';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const at = args.indexOf('--out');
if (at < 0 || !args[at + 1] || !args[at + 1]!.endsWith('.zip')) {
  console.error('usage: npm run course:gradescope -- --out autograder.zip');
  process.exit(2);
}
const out = resolve(process.env['INIT_CWD'] ?? process.cwd(), args[at + 1]!);
const started = Date.now();
const { archive, files } = await buildAutograder(root, (l) => console.log(l));
writeFileSync(out, archive);
console.log(`wrote ${out}: ${files.length} files, ${(archive.length / 1024).toFixed(0)} KiB (${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log('Upload it as the autograder of a Gradescope programming assignment (Ubuntu 22.04 or later).');
