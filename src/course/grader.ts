/*
 * The grader: one submission's src/ against the course's tests (public and
 * hidden), each test in a child process that is killed when it runs past its
 * time budget or its memory cap. A test that loops, crashes or will not load
 * scores 0 with a message, and grading carries on. Scores depend on results,
 * never on timing, except that a timeout is a timeout.
 */
import { fork } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { courseExercises, type Exercise } from '../markers/exercises.ts';
import type { ChildMessage, ChildRequest } from './grade-child.ts';

// #region X-grader
// unwoven: course tooling; README and literate-conventions §10.4 describe it.
export type { Exercise };

export interface CollectedTest {
  id: string;
  file: string;
  exercise: string;
  points: number;
  name: string;
  hidden: boolean;
}

export type Status = 'PASS' | 'FAIL' | 'TIMEOUT' | 'ERROR';

export interface TestOutcome extends CollectedTest {
  status: Status;
  score: number;
  message?: string;
  expected?: string;
  actual?: string;
  ms: number;
}

export interface GradeOptions {
  /** Wall-clock budget of one test, in ms. */
  timeoutMs: number;
  /** The child's V8 heap cap, in MiB. */
  memoryMb: number;
  /** Budget for starting a child and loading the submission (tsx compiles it): generous, as a busy machine is slow. */
  loadTimeoutMs?: number;
}

export const DEFAULT_OPTIONS: GradeOptions = { timeoutMs: 5000, memoryMb: 512, loadTimeoutMs: 30_000 };

export function loadExercises(root: string): Exercise[] {
  const list = courseExercises(root);
  if (!list) throw new Error(`${join(root, 'course/exercises.json')}: no such file; grading needs the course's exercise list`);
  return list;
}

/** The course's exercise test files (relative paths), public and hidden, in name order. */
export function exerciseTestFiles(root: string): string[] {
  const dir = join(root, 'test/exercises');
  // By exercise, public tests before hidden ones.
  const key = (f: string) => f.replace('.public.', '.0.').replace('.hidden.', '.1.');
  return readdirSync(dir).filter((f) => /\.(public|hidden)\.test\.ts$/.test(f)).sort((a, b) => key(a).localeCompare(key(b))).map((f) => `test/exercises/${f}`);
}

/**
 * A tree to grade in: the submission's src/ only, with the course's own
 * tests, support files and configuration beside it. A student cannot change
 * a test by submitting one.
 */
export function prepareTree(root: string, submission: string): string {
  const tree = mkdtempSync(join(tmpdir(), `grade-${basename(submission)}-`));
  if (existsSync(join(submission, 'src'))) cpSync(join(submission, 'src'), join(tree, 'src'), { recursive: true });
  // Course plumbing is ours, not the student's.
  cpSync(join(root, 'src/course'), join(tree, 'src/course'), { recursive: true });
  cpSync(join(root, 'test/exercises'), join(tree, 'test/exercises'), { recursive: true });
  cpSync(join(root, 'test/support'), join(tree, 'test/support'), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json']) cpSync(join(root, f), join(tree, f));
  symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
  return tree;
}

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface ChildRun {
  collected: CollectedTest[] | null;
  loadErrors: Map<string, string>;
}

/** Start one child in `tree`; record what it decides into `outcomes`, kill it when it overruns. */
function runChild(root: string, tree: string, files: string[], outcomes: Map<string, TestOutcome>, byId: Map<string, CollectedTest>, o: GradeOptions): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = fork(join(root, 'src/course/grade-child.ts'), [], {
      cwd: tree,
      execArgv: ['--import', tsxLoader, `--max-old-space-size=${o.memoryMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    const run: ChildRun = { collected: null, loadErrors: new Map() };
    // The child names tests by absolute path; we keep them relative to the tree.
    const rel = (id: string) => (id.startsWith(`${tree}/`) ? id.slice(tree.length + 1) : id);
    let current: { id: string; started: number } | null = null;
    let finished = false;
    const decide = (id: string, status: Status, extra: Partial<TestOutcome> = {}) => {
      const t = byId.get(id);
      if (!t || outcomes.has(id)) return;
      outcomes.set(id, { ...t, status, score: status === 'PASS' ? t.points : 0, ms: current ? Date.now() - current.started : 0, ...extra });
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(run);
    };
    // Loading gets a budget too: a submission can loop at module level.
    const loadMs = o.loadTimeoutMs ?? 30_000;
    let timer = setTimeout(() => {
      for (const id of byId.keys()) decide(id, 'TIMEOUT', { message: `loading the submission did not finish in ${loadMs} ms (a loop at module level?)` });
      finish();
    }, loadMs);
    child.on('message', (m: ChildMessage) => {
      switch (m.type) {
        case 'load-error': run.loadErrors.set(m.file, m.message); break;
        case 'collected': {
          run.collected = m.tests;
          const present = new Set(m.tests.map((t) => rel(t.id)));
          for (const t of byId.values()) {
            if (present.has(t.id)) continue;
            const why = run.loadErrors.get(join(tree, t.file)) ?? 'the test was not found in the submission\'s tree';
            decide(t.id, 'ERROR', { message: `could not load ${t.file}: ${why}` });
          }
          clearTimeout(timer);
          break;
        }
        case 'start':
          current = { id: rel(m.id), started: Date.now() };
          clearTimeout(timer);
          timer = setTimeout(() => {
            decide(rel(m.id), 'TIMEOUT', { message: `killed after ${o.timeoutMs} ms: an infinite loop?` });
            finish();
          }, o.timeoutMs);
          break;
        case 'end': {
          clearTimeout(timer);
          const extra: Partial<TestOutcome> = {};
          if (m.message !== undefined) extra.message = m.message;
          if (m.expected !== undefined) extra.expected = m.expected;
          if (m.actual !== undefined) extra.actual = m.actual;
          decide(rel(m.id), m.status, extra);
          current = null;
          break;
        }
        case 'done': finish(); break;
      }
    });
    child.on('exit', (code, signal) => {
      if (finished) return;
      const why = /heap out of memory|Allocation failed/i.test(stderr) ? `ran out of memory (cap ${o.memoryMb} MiB)` : `the test process died (${signal ?? `exit code ${code}`})`;
      if (current) decide(current.id, 'ERROR', { message: why });
      else for (const id of byId.keys()) decide(id, 'ERROR', { message: `${why} while loading: ${stderr.trim().split('\n').slice(-3).join(' ')}` });
      finish();
    });
    const request: ChildRequest = { files: files.map((f) => join(tree, f)), skip: [...outcomes.keys()].map((id) => `${tree}/${id}`) };
    child.send(request);
  });
}

/** The course's tests, as the instructor's own tree has them (names, points, visibility). */
export async function collectTests(root: string, o: GradeOptions = DEFAULT_OPTIONS): Promise<CollectedTest[]> {
  const files = exerciseTestFiles(root);
  return new Promise((resolve, reject) => {
    const child = fork(join(root, 'src/course/grade-child.ts'), [], { cwd: root, execArgv: ['--import', tsxLoader, `--max-old-space-size=${o.memoryMb}`], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'load-error') reject(new Error(`the course's own test ${m.file} does not load: ${m.message}`));
      if (m.type === 'collected') {
        child.kill('SIGKILL');
        resolve(m.tests.map((t) => ({ ...t, file: relative(root, t.file), id: `${relative(root, t.file)}::${t.name}` })));
      }
    });
    child.send({ files: files.map((f) => join(root, f)), skip: [] } satisfies ChildRequest);
  });
}

/** Grade one tree (a prepared submission, or the instructor's own). */
export async function gradeTree(root: string, tree: string, tests: CollectedTest[], o: GradeOptions = DEFAULT_OPTIONS): Promise<TestOutcome[]> {
  const outcomes = new Map<string, TestOutcome>();
  const byId = new Map(tests.map((t) => [t.id, t]));
  const files = [...new Set(tests.map((t) => t.file))];
  // Each child decides at least one test (or all that are left), so this ends.
  while (outcomes.size < tests.length) {
    const before = outcomes.size;
    await runChild(root, tree, files, outcomes, byId, o);
    if (outcomes.size === before) {
      for (const t of tests) if (!outcomes.has(t.id)) outcomes.set(t.id, { ...t, status: 'ERROR', score: 0, ms: 0, message: 'the grader could not run this test' });
    }
  }
  return tests.map((t) => outcomes.get(t.id)!);
}

export interface Graded {
  student: string;
  outcomes: TestOutcome[];
  score: number;
  max: number;
  ms: number;
}

/** Grade the submission in folder `submission`. Never throws for anything the submission does. */
export async function gradeSubmission(root: string, submission: string, tests: CollectedTest[], o: GradeOptions = DEFAULT_OPTIONS): Promise<Graded> {
  const started = Date.now();
  const tree = prepareTree(root, submission);
  try {
    const outcomes = await gradeTree(root, tree, tests, o);
    return { student: basename(submission), outcomes, score: sum(outcomes.map((t) => t.score)), max: sum(tests.map((t) => t.points)), ms: Date.now() - started };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Where the book explains an exercise, as a site link. */
export function chapterLink(e: Exercise): string {
  return `${e.chapter.replace(/^chapters\//, '').replace(/\.md$/, '.html')}#${e.id}`;
}

/** The report a person reads: per exercise, per test, with messages indented beneath. */
export function formatReport(g: Graded, exercises: Exercise[], revealHidden = false): string {
  const out = [`lguest-journey grader · submission ${g.student} · node ${process.versions.node}`];
  const counts = { PASS: 0, FAIL: 0, TIMEOUT: 0, ERROR: 0 };
  for (const e of exercises) {
    const tests = g.outcomes.filter((t) => t.exercise === e.id);
    out.push('', `== ${e.id}: ${e.title} (${e.chapter}) ==`);
    for (const t of tests) {
      counts[t.status]++;
      const tag = t.hidden ? '  [hidden]' : '';
      out.push(`  ${t.status.padEnd(8)} ${`${t.score}/${t.points}`.padStart(4)}  ${t.name}${tag}  (${t.ms} ms)`);
      if (t.status === 'PASS') continue;
      if (t.expected !== undefined && (!t.hidden || revealHidden)) out.push(`               expected ${t.expected}`, `               actual   ${t.actual}`);
      if (t.message) for (const line of t.message.split('\n')) out.push(`               ${line}`);
      out.push(`               read: ${chapterLink(e)}`);
    }
    out.push(`  ${e.id}: ${sum(tests.map((t) => t.score))}/${sum(tests.map((t) => t.points))}`);
  }
  const pct = g.max ? ((100 * g.score) / g.max).toFixed(1) : '0.0';
  out.push('', `Score: ${g.score}/${g.max} (${pct}%) · ${g.outcomes.length} tests: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.TIMEOUT} timed out, ${counts.ERROR} errors · ${(g.ms / 1000).toFixed(1)} s`);
  return out.join('\n') + '\n';
}

/** Gradescope's results.json. Hidden tests are visible only after the due date (or at once with revealHidden). */
export function gradescopeResults(g: Graded, exercises: Exercise[], revealHidden = false): object {
  const numbers = new Map<string, number>();
  return {
    score: g.score, max_score: g.max, execution_time: Math.round(g.ms / 1000),
    output: `${g.score}/${g.max} points`,
    tests: g.outcomes.map((t) => {
      const n = (numbers.get(t.exercise) ?? 0) + 1;
      numbers.set(t.exercise, n);
      const e = exercises.find((x) => x.id === t.exercise)!;
      const lines = [t.status, ...(t.expected !== undefined && (!t.hidden || revealHidden) ? [`expected ${t.expected}`, `actual   ${t.actual}`] : []), ...(t.message ? [t.message] : []), `read: ${chapterLink(e)}`];
      return {
        name: `${t.exercise}: ${t.name}`, number: `${t.exercise.slice(2, 4)}.${n}`, score: t.score, max_score: t.points,
        status: t.status === 'PASS' ? 'passed' : 'failed', output: lines.join('\n'),
        visibility: t.hidden && !revealHidden ? 'after_due_date' : 'visible', tags: [`ch${t.exercise.slice(2, 4)}`, t.exercise],
      };
    }),
  };
}

/** One CSV row per student: a column per exercise, then the total. */
export function csv(graded: Graded[], exercises: Exercise[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = [['student', ...exercises.map((e) => e.id), 'total', 'max'].join(',')];
  for (const g of graded) {
    const per = exercises.map((e) => String(sum(g.outcomes.filter((t) => t.exercise === e.id).map((t) => t.score))));
    rows.push([quote(g.student), ...per, String(g.score), String(g.max)].join(','));
  }
  return rows.join('\n') + '\n';
}

/** Write the report files for one graded submission into `dir`. */
export function writeFeedback(dir: string, g: Graded, exercises: Exercise[], revealHidden = false): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${g.student}.txt`), formatReport(g, exercises, revealHidden));
  writeFileSync(join(dir, `${g.student}.results.json`), JSON.stringify(gradescopeResults(g, exercises, revealHidden), null, 2) + '\n');
}
// #endregion X-grader
