/*
 * npm run practice -- --seed 7 [--mode 32bit|pse|pae] [--count 8] [--reveal | --explain | --check ANSWERS]
 * A paging problem from a seed, on the project's own MMU. --reveal prints the
 * answers, --explain the walk behind each, --check marks an answer file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { answerLines, checkAnswers, problemFor, type PracticeMode } from '../src/course/practice.ts';

const args = process.argv.slice(2);
const opt = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const fail = (why: string): never => {
  console.error(`practice: ${why}\nusage: npm run practice -- --seed N [--mode 32bit|pse|pae] [--count K] [--reveal | --explain | --check FILE]`);
  process.exit(2);
};
const seed = Number(opt('--seed') ?? fail('give a --seed'));
let problem;
try {
  problem = problemFor(resolve(import.meta.dirname, '..'), seed, (opt('--mode') ?? '32bit') as PracticeMode, Number(opt('--count') ?? 8));
} catch (e) {
  fail((e as Error).message);
}
process.stdout.write(problem!.statement);
const check = opt('--check');
if (check) {
  const r = checkAnswers(problem!, readFileSync(check, 'utf8'));
  console.log(`\n${r.score}/${r.max} correct`);
  for (const l of r.lines) console.log(`  ${l}`);
} else if (args.includes('--explain')) {
  for (const q of problem!.questions) console.log(`\n${q.n}. ${q.explanation}`);
} else if (args.includes('--reveal')) {
  console.log('\nAnswers:');
  for (const l of answerLines(problem!)) console.log(`  ${l}`);
}
