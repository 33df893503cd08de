/*
 * Inside Gradescope (run_autograder runs this): grade the submission in
 * SUBMISSION, wherever in it the student's src/ folder is, and write
 * Gradescope's results.json to RESULTS once every sandbox is dead. Students
 * see the results' output and the visible tests; this script's own output is
 * for the instructor.
 *   node --import tsx scripts/gradescope-run.ts SUBMISSION RESULTS
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readCourse, srcMarker } from '../src/course/course.ts';
import { DEFAULT_OPTIONS, Grader, type Graded } from '../src/course/grader.ts';
import { formatReport, gradescopeResults } from '../src/course/report.ts';
import { confinement } from '../src/course/sandbox.ts';
import { uploadRoot } from '../src/course/submission.ts';

const root = resolve(import.meta.dirname, '..');
const [submission = '/autograder/submission', results = '/autograder/results/results.json'] = process.argv.slice(2);
const started = Date.now();
const course = readCourse(root);
const marker = srcMarker(course);
const at = uploadRoot(submission, marker);

let g: Graded;
if (at === null) {
  let top: string[] = [];
  try {
    top = readdirSync(submission).slice(0, 12);
  } catch {
    // No submission folder at all.
  }
  const why = `no src/ folder found in your submission (looked for src/${marker} at any depth). Upload your handout's src/ folder, zipped, or your whole handout folder without node_modules.${top.length ? ` Your upload holds: ${top.join(', ')}.` : ' Your upload is empty.'}`;
  const outcomes = course.exercises.flatMap((e) => [{ exercise: e.id, name: 'your answers to this exercise', hidden: false, points: e.points, score: 0, status: 'ERROR' as const, message: why }]);
  g = { student: 'submission', outcomes, score: 0, max: course.exercises.reduce((n, e) => n + e.points, 0), refused: why };
} else {
  console.log(`found src/ at ${at === submission ? 'the top' : at.slice(submission.length + 1)}/src; ${confinement().join('; ')}`);
  const grader = await Grader.open(root, DEFAULT_OPTIONS);
  g = await grader.gradeFolder(at, 'submission');
}
process.stdout.write(formatReport(g, course.exercises, 'instructor'));
// Every sandbox is dead by now, and none ever knew this path.
mkdirSync(dirname(results), { recursive: true });
writeFileSync(results, JSON.stringify(gradescopeResults(g, course.exercises, (Date.now() - started) / 1000), null, 2) + '\n');
