// `node mutation/forget.mjs FILE...`: forget the survivors of FILE in
// mutation/incremental.json, so that the next `npm run mutate` tests them again.
// Stryker reuses a survivor's result until a test it knows to cover the mutant
// changes; a survivor with no per-test coverage (a table built at module level)
// or one a new test in another file now reaches is not always seen as changed.
// Forgetting costs only the time to run those mutants again; it never decides a
// verdict.
import { readFileSync, writeFileSync } from 'node:fs';

const FILE = 'mutation/incremental.json';
const report = JSON.parse(readFileSync(FILE, 'utf8'));
for (const name of process.argv.slice(2)) {
  const file = report.files[name];
  if (!file) {
    console.error(`${name}: not in ${FILE}`);
    process.exitCode = 1;
    continue;
  }
  const before = file.mutants.length;
  file.mutants = file.mutants.filter((m) => m.status !== 'Survived');
  console.log(`${name}: ${before - file.mutants.length} survivors forgotten`);
}
writeFileSync(FILE, JSON.stringify(report));
