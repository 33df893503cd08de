// `npm run mutate -- [stryker options]`: run StrykerJS, then keep what is
// known. Stryker writes its incremental file from the files it mutated this
// time only, so `--mutate src/hw/walk-32.ts` would forget every other file's
// results. This puts them back (renumbering test ids, which are per report),
// then prints the score of every file known and of the whole.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = 'mutation/incremental.json';
const read = () => (existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : null);

const before = read();
const started = Date.now();
const run = spawnSync('npx', ['stryker', 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
const seconds = Math.round((Date.now() - started) / 1000);
const after = read();
if (run.status !== 0 || !after) process.exit(run.status ?? 1);

/** The merged report: this run's files, and the earlier ones this run did not touch that still exist. */
function merge(older, newer) {
  const tests = new Map(); // "file\0name" -> test entry with its new id
  const testFiles = {};
  const idOf = (report) => {
    const map = new Map();
    for (const [file, tf] of Object.entries(report.testFiles ?? {})) {
      for (const t of tf.tests) map.set(t.id, { file, test: t, source: tf.source });
    }
    return (id) => {
      const found = map.get(id);
      if (!found) return undefined;
      const key = `${found.file}\0${found.test.name}`;
      if (!tests.has(key)) {
        const entry = { ...found.test, id: String(tests.size) };
        tests.set(key, entry);
        testFiles[found.file] ??= { source: found.source, tests: [] };
        testFiles[found.file].tests.push(entry);
      }
      return tests.get(key).id;
    };
  };
  const renumber = (report, files, allTests) => {
    const id = idOf(report);
    const remap = (ids) => ids?.map(id).filter((x) => x !== undefined);
    // Every test of the newer report, first, so a test file's source is the newest one;
    // of the older report, only those its kept mutants name.
    if (allTests) for (const tf of Object.values(report.testFiles ?? {})) for (const t of tf.tests) id(t.id);
    const out = {};
    for (const name of files) {
      const f = report.files[name];
      out[name] = { ...f, mutants: f.mutants.map((m) => ({ ...m, coveredBy: remap(m.coveredBy), killedBy: remap(m.killedBy) })) };
    }
    return out;
  };
  const fresh = renumber(newer, Object.keys(newer.files), true);
  const kept = older
    ? renumber(older, Object.keys(older.files).filter((f) => !(f in newer.files) && existsSync(f)), false)
    : {};
  return { ...newer, files: { ...kept, ...fresh }, testFiles };
}

const merged = merge(before, after);
writeFileSync(FILE, JSON.stringify(merged, null, 2) + '\n');

// Stryker's score: killed and timed-out mutants over all that were valid (survived and uncovered count against).
const row = (name, mutants) => {
  const n = (s) => mutants.filter((m) => m.status === s).length;
  const killed = n('Killed') + n('Timeout');
  const against = n('Survived') + n('NoCoverage');
  const score = killed + against === 0 ? 100 : (100 * killed) / (killed + against);
  return { name, mutants: killed + against, killed, survived: n('Survived'), noCoverage: n('NoCoverage'), score };
};
const rows = Object.entries(merged.files).sort(([a], [b]) => a.localeCompare(b)).map(([name, f]) => row(name, f.mutants));
rows.push(row('all files known', Object.values(merged.files).flatMap((f) => f.mutants)));
console.log('\nfile                              mutants  killed  survived  no cover   score');
for (const r of rows) {
  console.log(`${r.name.padEnd(34)}${String(r.mutants).padStart(7)}${String(r.killed).padStart(8)}${String(r.survived).padStart(10)}${String(r.noCoverage).padStart(10)}${r.score.toFixed(2).padStart(8)}`);
}
console.log(`\nthis run: ${seconds} s; results kept in ${FILE}`);
