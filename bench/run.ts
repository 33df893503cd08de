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
 *
 * BENCH_CASES=miss32,missPae runs only those MMU cases (none: only the
 * replay), BENCH_MMU_ONLY=1 skips the replay, and BENCH_DEBUG=1 prints every
 * round.
 */
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { benchMmu, median, MMU_CASES, serveMmuCase, type MmuCase } from './mmu.ts';
import { benchReplay, printReplay } from './replay.ts';

/** The targets, as ratios to a raw access bound by memory. */
const TARGETS: Partial<Record<MmuCase, number>> = { hit: 1.2, miss32: 3, missPae: 3.5 };
const ROUNDS = 9;

if (!isMainThread) {
  serveMmuCase();
} else {
  // BENCH_CASES=miss32,missPae runs only those cases; BENCH_CASES=none, only the replay.
  const only = process.env.BENCH_CASES?.split(',');
  const names = (Object.keys(MMU_CASES) as MmuCase[]).filter((n) => only === undefined || only.includes(n));
  if (names.length > 0) await printMmu(names);
  // The bundle runs from .cache/; the traces are found from the package root.
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (process.env.BENCH_MMU_ONLY === undefined) printReplay(benchReplay(root));
}

async function printMmu(names: MmuCase[]): Promise<void> {
  const figures = await benchMmu(new URL(import.meta.url), ROUNDS, names);
  console.log('MMU translation: each access translated, then made, against the same access made raw');
  console.log(`(reads, writes and fetches mixed, every cache line of the pages once, shuffled; medians of ${ROUNDS} interleaved rounds, and the rounds' spread;`);
  console.log('in each round, the lower decile of each loop\'s passes: its cost when the shared processor is not disturbing it).');
  const sections = [
    ['chain', 128, 'each access loads the next one\'s address (a linked structure), 128 pages: 512 KiB, past the first-level cache; the targets\' baseline'],
    ['chain', 8, 'the same over 8 pages: 32 KiB, all in the first-level cache, where a raw read is cheapest'],
    ['independent', 128, 'independent accesses (addresses from a list), 128 pages: bound by instructions and the kind\'s branch, not by memory'],
  ] as const;
  for (const [loop, pages, title] of sections) {
    const cases = names.filter((n) => MMU_CASES[n].loop === loop && MMU_CASES[n].pages === pages);
    if (cases.length === 0) continue;
    console.log(`  ${title}; a raw access ${median(cases.map((n) => figures[n].rawNs)).toFixed(2)} ns:`);
    for (const name of cases) {
      const f = figures[name];
      const target = TARGETS[name] === undefined ? '' : `target ≤ ${TARGETS[name]}x; `;
      console.log(`    ${MMU_CASES[name].label.padEnd(52)} ${f.caseNs.toFixed(2).padStart(6)} ns  ${f.ratio.toFixed(2).padStart(5)}x   (${target}rounds ${f.spread[0].toFixed(2)}–${f.spread[1].toFixed(2)}x)`);
    }
  }
}
