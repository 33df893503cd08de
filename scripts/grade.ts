/*
 * npm run grade -- SUBMISSION [--json results.json] [--reveal-hidden]
 * npm run grade -- --batch DIR [--csv grades.csv] [--feedback DIR]
 * npm run grade -- --practice ANSWERS --seed N [--mode 32bit|pse|pae]
 *   [--timeout MS] [--memory MiB]
 *
 * A submission is a folder holding a student's src/ (the student tree, or any
 * copy of it). Only src/ is read. Exit 0 whenever grading finished, whatever
 * the score; 2 on a usage or configuration error.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { collectTests, csv, DEFAULT_OPTIONS, formatReport, gradeSubmission, gradescopeResults, loadExercises, writeFeedback } from '../src/course/grader.ts';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const usage = (why: string): never => {
  console.error(`grade: ${why}\nusage: npm run grade -- SUBMISSION [--json FILE] [--reveal-hidden] | --batch DIR [--csv FILE] [--feedback DIR] [--timeout MS] [--memory MiB]`);
  process.exit(2);
};
const reveal = args.includes('--reveal-hidden');
if (reveal) args.splice(args.indexOf('--reveal-hidden'), 1);
const options = { timeoutMs: Number(flag('--timeout') ?? DEFAULT_OPTIONS.timeoutMs), memoryMb: Number(flag('--memory') ?? DEFAULT_OPTIONS.memoryMb) };
if (!(options.timeoutMs > 0) || !(options.memoryMb > 0)) usage('--timeout and --memory take positive numbers');
const batch = flag('--batch');
const json = flag('--json');
const csvFile = flag('--csv');
const feedback = flag('--feedback');

const practice = flag('--practice');
if (practice) {
  const { checkAnswers, makeProblem } = await import('../src/course/practice.ts');
  const seed = Number(flag('--seed') ?? usage('--practice needs the problem\'s --seed'));
  let problem;
  try {
    problem = makeProblem(seed, (flag('--mode') ?? '32bit') as never);
  } catch (e) {
    usage((e as Error).message);
  }
  if (!existsSync(practice)) usage(`no answer file ${practice}`);
  const r = checkAnswers(problem!, readFileSync(practice, 'utf8'));
  console.log(`practice seed ${seed} (${problem!.mode}): ${r.score}/${r.max}`);
  for (const l of r.lines) console.log(`  ${l}`);
  process.exit(0);
}

const exercises = loadExercises(root);
const tests = await collectTests(root, options);

if (batch) {
  if (!existsSync(batch) || !statSync(batch).isDirectory()) usage(`no folder ${batch}`);
  const students = readdirSync(batch).filter((d) => statSync(join(batch, d)).isDirectory()).sort();
  const graded = [];
  for (const s of students) {
    const g = await gradeSubmission(root, resolve(batch, s), tests, options);
    graded.push(g);
    if (feedback) writeFeedback(feedback, g, exercises, reveal);
    console.log(`${s.padEnd(24)} ${String(g.score).padStart(3)}/${g.max}  (${(g.ms / 1000).toFixed(1)} s)`);
  }
  if (csvFile) writeFileSync(csvFile, csv(graded, exercises));
  console.log(`graded ${graded.length} submissions${csvFile ? `; grades in ${csvFile}` : ''}${feedback ? `; feedback in ${feedback}/` : ''}`);
} else {
  const submission = args[0] ?? usage('name a submission folder');
  if (!existsSync(submission)) usage(`no folder ${submission}`);
  const g = await gradeSubmission(root, resolve(submission), tests, options);
  process.stdout.write(formatReport(g, exercises, reveal));
  if (json) writeFileSync(json, JSON.stringify(gradescopeResults(g, exercises, reveal), null, 2) + '\n');
}
