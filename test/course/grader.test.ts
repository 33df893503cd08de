/*
 * The grader against a class: honest submissions (the solution, other right
 * answers, careful mistakes) and every cheat issue 17 lists, graded in one
 * `npm run grade -- --batch` run, as an instructor would. Each cheat must
 * score no more than the bare skeleton, change no file outside its own
 * copy, and leave results that say what the grader printed; every folder
 * gets a row; no hidden test or solution line reaches a student's feedback.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { handoutText } from '../../src/course/answers.ts';
import { TODO_MODULE, type Course } from '../../src/course/course.ts';
import { cheats, root, writeClass } from './class.ts';
import { PLANTS, planted } from './plants.ts';

const work = mkdtempSync(join(tmpdir(), 'class-'));
const classDir = join(work, 'class');
const marker = join(work, 'grandchild-ran');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A digest of every file under `dir` (links by their target, not followed). */
function digest(dir: string): string {
  const h = createHash('sha256');
  if (statSync(dir).isFile()) return h.update(readFileSync(dir)).digest('hex');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p, { throwIfNoEntry: false });
      h.update(p);
      if (st?.isSymbolicLink()) h.update(`-> ${readlinkSync(p)}`);
      else if (st?.isDirectory() && !name.startsWith('.') && name !== 'node_modules') walk(p);
      else if (st?.isFile()) h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}
const instructorTree = () => [...['src', 'test/exercises', 'test/support', 'course', 'node_modules/.bin'].map((d) => digest(join(root, d))), createHash('sha256').update(readFileSync(join(root, 'package.json'))).digest('hex')].join();

let course: Course;
let names: string[];
let stdout = '';
let exitCode: number | null = null;
let finishedAt = 0;
const before: Record<string, string> = {};
const rows = new Map<string, Record<string, string>>();
type Results = { score: number; output: string; tests: { name: string; status: string; output: string; visibility: string; score: number; max_score: number }[] };
const results = (name: string) => JSON.parse(readFileSync(join(work, 'feedback', `${name}.results.json`), 'utf8')) as Results;
const report = (name: string) => readFileSync(join(work, 'feedback', `${name}.txt`), 'utf8');
const cheatNames = Object.keys(cheats(marker));

beforeAll(async () => {
  ({ course, names } = writeClass(classDir, marker));
  before['instructor'] = instructorTree();
  for (const n of names) before[n] = digest(join(classDir, n));
  // The CPU budget is in CPU time, so a loaded machine slows tests without failing them.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/grade.ts', '--batch', classDir, '--csv', join(work, 'grades.csv'), '--feedback', join(work, 'feedback'), '--cpu', '1000', '--memory', '128'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  exitCode = await new Promise((resolve) => child.on('close', resolve));
  finishedAt = Date.now();
  const [head, ...lines] = readFileSync(join(work, 'grades.csv'), 'utf8').trim().split('\n');
  const cols = head!.split(',');
  for (const l of lines) {
    const cells = l.match(/("[^"]*(?:""[^"]*)*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
    rows.set(cells[0]!, Object.fromEntries(cols.map((c, i) => [c, cells[i]!])));
  }
});

const total = (n: string) => Number(rows.get(n)!['total']);
const perExercise = (n: string) => course.exercises.map((e) => Number(rows.get(n)![e.id]));

describe('grading a class in one batch', () => {
  test('every folder gets a row and a message, whatever it holds, and the run ends normally', () => {
    expect(exitCode).toBe(0);
    expect([...rows.keys()].sort()).toEqual(names);
    const max = course.exercises.reduce((a, e) => a + e.points, 0);
    for (const n of names) expect(stdout).toMatch(new RegExp(`^${n} +\\d+/${max}`, 'm'));
    expect(rows.get('a-plain-file')!['note']).toBe('a-plain-file: is not a folder; a submission is a folder holding src/');
    expect(rows.get('no-src')!['note']).toBe('no src/ folder here: a submission is a folder holding your handout\'s src/');
  });

  test('an upload as a learning platform hands it over is graded where its src/ is, and an archive is told to be unpacked', () => {
    // The whole handout folder inside the student's: graded as the Gradescope autograder would grade it.
    expect(rows.get('nested')!['note']).toBe('');
    expect(perExercise('nested')).toEqual(course.exercises.map((e) => e.points));
    expect(rows.get('zipped.zip')!['note']).toMatch(/^zipped\.zip: is an archive, not a folder: unpack each upload into a folder of its own/);
  });

  test('the run ends with a class summary an instructor can read at a glance', () => {
    const summary = stdout.slice(stdout.indexOf('\nclass: '));
    expect(summary).toMatch(new RegExp(`^\\nclass: ${names.length} entries, ${[...rows.values()].filter((r) => r['note']).length} refused`));
    // Every exercise has its line: the mean, and how many earned every point.
    for (const e of course.exercises) expect(summary).toMatch(new RegExp(`^  ${e.id} +\\d+\\.\\d/${e.points} +\\d+ with every point$`, 'm'));
    // The test the class failed most: the planted ex04 mistakes and the skeleton and cheats share several.
    expect(summary).toMatch(/^tests failed most/m);
  });

  test('honest work scores what it earns, and a mistake costs points in its own exercise only', () => {
    const max = course.exercises.map((e) => e.points);
    expect(perExercise('full')).toEqual(max);
    expect(perExercise('other-right-answers')).toEqual(max);
    expect(total('skeleton')).toBe(0);
    const only = (n: string, id: string) => {
      const got = perExercise(n);
      course.exercises.forEach((e, i) => (e.id === id ? expect(got[i], `${n} in ${id}`).toBeLessThan(max[i]!) : expect(got[i], `${n} in ${e.id}`).toBe(max[i])));
    };
    only('throws', 'ex08-demand-page');
    only('helper-outside', 'ex03-rights');
    // Every planted mistake, whole functions' among them (three wrong ex11 answers and ex04 without `>>> 0` once scored full marks).
    for (const [n, p] of Object.entries(PLANTS)) only(n, p.exercise);
  });

  test('the subtle wrong answers pass the public tests and are caught by hidden ones', () => {
    const subtle = Object.entries(PLANTS).filter(([, p]) => p.hiddenOnly).map(([n]) => n);
    expect(subtle).toEqual(expect.arrayContaining(['ex04-signed', 'ex11-wrong-address', 'ex11-process-pgdir', 'ex11-slot-0']));
    for (const n of subtle) {
      const r = results(n);
      expect(r.tests.filter((t) => t.visibility === 'visible').every((t) => t.status === 'passed'), n).toBe(true);
      expect(r.tests.some((t) => t.visibility === 'after_due_date' && t.status === 'failed'), n).toBe(true);
    }
    // And the rest fail a public test: a student sees them.
    for (const n of Object.keys(PLANTS).filter((x) => !subtle.includes(x))) expect(results(n).tests.some((t) => t.visibility === 'visible' && t.status === 'failed'), n).toBe(true);
  });

  test('every cheat scores no more than the bare skeleton', () => {
    for (const n of cheatNames) expect(total(n), n).toBeLessThanOrEqual(total('skeleton'));
  });

  test('no cheat changed a file outside its own copy, and no grandchild ever ran', async () => {
    expect(instructorTree()).toBe(before['instructor']);
    for (const n of names) expect(digest(join(classDir, n)), n).toBe(before[n]);
    // The grandchild would have written after 1.5 s; give it that long after the run.
    await new Promise((r) => setTimeout(r, Math.max(0, finishedAt + 2000 - Date.now())));
    expect(existsSync(marker)).toBe(false);
  });

  test('links are refused by name, src itself included', () => {
    expect(rows.get('symlinked-files')!['note']).toMatch(/^src\/host\/guest-memory\.ts: is a symbolic link\./);
    for (const n of ['src-links-out', 'src-links-instructor']) expect(rows.get(n)!['note']).toMatch(/^src: is a symbolic link\./);
  });

  test('memory hogs are stopped as memory errors, loops and sleeps as timeouts, and the rest is graded', () => {
    const of = (n: string, id: string) => results(n).tests.filter((t) => t.name.startsWith(`${id}:`));
    for (const [n, id] of [['buffer-4gib', 'ex07-address-ok'], ['buffers-filled', 'ex12-pae-reload']] as const) {
      for (const t of of(n, id)) expect(t.output, `${n}: ${t.name}`).toMatch(/^ERROR\nmemory: /);
    }
    // A stopped process leaves no stack: the answer under test is named, the place to look.
    for (const t of of('infinite-loop', 'ex06-tlb-flush')) expect(t.output).toMatch(/^TIMEOUT\nused 1000 ms of CPU time without finishing: an infinite loop\?\nat {7}src\/hw\/tlb\.ts:\d+ \(your answer to ex06-tlb-flush\)\n/);
    for (const t of of('sleeps-forever', 'ex09-pgdir-cache')) expect(t.output).toMatch(/^TIMEOUT\nslept \d+ ms without computing/);
    expect(of('kills-grader', 'ex07-address-ok')[0]!.output).toContain('error    TypeError: process.kill is not a function');
    // Around each of them, the other exercises were graded: their stubs failed at their own TODOs.
    expect(of('infinite-loop', 'ex03-rights')[0]!.output).toMatch(/^FAIL\nyour answer still calls todo\(\)/);
  });

  test('a failure names the line in the student\'s file, the check, and the values in hex with flags', () => {
    const t = results('ex04-forgets-dirty').tests.find((x) => x.name === 'ex04-walk: a write sets Accessed and Dirty in the PTE')!;
    const walk = handoutText('src/hw/walk-32.ts', course.sources.get('src/hw/walk-32.ts')!, course.blocks, course.exercises, TODO_MODULE, (b) => (b.id === 'ex04-walk' ? planted(PLANTS['ex04-forgets-dirty']!, b.solution, 0) : b.solution)).split('\n');
    const line = walk.findIndex((l) => l.includes('// EXERCISE ex04-walk')) + 2;
    expect(t.output).toBe([
      'FAIL',
      'a value differs from the right one',
      'check    the PTE after mmu.write32(0x1000, 3)',
      'expected 0x00009063 P|RW|A|D',
      'actual   0x00009023 P|RW|A',
      `at       src/hw/walk-32.ts:${line} (your answer to ex04-walk)`,
      'read     chapters/04-accessed-dirty.md (on the site: 04-accessed-dirty.html#ex04-walk)',
    ].join('\n'));
    const thrown = results('throws').tests.find((x) => x.name.startsWith('ex08-demand-page: after a read fault'))!;
    expect(thrown.output).toMatch(/^ERROR\nthrew TypeError\nerror {4}TypeError: no idea what to do with 0x[0-9a-f]+\ncheck {4}the shadow PTE's P and RW after a user read\nat {7}src\/host\/gpte-to-spte\.ts:\d+ \(your answer to ex08-demand-page\)/);
    // A name the answer uses from outside its markers: the message says why it is not there.
    expect(results('helper-outside').tests.find((x) => x.name.startsWith('ex03-rights:'))!.output).toMatch(/^ERROR\nthrew ReferenceError: the grader takes only the lines between your markers, so a helper or import outside them is not there: write it inside\nerror {4}ReferenceError: hasAll is not defined\n/);
    expect(results('syntax-error').tests.find((t) => t.name.startsWith('ex03-rights:'))!.output).toMatch(/^ERROR\nyour code does not compile: Unexpected ";"\nat {7}src\/hw\/rights\.ts:\d+ \(your answer to ex03-rights\)/);
  });

  test('no hidden test, hidden value or solution line reaches a student\'s feedback', () => {
    const norm = (l: string) => l.trim().replace(/\s+/g, ' ');
    const secrets = course.blocks.flatMap((b) => b.solution.map(norm)).filter((l) => l.length >= 8);
    const hiddenFiles = course.exercises.map((e) => readFileSync(join(root, `test/exercises/${e.id}.hidden.test.ts`), 'utf8'));
    secrets.push(...hiddenFiles.flatMap((t) => t.split('\n').map(norm)).filter((l) => l.length >= 12 && !/^(import|const t = |}|\);)/.test(l)));
    const labelsOf = (t: string) => [...t.matchAll(/see\.\w+\(\s*'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]!.replace(/\\'/g, "'"));
    const publicLabels = new Set(course.exercises.flatMap((e) => labelsOf(readFileSync(join(root, `test/exercises/${e.id}.public.test.ts`), 'utf8'))));
    // A hidden test's labels, less those a public test shares (the same question asked in public).
    const labels = hiddenFiles.flatMap(labelsOf).filter((l) => !publicLabels.has(l));
    expect(labels.length).toBeGreaterThan(20);
    const leaked: string[] = [];
    for (const f of readdirSync(join(work, 'feedback'))) {
      const text = readFileSync(join(work, 'feedback', f), 'utf8');
      const flat = text.replace(/\\n/g, '\n').split('\n').map(norm).join('\n');
      for (const s of [...secrets, ...labels]) if (flat.includes(s)) leaked.push(`${f}: ${s}`);
    }
    expect(leaked).toEqual([]);
    // The cheat did throw the lines out; the grader blanked them.
    expect(results('leaks-through-error').tests.find((t) => t.name.startsWith('ex07-address-ok:'))!.output).toContain("error    (the message quotes the course's code, so it is not shown)");
  });

  test('results.json says what the grader printed, and keeps the total out of sight while tests are hidden', () => {
    for (const n of names) {
      const r = results(n);
      expect(r.score, n).toBe(total(n));
      expect(stdout).toMatch(new RegExp(`^${n} +${r.score}/`, 'm'));
      expect(r.tests.reduce((a, t) => a + t.score, 0)).toBe(r.score);
      if (!rows.get(n)!['note']) expect(r.output).toMatch(/^Public tests: \d+\/\d+ points\. \d+ hidden tests \(\d+ points\) are graded too; their results appear after the due date\.$/);
    }
    expect(results('full').output).not.toContain(String(results('full').score));
    const all = results('full').tests;
    const pub = all.filter((t) => t.visibility === 'visible');
    const points = (ts: typeof all) => ts.reduce((a, t) => a + t.max_score, 0);
    expect(pub.length).toBeGreaterThan(20);
    expect(report('full').split('\n')).toContain(`Public tests: ${points(pub)}/${points(pub)} · ${pub.length} tests: ${pub.length} passed, 0 failed, 0 timed out, 0 errors · hidden tests carry ${points(all) - points(pub)} more points`);
  });
});
