/*
 * npm run grade -- SUBMISSION [--json results.json] [--reveal-hidden]
 * npm run grade -- --batch DIR [--csv grades.csv] [--feedback DIR] [--reveal-hidden]
 * npm run grade -- --practice ANSWERS --seed N [--mode 32bit|pse|pae]
 *   [--cpu MS] [--memory MiB]
 *
 * A submission is a folder holding a student's src/ (their handout tree, or
 * a copy of its src/). Only the answers between the EXERCISE markers are
 * read. Exit 0 whenever grading finished, whatever the score; 2 on a usage
 * or configuration error.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_OPTIONS, Grader, type GradeOptions } from '../src/course/grader.ts';
import { classSummary, csv, feedbackNames, formatReport, gradescopeResults, shownName, writeFeedback } from '../src/course/report.ts';
import { confinement } from '../src/course/sandbox.ts';

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
  console.error(`grade: ${why}\nusage: npm run grade -- SUBMISSION [--json FILE] [--reveal-hidden] | --batch DIR [--csv FILE] [--feedback DIR] [--cpu MS] [--memory MiB]`);
  process.exit(2);
};
const reveal = args.includes('--reveal-hidden');
if (reveal) args.splice(args.indexOf('--reveal-hidden'), 1);
const limits = { ...DEFAULT_OPTIONS.limits, cpuMs: Number(flag('--cpu') ?? DEFAULT_OPTIONS.limits.cpuMs), memoryMb: Number(flag('--memory') ?? DEFAULT_OPTIONS.limits.memoryMb) };
if (!(limits.cpuMs > 0) || !(limits.memoryMb >= 64)) usage('--cpu takes a positive number of ms, --memory at least 64 (MiB)');
const options: GradeOptions = { ...DEFAULT_OPTIONS, limits };
const batch = flag('--batch');
const json = flag('--json');
const csvFile = flag('--csv');
const feedback = flag('--feedback');

const practice = flag('--practice');
if (practice) {
  const { checkAnswers, problemFor } = await import('../src/course/practice.ts');
  const seed = Number(flag('--seed') ?? usage('--practice needs the problem\'s --seed'));
  let problem;
  try {
    problem = problemFor(root, seed, (flag('--mode') ?? '32bit') as never);
  } catch (e) {
    usage((e as Error).message);
  }
  if (!existsSync(practice)) usage(`no answer file ${practice}`);
  const r = checkAnswers(problem!, readFileSync(practice, 'utf8'));
  console.log(`practice seed ${seed} (${problem!.mode}): ${r.score}/${r.max}`);
  for (const l of r.lines) console.log(`  ${l}`);
  process.exit(0);
}

if (batch && (!existsSync(batch) || !lstatSync(batch).isDirectory())) usage(`no folder ${batch}`);
const one = batch ? undefined : (args[0] ?? usage('name a submission folder'));
if (one !== undefined && !existsSync(one)) usage(`no folder ${one}`);

console.log(`grade: running the reference solution (${confinement().join('; ')})`);
const grader = await Grader.open(root, options);
const { exercises } = grader.course;

if (batch) {
  // Every entry is a row, a file or a link included (they are refused, by name).
  const students = readdirSync(batch).filter((d) => !d.startsWith('.')).sort();
  // A file of their own each, whatever their folder names make of a file name.
  const names = feedbackNames(students);
  // Rows print as each student finishes (progress you can watch), names shown with any control
  // character escaped (a name must not move the cursor or paint a score), in a column as wide as the
  // longest name up to 60.
  const width = Math.min(60, Math.max(24, ...students.map((s) => shownName(s).length + 1)));
  // All at once: the grader's lanes keep the sandboxes to a few, shared by everyone.
  const graded = await Promise.all(students.map(async (s) => {
    const started = Date.now();
    const g = await grader.gradeFolder(resolve(batch, s), s);
    // Written now: this submission's sandboxes are dead, and none ever knew this path.
    let file = feedback && names.get(s) !== s ? `  (feedback in ${names.get(s)}.txt)` : '';
    try {
      if (feedback) writeFeedback(feedback, g, exercises, (Date.now() - started) / 1000, reveal, names.get(s));
    } catch (e) {
      // One student's file that cannot be written is that row's trouble, not the class's.
      file = `  (no feedback file: ${(e as Error).message.split('\n')[0]})`;
    }
    console.log(`${shownName(s).padEnd(width)} ${String(g.score).padStart(3)}/${g.max}${file}${g.refused ? `  refused: ${shownName(g.refused)}` : ''}`);
    return g;
  }));
  if (csvFile) writeFileSync(csvFile, csv(graded, exercises));
  console.log(`graded ${graded.length} submissions${csvFile ? `; grades in ${csvFile}` : ''}${feedback ? `; feedback in ${join(feedback, '')}` : ''}`);
  process.stdout.write(`\n${classSummary(graded, exercises)}`);
} else {
  const started = Date.now();
  const g = await grader.gradeFolder(resolve(one!));
  process.stdout.write(formatReport(g, exercises, reveal ? 'full' : 'instructor'));
  // Written now: every sandbox is dead, and none ever knew this path.
  if (json) writeFileSync(json, JSON.stringify(gradescopeResults(g, exercises, (Date.now() - started) / 1000, reveal), null, 2) + '\n');
}
