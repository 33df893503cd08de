/*
 * The grader. For each exercise of a submission it splices the student's
 * answer into the course's own sources, with every other exercise's
 * reference solution in place, bundles that exercise's tests, and runs them
 * in a sandbox (sandbox.ts). The sandbox reports what the code returned; the
 * grader compares it, check by check, with what the reference solution
 * returned for the same test, and decides. Nothing the submission's process
 * says can make a test pass: only returning the right values can.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join } from 'node:path';
import { build } from 'esbuild';
import { writeJsonWhole } from '../files/write-whole.ts';
import { parseAnswers, splice, type Answer, type Choice, type Spliced } from './answers.ts';
import { blankExpectations, bootCode, bundleTests, isBundleError, LazySourceMap, type BundleError } from './bundle.ts';
import { exerciseTestFiles, loadExercises as readCourseExercises, readCourse, srcMarker, TODO_MODULE, type Course, type CourseTest, type ExerciseBlock } from './course.ts';
import { DEFAULT_LIMITS, networkCut, runSandbox, type SandboxLimits, type StopReason, type TestRecord } from './sandbox.ts';
import type { ThrownInfo } from './sandbox-child.ts';
import { same, show, type Plain } from './show.ts';
import { Refused, readSubmissionFile, surveySubmission, uploadRoot } from './submission.ts';

// #region X-grader
// unwoven: course tooling; the README's course section describes it.

export type Status = 'PASS' | 'FAIL' | 'TIMEOUT' | 'ERROR';

export interface TestOutcome {
  exercise: string;
  name: string;
  hidden: boolean;
  points: number;
  score: number;
  status: Status;
  /** What happened, in one line the grader wrote (never text from the submission's process). */
  message?: string;
  /** The check that failed (its label), and the two values, printed for a reader. */
  check?: string;
  expected?: string;
  actual?: string;
  /** Where: a line of the student's file, or the course file and function the error came from. */
  where?: string;
  /** The error's own first line, when the code under test threw (filtered: no course secrets). */
  detail?: string;
}

export interface Graded {
  student: string;
  outcomes: TestOutcome[];
  score: number;
  max: number;
  /** Set when the whole submission was refused (a link, no src/, …): every test scored 0 with this. */
  refused?: string;
}

/** A run of one exercise's tests, before any verdict: what each test's code did, or why it was stopped. */
interface ExerciseRun {
  bundleError?: BundleError;
  /** The bundle's source map (to find lines in stack traces). */
  map?: LazySourceMap;
  loaded?: { exercise: string; name: string; hidden: boolean; points: number }[];
  loadError?: ThrownInfo;
  loadStopped?: { why: StopReason; detail: string };
  results: Map<number, { record?: TestRecord; stopped?: { why: StopReason; detail: string } }>;
}

/** Spliced files of one run, by path: to tell a student's line from the course's. */
type Origins = Map<string, Spliced['origin']>;

const blanked = new Map<string, string>();
function blankedTest(course: Course, file: string): string {
  const key = `${course.root}\0${file}`;
  if (!blanked.has(key)) blanked.set(key, blankExpectations(file, readFileSync(join(course.root, file), 'utf8')));
  return blanked.get(key)!;
}

/**
 * Bundle `exercise`'s tests with each block chosen by `choose`, the tests'
 * expected values blanked (unless `blank` is false: the reference run, where
 * no submission code runs, checks them).
 */
async function bundleExercise(course: Course, exercise: string, choose: (b: ExerciseBlock, nth: number) => Choice, blank = true) {
  const origins: Origins = new Map();
  const spliced = new Map<string, string>();
  for (const [file, text] of course.sources) {
    const s = splice(file, text, course.blocks, choose, TODO_MODULE);
    spliced.set(file, s.text);
    origins.set(file, s.origin);
  }
  const tests = course.testFiles.get(exercise) ?? [];
  if (blank) for (const f of tests) spliced.set(f, blankedTest(course, f));
  return { bundle: await bundleTests(course.root, tests, spliced), origins };
}

/** Bundle `exercise`'s tests with each block chosen by `choose`, and run them. */
async function runExercise(course: Course, exercise: string, choose: (b: ExerciseBlock, nth: number) => Choice, limits: SandboxLimits, expectedTests: number | null): Promise<{ run: ExerciseRun; origins: Origins }> {
  const { bundle, origins } = await bundleExercise(course, exercise, choose);
  if (isBundleError(bundle)) return { run: { bundleError: bundle, results: new Map() }, origins };
  const run = await runBundle(bundle.code, limits, expectedTests);
  run.map = bundle.map;
  return { run, origins };
}

/**
 * A digest of everything a course run depends on: Node, the grader's code
 * that makes and judges a run, and every file the exercises' tests reach
 * (esbuild follows their imports once a session).
 */
const digests = new Map<string, Promise<string>>();
function courseDigest(course: Course): Promise<string> {
  const { root } = course;
  if (!digests.has(root)) {
    digests.set(root, (async () => {
      const h = createHash('sha256').update(process.version);
      const here = dirname(fileURLToPath(import.meta.url));
      for (const f of ['answers.ts', 'bundle.ts', 'course.ts', 'grader.ts', 'sandbox-child.ts', 'sandbox.ts', 'show.ts', 'todo.ts']) h.update(f).update(readFileSync(join(here, f)));
      const tests = [...course.testFiles.values()].flat();
      const r = await build({ absWorkingDir: root, entryPoints: tests, bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent', outdir: join(root, '.digest') });
      for (const f of Object.keys(r.metafile.inputs).sort()) h.update(f).update('\0').update(readFileSync(join(root, f))).update('\0');
      return h.digest('hex');
    })());
  }
  return digests.get(root)!;
}

/**
 * Where this course's runs are kept: .cache/course-runs/<digest>. Folders of
 * other digests (older sources, another grader) are removed the first time.
 */
const runDirs = new Map<string, Promise<string>>();
export function courseRunsDir(course: Course): Promise<string> {
  if (!runDirs.has(course.root)) {
    runDirs.set(course.root, courseDigest(course).then((digest) => {
      const base = join(course.root, '.cache/course-runs');
      const dir = join(base, digest.slice(0, 24));
      if (existsSync(base)) for (const d of readdirSync(base)) if (join(base, d) !== dir) rmSync(join(base, d), { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      return dir;
    }));
  }
  return runDirs.get(course.root)!;
}

/**
 * A run of course-authored code only (every block holds its solution, or
 * this exercise holds its stub), from the cache when it ran before with the
 * same sources, tests, grader and Node. The cache is the instructor's
 * (.cache/course-runs), written by the grader only; a student's own answer
 * never comes from it.
 */
async function courseRun(course: Course, exercise: string, choose: (b: ExerciseBlock) => Choice, what: string, runner: CourseRunner, useCache: boolean): Promise<ExerciseRun> {
  const file = join(await courseRunsDir(course), `${exercise}.${/^[\w-]+$/.test(what) ? what : createHash('sha256').update(what).digest('hex').slice(0, 16)}.json`);
  type Saved = { loaded: ExerciseRun['loaded']; results: [number, { record?: TestRecord; stopped?: { why: StopReason; detail: string } }][]; map: unknown };
  if (useCache && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
    return { loaded: saved.loaded, results: new Map(saved.results), map: new LazySourceMap(saved.map as object) };
  }
  const { bundle } = await bundleExercise(course, exercise, choose, what !== 'reference');
  if (isBundleError(bundle)) return { bundleError: bundle, results: new Map() };
  const run = await runner.run(bundle.code);
  run.map = bundle.map;
  // Only a run that finished is kept: a stop might be this machine's, not the code's.
  const finished = run.loaded && !run.loadError && !run.loadStopped && run.loaded.every((_, i) => run.results.get(i)?.record);
  if (useCache && finished) {
    writeJsonWhole(file, { loaded: run.loaded, results: [...run.results], map: bundle.map.payload } satisfies Saved);
  }
  return run;
}

/** Run a bundle's tests, in as many sandboxes as it takes: each stop decides one test, and the rest run again. */
export async function runBundle(code: string, limits: SandboxLimits, expectedTests: number | null): Promise<ExerciseRun> {
  return (await runBundles([code], limits, [expectedTests]))[0]!;
}

/**
 * Run several bundles' tests, one after another in one sandbox, and again in
 * a fresh one from where a stop cut them off: each stop decides one test (or
 * a bundle's load), the rest run again. Only for bundles of the course's own
 * code (see SandboxFiles); a student's answer goes through runBundle, alone.
 */
export async function runBundles(codes: string[], limits: SandboxLimits, expectedTests: (number | null)[]): Promise<ExerciseRun[]> {
  const boot = await bootCode();
  const runs: ExerciseRun[] = codes.map(() => ({ results: new Map() }));
  let pending = codes.map((_, b) => b);
  while (pending.length) {
    const got = await runSandbox({ boot, bundles: pending.map((b) => codes[b]!) }, pending.map((b) => [...runs[b]!.results.keys()]), limits);
    // A stop ends the process: the bundles before the one stopped are done, those after it were not reached.
    const cut = got.findIndex((r) => r.stopped);
    const next: number[] = [];
    pending.forEach((b, k) => {
      const r = got[k]!;
      const run = runs[b]!;
      if (cut >= 0 && k > cut) return void next.push(b);
      run.loaded ??= r.loaded;
      if (r.loadError) return void (run.loadError = r.loadError);
      for (const [i, record] of r.records) run.results.set(i, { record });
      if (!r.stopped) return;
      const total = run.loaded?.length ?? expectedTests[b] ?? 0;
      let at = r.stopped.at;
      // Stopped between tests: the time went to the next test to run.
      if (at === null && r.loaded) for (let i = 0; i < total && at === null; i++) if (!run.results.has(i)) at = i;
      if (at === null) return void (run.loadStopped = { why: r.stopped.why, detail: r.stopped.detail });
      run.results.set(at, { stopped: { why: r.stopped.why, detail: r.stopped.detail } });
      if (run.results.size < total) next.push(b);
    });
    pending = next;
  }
  return runs;
}

export interface GradeOptions {
  limits: SandboxLimits;
  /**
   * Sandboxes run at once, where the network is cut. Where it is not, one at
   * a time: two sandboxes alive together could pass code to each other.
   */
  parallel: number;
  /** Keep runs of course-authored code (the reference, the stubs) in .cache/course-runs, keyed by bundle and grader. */
  cache: boolean;
}

export const DEFAULT_OPTIONS: GradeOptions = { limits: DEFAULT_LIMITS, parallel: 2, cache: true };

/**
 * The course, with its reference run: every test of every exercise, run on
 * the solution in the sandbox. The reference must pass the tests' own
 * expectations when vitest runs them (npm test proves it); here it must at
 * least run every test without error, or the course is broken.
 */
export async function loadCourse(root: string, o: GradeOptions = DEFAULT_OPTIONS): Promise<Course> {
  return (await loadCourseRuns(root, o)).course;
}

async function loadCourseRuns(root: string, o: GradeOptions): Promise<{ course: Course; runs: Map<string, ExerciseRun> }> {
  const course = readCourse(root);
  const runner = new CourseRunner(new Lanes(networkCut() ? o.parallel : 1), o.limits);
  const runs = await Promise.all(course.exercises.map(async (e) => ({ e, run: await courseRun(course, e.id, () => ({ kind: 'solution' }), 'reference', runner, o.cache) })));
  const problems: string[] = [];
  for (const { e, run } of runs) {
    if (run.bundleError) problems.push(`${e.id}: the reference does not bundle: ${run.bundleError.file}:${run.bundleError.line}: ${run.bundleError.text}`);
    if (run.loadError || run.loadStopped) problems.push(`${e.id}: the reference tests do not load: ${run.loadError?.message ?? run.loadStopped?.detail}`);
    (run.loaded ?? []).forEach((t, index) => {
      const r = run.results.get(index);
      if (t.exercise !== e.id) problems.push(`${e.id}: test "${t.name}" is registered for ${t.exercise}`);
      if (!r?.record || r.record.error) problems.push(`${e.id}: on the reference solution, "${t.name}" ${r?.stopped ? `was stopped: ${r.stopped.detail}` : `threw ${r?.record?.error?.name}: ${r?.record?.error?.message}`}`);
      else if (!r.record.seen.length) problems.push(`${e.id}: "${t.name}" looks at nothing (no see.* call)`);
      else if (r.record.seen.some((s) => !same(s.value, s.expected))) {
        const s = r.record.seen.find((x) => !same(x.value, x.expected))!;
        problems.push(`${e.id}: on the reference solution, "${t.name}" sees ${show(s.value, s.kind)} for "${s.label}", where the test expects ${show(s.expected, s.kind)}`);
      } else course.tests.push({ exercise: e.id, index, name: t.name, hidden: t.hidden, points: t.points, checks: r.record.seen.map((s) => ({ kind: s.kind, label: s.label })), reference: r.record.seen.map((s) => s.value) });
    });
    const points = course.tests.filter((t) => t.exercise === e.id).reduce((n, t) => n + t.points, 0);
    if (!problems.length && points !== e.points) problems.push(`${e.id}: course/exercises.json says ${e.points} points, its tests carry ${points}`);
  }
  if (problems.length) throw new Error(`the course's reference run failed:\n${problems.join('\n')}`);
  return { course, runs: new Map(runs.map(({ e, run }) => [e.id, run])) };
}

/** The key of an exercise's answers in a grading session's cache. */
function answerKey(exercise: string, lines: string[][]): string {
  return `${exercise}\0${JSON.stringify(lines)}`;
}

/**
 * Texts a message from the sandbox must never carry: solution lines, and
 * the hidden tests' lines (as written and as the sandbox has them, blanked),
 * their string literals (labels, names) and so their questions.
 */
function secretsOf(course: Course): string[] {
  const norm = (l: string) => l.trim().replace(/\s+/g, ' ');
  const lines = course.blocks.flatMap((b) => b.solution.map(norm)).filter((l) => l.length >= 8);
  for (const files of course.testFiles.values()) {
    for (const f of files.filter((x) => x.includes('.hidden.'))) {
      const text = readFileSync(join(course.root, f), 'utf8');
      for (const t of [text, blankedTest(course, f)]) lines.push(...t.split('\n').map(norm).filter((l) => l.length >= 12 && !/^(import |const t = |t\(|}\);?$)/.test(l)));
      lines.push(...[...text.matchAll(/'((?:[^'\\\n]|\\.){8,})'/g)].map((m) => m[1]!.replace(/\\'/g, "'")).filter((l) => !l.startsWith('.')));
    }
  }
  return [...new Set(lines)];
}

/** A line of text from the sandbox, fit to show: one line, short, and blanked if it quotes a secret. */
function filtered(text: string, secrets: string[]): string {
  const line = text.split('\n')[0]!.slice(0, 200);
  const flat = line.replace(/\s+/g, ' ');
  return secrets.some((s) => flat.includes(s)) ? '(the message quotes the course\'s code, so it is not shown)' : line;
}

const IDENT = /^[A-Za-z_$][\w$.<>]{0,59}$/;
const FRAME = /^\s*at (?:(.*?) \()?(?:file:\/\/)?[^()\s]*test\.mjs:(\d+):(\d+)\)?\s*$/;

/** Where in a student's file (or else in which course file and function) a stack trace points. */
function locate(stack: string, map: LazySourceMap | undefined, origins: Origins): string | undefined {
  if (!map) return undefined;
  let course: string | undefined;
  for (const l of stack.split('\n')) {
    const m = FRAME.exec(l);
    if (!m) continue;
    const hit = map.map.findEntry(Number(m[2]) - 1, Number(m[3]) - 1) as { originalSource?: string; originalLine?: number };
    if (hit.originalSource === undefined || hit.originalLine === undefined) continue;
    const mine = origins.get(hit.originalSource)?.get(hit.originalLine + 1);
    if (mine) return `${mine.file}:${mine.line} (your answer to ${mine.exercise})`;
    const fn = m[1] && IDENT.test(m[1].replace(/^(async|new) /, '')) ? ` in ${m[1].replace(/^(async|new) /, '')}` : '';
    if (!course && hit.originalSource.startsWith('src/')) course = `${hit.originalSource}${fn} (the course's code, called from yours)`;
  }
  return course;
}

/**
 * Where the todo() that stopped a test stands: the frame that called it (a
 * test that runs ex09 may stop at ex07's todo(), several calls deeper than
 * anything of ex09's). A line of an answer is named as the student's; in the
 * self-check (`own`) every file is the student's, markers or not; in a run of
 * the course's own code, the file and function.
 */
function todoPlace(stack: string, map: LazySourceMap | undefined, origins: Origins, todo: string, own: boolean): string | undefined {
  if (!map) return undefined;
  for (const l of stack.split('\n')) {
    const m = FRAME.exec(l);
    if (!m) continue;
    const hit = map.map.findEntry(Number(m[2]) - 1, Number(m[3]) - 1) as { originalSource?: string; originalLine?: number };
    if (hit.originalSource === undefined || hit.originalLine === undefined || hit.originalSource === TODO_MODULE) continue;
    const mine = origins.get(hit.originalSource)?.get(hit.originalLine + 1);
    if (mine) return `${mine.file}:${mine.line} (your answer to ${mine.exercise})`;
    if (own) return `${hit.originalSource}:${hit.originalLine + 1} (the todo() of ${todo})`;
    const fn = m[1] && IDENT.test(m[1].replace(/^(async|new) /, '')) ? ` in ${m[1].replace(/^(async|new) /, '')}` : '';
    return `${hit.originalSource}${fn} (the todo() of ${todo}, in the course's code)`;
  }
  return undefined;
}

/** Where an exercise's answer starts in the student's files (for a wrong value: no stack to go by). */
function answerPlace(answers: Answer[], exercise: string): string | undefined {
  const a = answers.find((x) => x.id === exercise);
  return a ? `${a.file}:${a.begin + 1} (your answer to ${exercise})` : undefined;
}

interface VerdictContext {
  exercise: string;
  run: ExerciseRun;
  origins: Origins;
  answers: Answer[];
  secrets: string[];
  limits: SandboxLimits;
  /** Every source file in the run is the student's own, as written (the self-check): any line of it may be named. */
  own?: boolean;
}

/** The verdict on one test, from what its code did and what the reference (or the test itself) expects. */
function verdict(t: CourseTest, expected: Plain[], c: VerdictContext): TestOutcome {
  const base = { exercise: t.exercise, name: t.name, hidden: t.hidden, points: t.points, score: 0 };
  const r = c.run.results.get(t.index);
  const label = (k: number) => t.checks[k]?.label;
  if (c.run.bundleError) {
    const b = c.run.bundleError;
    const mine = b.file ? c.origins.get(b.file)?.get(b.line) : undefined;
    return mine
      ? { ...base, status: 'ERROR', message: `your code does not compile: ${filtered(b.text, c.secrets)}`, where: `${mine.file}:${mine.line} (your answer to ${mine.exercise})` }
      : { ...base, status: 'ERROR', message: `your code does not compile: the course's code after your answer no longer parses (unbalanced brackets or quotes?)`, where: answerPlace(c.answers, c.exercise) ?? b.file ?? undefined };
  }
  if (c.run.loadError) {
    const e = c.run.loadError;
    return { ...base, status: 'ERROR', message: `the tests could not load: ${IDENT.test(e.name) ? e.name : 'an error'} while loading`, detail: filtered(e.message, c.secrets), where: locate(e.stack, c.run.map, c.origins) };
  }
  const stop = r?.stopped ?? (r ? undefined : c.run.loadStopped);
  if (stop) {
    const during = r ? '' : ' while loading';
    // No stack from a stopped process: the answer under test is where to look first.
    const at = answerPlace(c.answers, c.exercise);
    const where = at ? { where: at } : {};
    switch (stop.why) {
      case 'cpu': return { ...base, status: 'TIMEOUT', message: `used ${stop.detail}${during} without finishing: an infinite loop?`, ...where };
      case 'wall': return { ...base, status: 'TIMEOUT', message: `${stop.detail}${during}`, ...where };
      case 'memory': return { ...base, status: 'ERROR', message: `memory: ${stop.detail}${during}`, ...where };
      default: return { ...base, status: 'ERROR', message: `${stop.detail}${during}`, ...where };
    }
  }
  if (!r?.record) return { ...base, status: 'ERROR', message: 'the test did not run (its code stopped the test run)' };
  const { seen, error } = r.record;
  // Every check made before the end must be the reference's.
  const upto = Math.min(seen.length, expected.length);
  for (let k = 0; k < upto; k++) {
    if (!same(seen[k]!.value, expected[k]!)) {
      const kind = t.checks[k]!.kind;
      return { ...base, status: 'FAIL', message: 'a value differs from the right one', check: label(k), expected: show(expected[k]!, kind), actual: show(seen[k]!.value, kind), where: answerPlace(c.answers, c.exercise) };
    }
  }
  if (error) {
    const where = (error.todo ? todoPlace(error.stack, c.run.map, c.origins, error.todo, !!c.own) : locate(error.stack, c.run.map, c.origins)) ?? answerPlace(c.answers, c.exercise);
    const doing = label(seen.length);
    if (error.todo === c.exercise) return { ...base, status: 'FAIL', message: 'your answer still calls todo()', where, ...(doing ? { check: doing } : {}) };
    if (error.todo) return { ...base, status: 'FAIL', message: `stopped at the todo() of ${error.todo}, which this test also runs: do ${error.todo} first`, where };
    if (error.memory) return { ...base, status: 'ERROR', message: `memory: an allocation failed (cap ${c.limits.memoryMb} MiB)`, where };
    const name = IDENT.test(error.name) ? error.name : 'an error';
    // The student's own tree ran a helper they wrote above the function; the grader splices in the answer alone.
    const outside = !c.own && name === 'ReferenceError' && / is not defined$/.test(error.message);
    return { ...base, status: 'ERROR', message: outside ? 'threw ReferenceError: the grader takes only the lines between your markers, so a helper or import outside them is not there: write it inside' : `threw ${name}`, detail: filtered(`${name}: ${error.message}`, c.secrets), where, ...(doing ? { check: doing } : {}) };
  }
  if (seen.length !== expected.length) return { ...base, status: 'FAIL', message: `made ${seen.length} checks where the right code makes ${expected.length}`, where: answerPlace(c.answers, c.exercise) };
  return { ...base, status: 'PASS', score: t.points };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function graded(student: string, course: Course, outcomes: TestOutcome[], refused?: string): Graded {
  return { student, outcomes, score: sum(outcomes.map((t) => t.score)), max: sum(course.tests.map((t) => t.points)), ...(refused ? { refused } : {}) };
}

/** Every test of the course scored 0 with the same message. */
function allFailed(course: Course, message: string): TestOutcome[] {
  return course.tests.map((t) => ({ exercise: t.exercise, name: t.name, hidden: t.hidden, points: t.points, score: 0, status: 'ERROR' as const, message }));
}

/** What a learning platform's download may hold in place of a student's folder. */
const ARCHIVE = /\.(zip|tar|tgz|tar\.gz|tar\.xz|7z|rar)$/i;

/** At most `width` sandboxes at once, however many submissions are being graded. */
class Lanes {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(readonly width: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy >= this.width) await new Promise<void>((r) => this.waiting.push(r));
    this.busy++;
    try {
      return await fn();
    } finally {
      this.busy--;
      this.waiting.shift()?.();
    }
  }
}

/** Course runs in one sandbox at most: a sandbox's start costs more processor time than most bundles' tests. */
const COURSE_BATCH = 8;

/**
 * Runs of the course's own code (the reference, the stubs, the exercises in
 * order), in the lanes: the runs waiting when a lane comes free share its
 * sandbox, a fair share each (up to COURSE_BATCH), one after another, rather
 * than each starting Node afresh. Never a student's answer: that is a
 * sandbox of its own (runBundle).
 */
class CourseRunner {
  private readonly waiting: { code: string; done: (r: Promise<ExerciseRun>) => void }[] = [];
  constructor(private readonly lanes: Lanes, private readonly limits: SandboxLimits) {}

  run(code: string): Promise<ExerciseRun> {
    return new Promise((done) => {
      this.waiting.push({ code, done });
      void this.lanes.run(async () => {
        const take = this.waiting.splice(0, Math.min(COURSE_BATCH, Math.ceil(this.waiting.length / this.lanes.width)));
        if (!take.length) return;
        // A stop in a shared sandbox is run again alone: sharing must never change a run's outcome.
        const stopped = (r: ExerciseRun) => !!r.loadStopped || [...r.results.values()].some((x) => x.stopped);
        const runs = runBundles(take.map((t) => t.code), this.limits, take.map(() => null)).then((got) =>
          Promise.all(got.map(async (r, k) => (take.length > 1 && stopped(r) ? (await runBundles([take[k]!.code], this.limits, [null]))[0]! : r))),
        );
        take.forEach((t, k) => t.done(runs.then((r) => r[k]!)));
        await runs.catch(() => {});
      });
    });
  }
}

/**
 * A grading session: the course (with its reference run), a cache of runs
 * by answer text, so that answers met before (a stub, mostly) are not run
 * twice, and lanes shared by every submission graded at once. Identical
 * answer text gets an identical grade.
 */
export class Grader {
  private readonly cache = new Map<string, Promise<ExerciseRun>>();
  private readonly secrets: string[];
  private readonly lanes: Lanes;
  private readonly runner: CourseRunner;

  constructor(readonly course: Course, readonly options: GradeOptions = DEFAULT_OPTIONS) {
    this.secrets = secretsOf(course);
    this.lanes = new Lanes(networkCut() ? options.parallel : 1);
    this.runner = new CourseRunner(this.lanes, options.limits);
  }

  static async open(root: string, options: GradeOptions = DEFAULT_OPTIONS): Promise<Grader> {
    const { course, runs } = await loadCourseRuns(root, options);
    const grader = new Grader(course, options);
    // An answer that is the reference solution, word for word, ran already.
    for (const [id, run] of runs) grader.cache.set(answerKey(id, course.blocks.filter((b) => b.id === id).map((b) => b.solution)), Promise.resolve(run));
    return grader;
  }

  /** The files of the course that hold answers. */
  answerFiles(): string[] {
    return [...this.course.sources.keys()];
  }

  /** The run of exercise `e` with these answers: from this session's cache, the course's (for course text), or the sandbox. */
  private runFor(e: string, blocks: ExerciseBlock[], lines: string[][], choose: (b: ExerciseBlock, k: number) => Choice, tests: number): Promise<ExerciseRun> {
    const key = answerKey(e, lines);
    if (!this.cache.has(key)) {
      const stub = blocks.every((b, i) => same(lines[i]!, b.stub));
      // The stub is the course's code: its run takes a lane (shared) when it is bundled; an answer's takes one to itself.
      this.cache.set(key, stub
        ? courseRun(this.course, e, (b) => (b.id === e ? { kind: 'stub' } : { kind: 'solution' }), 'stub', this.runner, this.options.cache)
        : this.lanes.run(() => runExercise(this.course, e, choose, this.options.limits, tests).then((r) => r.run)));
    }
    return this.cache.get(key)!;
  }

  /**
   * Grade the answers in `files` (path → text, as a submission holds them).
   * An exercise whose answer is missing or unreadable scores 0 with why.
   */
  async gradeAnswers(student: string, files: Map<string, string>): Promise<Graded> {
    const { course } = this;
    const answers: Answer[] = [];
    const problems = new Map<string, string>();
    for (const file of this.answerFiles()) {
      const text = files.get(file);
      const ids = [...new Set(course.blocks.filter((b) => b.file === file).map((b) => b.id))];
      if (text === undefined) {
        for (const id of ids) problems.set(id, `${file} is missing from the submission`);
        continue;
      }
      const parsed = parseAnswers(file, text);
      for (const id of ids) if (parsed.errors.length) problems.set(id, parsed.errors.join('; '));
      answers.push(...parsed.answers);
    }
    const outcomes = await Promise.all(course.exercises.map(async (e) => {
      const mine = course.tests.filter((t) => t.exercise === e.id);
      const blocks = course.blocks.filter((b) => b.id === e.id);
      // The k-th block of an exercise in a file takes the k-th answer to it there.
      const nth = (i: number) => blocks.filter((x, j) => j < i && x.file === blocks[i]!.file).length;
      const given = blocks.map((b, i) => answers.filter((a) => a.id === b.id && a.file === b.file)[nth(i)]);
      const missing = blocks.find((_, i) => !given[i]);
      const problem = problems.get(e.id) ?? (missing ? `no answer to ${e.id} in ${missing.file}: the lines "// EXERCISE ${e.id} …" and "// END EXERCISE ${e.id}" must stand around it` : undefined);
      if (problem) return mine.map((t) => ({ exercise: t.exercise, name: t.name, hidden: t.hidden, points: t.points, score: 0, status: 'ERROR' as const, message: problem }));
      const choose = (b: ExerciseBlock, k: number): Choice => (b.id === e.id ? { kind: 'answer', answer: answers.filter((a) => a.id === b.id && a.file === b.file)[k]! } : { kind: 'solution' });
      const run = await this.runFor(e.id, blocks, given.map((a) => a!.lines), choose, mine.length);
      // Lines are the student's own: splice again (cheap) for this student's positions.
      const origins: Origins = new Map([...course.sources].map(([file, text]) => [file, splice(file, text, course.blocks, choose, TODO_MODULE).origin]));
      const c: VerdictContext = { exercise: e.id, run, origins, answers, secrets: this.secrets, limits: this.options.limits };
      return mine.map((t) => verdict(t, t.reference, c));
    }));
    return graded(student, course, outcomes.flat());
  }

  /**
   * Run `exercise`'s tests with only the exercises in `solved` holding their
   * solutions and every other block its stub (`exercise` itself included
   * unless it is in `solved`): what a student sees who has done just those.
   * Returns each test's verdict against the reference.
   */
  async withSolved(exercise: string, solved: Set<string>): Promise<TestOutcome[]> {
    const choose = (b: ExerciseBlock): Choice => (solved.has(b.id) ? { kind: 'solution' } : { kind: 'stub' });
    const run = await courseRun(this.course, exercise, choose, `solved:${[...solved].sort().join(',')}`, this.runner, this.options.cache);
    const c: VerdictContext = { exercise, run, origins: new Map(), answers: [], secrets: [], limits: this.options.limits };
    return this.course.tests.filter((t) => t.exercise === exercise).map((t) => verdict(t, t.reference, c));
  }

  /** Grade the submission in folder `dir` (its src/). Never throws for anything the submission holds. */
  async gradeFolder(dir: string, student = basename(dir)): Promise<Graded> {
    let files: Map<string, string>;
    try {
      const st = lstatSync(dir, { throwIfNoEntry: false });
      if (st?.isFile() && ARCHIVE.test(dir)) throw new Refused(`${student}: is an archive, not a folder: unpack each upload into a folder of its own (unzip -d NAME NAME.zip), then grade again`);
      if (!st?.isDirectory()) throw new Refused(`${student}: ${st?.isSymbolicLink() ? 'is a symbolic link' : 'is not a folder'}; a submission is a folder holding src/`);
      // An upload as a learning platform hands it over may hold the whole handout folder: its src/ is
      // graded wherever it is, as the Gradescope autograder finds it (links are never followed).
      const at = uploadRoot(dir, srcMarker(this.course)) ?? dir;
      const present = surveySubmission(at);
      files = new Map(this.answerFiles().filter((f) => present.has(f)).map((f) => [f, readSubmissionFile(at, f)]));
    } catch (e) {
      // (A file system's message names the path: the student's folder, not where the instructor keeps it.)
      const why = e instanceof Refused ? e.message : `the submission could not be read: ${(e as Error).message.split(dir).join(student)}`;
      return graded(student, this.course, allFailed(this.course, why), why);
    }
    try {
      return await this.gradeAnswers(student, files);
    } catch (e) {
      // A fault of the grader's own, met on this submission: this row's error, not the run's.
      const why = `the grader failed on this submission: ${(e as Error).message.split('\n')[0]}`;
      return graded(student, this.course, allFailed(this.course, why), why);
    }
  }
}

// #endregion X-grader

// #region X-self-check
// unwoven: course tooling; the student README describes `npm run grade -- .`.
/**
 * A student's self-check, in their own tree (the handout): each exercise's
 * public tests, run on the tree as it stands, against the values the tests
 * themselves expect. Same sandbox, same report; no reference solution (the
 * handout has none), so an exercise's tests may stop at the todo() of an
 * exercise it needs that is not done yet.
 */
export async function selfCheck(dir: string, options: GradeOptions = DEFAULT_OPTIONS, student = basename(dir)): Promise<Graded> {
  const exercises = readCourseExercises(dir);
  const answers: Answer[] = [];
  const origins: Origins = new Map();
  const walk = (rel: string) => {
    for (const d of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = `${rel}/${d.name}`;
      if (d.isDirectory()) walk(r);
      else if (d.name.endsWith('.ts')) {
        const found = parseAnswers(r, readFileSync(join(dir, r), 'utf8')).answers;
        answers.push(...found);
        if (found.length) origins.set(r, new Map(found.flatMap((a) => a.lines.map((_, j) => [a.begin + 1 + j, { exercise: a.id, file: r, line: a.begin + 1 + j }] as const))));
      }
    }
  };
  walk('src');
  // Each exercise in its own sandbox, as many at once as grading allows (see GradeOptions.parallel).
  const lanes = new Lanes(networkCut() ? options.parallel : 1);
  const perExercise = await Promise.all(exercises.map((e) => lanes.run(async () => {
    const files = exerciseTestFiles(dir, e.id).filter((f) => f.includes('.public.'));
    if (!files.length) return [];
    const bundle = await bundleTests(dir, files, new Map());
    const run: ExerciseRun = isBundleError(bundle) ? { bundleError: bundle, results: new Map() } : { ...(await runBundle(bundle.code, options.limits, null)), map: bundle.map };
    const c: VerdictContext = { exercise: e.id, run, origins, answers, secrets: [], limits: options.limits, own: true };
    const loaded = run.loaded ?? [{ exercise: e.id, name: `the tests of ${e.id}`, hidden: false, points: e.points }];
    return loaded.map((t, index): { outcome: TestOutcome; stopped: boolean } => {
      const result = run.results.get(index);
      const stopped = !!(result?.stopped ?? (result ? undefined : run.loadStopped));
      const record = result?.record;
      const seen = record?.seen ?? [];
      // With no reference run to count against, a test that ran to its end and made no check at all
      // would pass; every test of the course makes at least one, so something in the student's code
      // kept them from being recorded (a global it replaced), and that is no pass.
      if (record && !record.error && !seen.length) {
        return { stopped, outcome: { exercise: t.exercise, name: t.name, hidden: t.hidden, points: t.points, score: 0, status: 'FAIL' as const, message: 'made no checks, where every test makes at least one: does your code change something global (a prototype, Math)?', where: answerPlace(answers, e.id) } };
      }
      const test: CourseTest = { ...t, index, checks: seen.map((s) => ({ kind: s.kind, label: s.label })), reference: [] };
      return { stopped, outcome: verdict(test, seen.map((s) => s.expected), c) };
    });
  })));
  // A stopped process leaves no stack, and here an exercise runs the student's own answers to the
  // exercises it needs: a loop in ex07 stops every test that runs through it. When an exercise it
  // needs was stopped in its own tests too, name that one (the first such, not those stopped only
  // because they need it in turn) and its answer's line.
  const unfinished = new Set(perExercise.flat().filter((x) => x.stopped).map((x) => x.outcome.exercise));
  const needsOf = (id: string) => exercises.find((x) => x.id === id)?.needs ?? [];
  const outcomes = perExercise.flat().map(({ outcome, stopped }) => {
    if (!stopped) return outcome;
    const culprits = needsOf(outcome.exercise).filter((n) => unfinished.has(n) && !needsOf(n).some((m) => unfinished.has(m)));
    if (!culprits.length) return outcome;
    const at = answerPlace(answers, culprits[0]!);
    const them = `your ${culprits.join(' and ')}, whose own test${culprits.length > 1 ? 's' : ''} did not finish either`;
    const said = outcome.message ?? '';
    return { ...outcome, message: `${said}${/[.?!)]$/.test(said) ? '' : '.'} This test runs ${them}: look there first.`, ...(at ? { where: at } : {}) };
  });
  return { student, outcomes, score: sum(outcomes.map((t) => t.score)), max: sum(outcomes.map((t) => t.points)) };
}
// #endregion X-self-check
