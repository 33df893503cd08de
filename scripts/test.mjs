/*
 * npm test: the type-check and the tests, side by side. They share nothing:
 * tsc reads the sources and writes only .cache/tsbuildinfo, vitest runs
 * them. Run one after the other, the type-check's seconds (a fresh clone's
 * tsc takes some 8 s of clock on its own) were a wait with a core to spare;
 * side by side, the two cores stay busy. tsc's report is printed after the
 * tests', whole, and the run fails if either fails. Arguments go to vitest
 * (`npm test -- test/hw`).
 *
 * Plain JavaScript, so that it starts without a TypeScript loader.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const tscBin = require.resolve('typescript/bin/tsc');
const vitestBin = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');

/** Run `args` under this Node; resolve with the exit code (a signal counts as failure), and what it printed if `quiet`. */
function run(args, quiet) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    let out = '';
    if (quiet) for (const s of [child.stdout, child.stderr]) s.on('data', (d) => (out += d));
    child.on('error', (e) => resolve({ code: 1, out: `${out}${e.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), out }));
  });
}

const [typed, tested] = await Promise.all([
  run([tscBin, '-p', '.', '--incremental', '--tsBuildInfoFile', '.cache/tsbuildinfo'], true),
  run([vitestBin, 'run', ...process.argv.slice(2)], false),
]);
if (typed.code !== 0) process.stdout.write(`\nThe type-check failed (tsc -p .):\n${typed.out}`);
else process.stdout.write('\nThe type-check passed (tsc -p .).\n');
process.exitCode = typed.code || tested.code;
