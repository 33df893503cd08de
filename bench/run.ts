/*
 * npm run bench: every benchmark, each figure a ratio measured in this one run
 * (these machines are shared; absolute numbers drift, ratios much less).
 *
 * It runs bundled by esbuild into one module, the way the browser runs the
 * simulator: loaded module by module through tsx, every imported constant is
 * a live binding the engine cannot fold, and the MMU measures 2-3x slower.
 * The bundle is built with --minify-syntax, as the site's are, which writes
 * constants such as PTE_P into the code that uses them: a module-level
 * variable is a load and a type check on every use, even bundled.
 *
 * The MMU cases run in worker threads started from this same bundle.
 */
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { benchMmu, MMU_CASES, serveMmuCase, type MmuCase } from './mmu.ts';
import { benchReplay, printReplay } from './replay.ts';

/** The targets, as ratios to a raw access. */
const TARGETS: Partial<Record<MmuCase, number>> = { hit: 1.2, miss32: 3, missPae: 3.5 };
const ROUNDS = 9;

if (!isMainThread) {
  serveMmuCase();
} else {
  console.log('MMU translation: each access translated, then made, against the same access made raw');
  console.log(`(4096 reads, writes and fetches over 64 pages; per access, medians of ${ROUNDS} interleaved rounds, and the rounds' spread):`);
  const figures = await benchMmu(new URL(import.meta.url), ROUNDS);
  for (const [name, label] of Object.entries(MMU_CASES) as [MmuCase, string][]) {
    const f = figures[name];
    const target = TARGETS[name] === undefined ? '' : `target ≤ ${TARGETS[name]}x; `;
    console.log(`  ${label.padEnd(52)} ${f.caseNs.toFixed(2).padStart(6)} ns (raw ${f.rawNs.toFixed(2)})  ${f.ratio.toFixed(2).padStart(5)}x   (${target}rounds ${f.spread[0].toFixed(2)}–${f.spread[1].toFixed(2)}x)`);
  }
  // The bundle runs from .cache/; the traces are found from the package root.
  const root = fileURLToPath(new URL('..', import.meta.url));
  printReplay(benchReplay(root));
}
