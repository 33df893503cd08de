// `npm run mutate -- [stryker options]`: run StrykerJS (its report keeps the
// results of files not mutated this time), then print the score of every file
// known and of the whole, and how long this run took.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const FILE = 'mutation/incremental.json';
const started = Date.now();
const run = spawnSync('npx', ['stryker', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
const seconds = Math.round((Date.now() - started) / 1000);
if (run.status !== 0 || !existsSync(FILE)) process.exit(run.status ?? 1);
const report = JSON.parse(readFileSync(FILE, 'utf8'));

// Stryker's score: killed and timed-out mutants over all that were valid (survived and uncovered count against).
const row = (name, mutants) => {
  const n = (s) => mutants.filter((m) => m.status === s).length;
  const killed = n('Killed') + n('Timeout');
  const against = n('Survived') + n('NoCoverage');
  const score = killed + against === 0 ? 100 : (100 * killed) / (killed + against);
  return { name, mutants: killed + against, killed, survived: n('Survived'), noCoverage: n('NoCoverage'), ignored: n('Ignored'), score };
};
const rows = Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b)).map(([name, f]) => row(name, f.mutants));
rows.push(row('all files known', Object.values(report.files).flatMap((f) => f.mutants)));
console.log('\nfile                              mutants  killed  survived  no cover  ignored   score');
for (const r of rows) {
  const cells = [r.mutants, r.killed, r.survived, r.noCoverage, r.ignored].map((v, i) => String(v).padStart([7, 8, 10, 10, 9][i]));
  console.log(`${r.name.padEnd(34)}${cells.join('')}${r.score.toFixed(2).padStart(8)}`);
}
console.log(`\nthis run: ${seconds} s; results kept in ${FILE}`);
