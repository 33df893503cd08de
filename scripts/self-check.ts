/*
 * npm run grade -- . [--json results.json]
 * (in a student's handout) Run each exercise's public tests on this tree, in
 * the same sandbox the course's grader uses, and print the report the grader
 * would print for them. The hidden tests, and the reference solution that
 * keeps one exercise's mistakes out of another's score, are the grader's.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_OPTIONS, selfCheck } from '../src/course/grader.ts';
import { loadExercises } from '../src/course/course.ts';
import { outsideChanges } from '../src/course/answers.ts';
import { formatReport, gradescopeResults } from '../src/course/report.ts';

const args = process.argv.slice(2);
const at = args.indexOf('--json');
const json = at >= 0 ? args.splice(at, 2)[1] : undefined;
const dir = resolve(args[0] ?? '.');
if (!existsSync(resolve(dir, 'course/exercises.json'))) {
  console.error(`grade: ${dir} is not a course tree (no course/exercises.json)\nusage: npm run grade -- . [--json FILE]`);
  process.exit(2);
}
const started = Date.now();
const g = await selfCheck(dir, DEFAULT_OPTIONS, 'this tree');
const exercises = loadExercises(dir);
// Code written outside the markers runs here and is not there when graded: say so before the results.
const outside = outsideChanges(dir).map((at) => `note: ${at} is outside the exercise markers and differs from the handout. The grader takes only what is between the markers: a helper or import written outside them will not be there when you are graded.`);
process.stdout.write(formatReport(g, exercises, 'full', ['(a self-check with the public tests; the course grades with hidden tests too)', ...outside]));
if (json) writeFileSync(json, JSON.stringify(gradescopeResults(g, exercises, (Date.now() - started) / 1000, true), null, 2) + '\n');
