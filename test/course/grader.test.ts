/*
 * The grader against a class of fixture submissions, each made from the real
 * sources: the full solution, the bare skeleton, an infinite loop, a throw, a
 * syntax error, a subtle mistake and a memory hog. Every score and message is
 * checked, and grading goes on past every one of them.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { collectTests, csv, formatReport, gradeSubmission, gradescopeResults, loadExercises, type CollectedTest, type Graded } from '../../src/course/grader.ts';
import { findBlocks, stubOut } from '../../src/course/skeleton.ts';

const root = join(import.meta.dirname, '../..');
const options = { timeoutMs: 1000, memoryMb: 96 };
const work = mkdtempSync(join(tmpdir(), 'class-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A submission: the solution's src/, changed by `edits` (file → text → text). */
function submission(name: string, edits: Record<string, (t: string) => string> = {}): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
  for (const [file, edit] of Object.entries(edits)) writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

const replace = (from: string, to: string) => (t: string) => {
  if (!t.includes(from)) throw new Error(`fixture edit: "${from}" not found`);
  return t.replace(from, to);
};

let tests: CollectedTest[];
const exercises = loadExercises(root);
const graded = new Map<string, Graded>();
const byName = (name: string) => graded.get(name)!;
const outcome = (name: string, exercise: string, test: string) => byName(name).outcomes.find((t) => t.exercise === exercise && t.name === test)!;

beforeAll(async () => {
  tests = await collectTests(root);
  const skeleton = submission('skeleton');
  stubOut(skeleton, findBlocks(root).blocks, exercises);
  const class_ = {
    full: submission('full'),
    skeleton,
    'infinite-loop': submission('infinite-loop', {
      'src/hw/walk-32.ts': replace('  out.pageBase = high + ((pde & 0xffc0_0000) >>> 0) + (vaddr & 0x003f_f000);', '  while (pde !== -1) out.pageBase = high;'),
    }),
    throws: submission('throws', {
      'src/host/gpte-to-spte.ts': replace('  return gpte & PTE_D ? gpteToSpte(g, gpte, true) : gpteToSpte(g, gpte & ~PTE_RW, false);', "  throw new TypeError(`oops ${gpte}`);"),
    }),
    'syntax-error': submission('syntax-error', { 'src/hw/tlb.ts': replace('  flushAll(): void {', '  flushAll(): void {{') }),
    'subtly-wrong': submission('subtly-wrong', {
      'src/host/guest-memory.ts': replace('return Number.isInteger(addr) && addr >= 0', 'return addr >= 0'),
    }),
    'memory-hog': submission('memory-hog', {
      'src/hw/tlb.ts': replace('      if (this.live(slot) && !(this.rightsOf(slot) & R_G)) this.drop(slot);', '      const hog: number[][] = [];\n      for (;;) hog.push(new Array(1 << 20).fill(slot));'),
    }),
  };
  for (const [name, dir] of Object.entries(class_)) graded.set(name, await gradeSubmission(root, dir, tests, options));
  // A loop at module level never lets the tests load at all.
  const stuck = submission('module-loop', { 'src/hw/pte.ts': (t) => `${t}\nwhile (Date.now() > 0) { /* forever */ }\n` });
  graded.set('module-loop', await gradeSubmission(root, stuck, tests, { ...options, loadTimeoutMs: 3000 }));
});

describe('grading a class', () => {
  test('the full solution scores every point', () => {
    expect(byName('full').score).toBe(49);
    expect(byName('full').max).toBe(49);
    expect(byName('full').outcomes.every((t) => t.status === 'PASS')).toBe(true);
  });

  test('the bare skeleton scores 0, every test failing at a TODO', () => {
    const g = byName('skeleton');
    expect(g.score).toBe(0);
    for (const t of g.outcomes) {
      expect(t.status).toBe('FAIL');
      expect(t.message).toMatch(/^Todo: TODO ex\d\d-/);
    }
  });

  test('an infinite loop times out its own tests, scores 0 there, and the rest is graded', () => {
    const g = byName('infinite-loop');
    const mine = g.outcomes.filter((t) => t.exercise === 'ex05-large-page');
    expect(mine.map((t) => [t.status, t.score, t.message])).toEqual(mine.map(() => ['TIMEOUT', 0, 'killed after 1000 ms: an infinite loop?']));
    expect(g.score).toBe(49 - 3);
  });

  test('a throw is an ERROR with the error and where in src/ it was thrown', () => {
    const t = outcome('throws', 'ex08-write-protect', 'after a read fault the shadow entry is read-only, though the Guest\'s is writable');
    expect(t.status).toBe('ERROR');
    expect(t.message).toMatch(/^TypeError: oops \d+\nat trackedSpte \(src\/host\/gpte-to-spte\.ts:\d+:\d+\)$/);
    expect(byName('throws').outcomes.find((x) => x.exercise === 'ex03-rights')!.status).toBe('PASS');
  });

  test('a syntax error scores 0 everywhere it is loaded, saying where', () => {
    const g = byName('syntax-error');
    expect(g.score).toBe(0);
    for (const t of g.outcomes) {
      expect(t.status).toBe('ERROR');
      expect(t.message).toMatch(/^could not load test\/exercises\/.*: .*src\/hw\/tlb\.ts:\d+:\d+/s);
    }
  });

  test('a subtle mistake passes the public tests and fails a hidden one, with expected and actual', () => {
    const g = byName('subtly-wrong');
    expect(g.score).toBe(48);
    const t = outcome('subtly-wrong', 'ex07-address-ok', 'an address that is not a whole number is refused');
    expect([t.status, t.hidden, t.expected, t.actual]).toEqual(['FAIL', true, 'false', 'true']);
    expect(g.outcomes.filter((x) => !x.hidden).every((x) => x.status === 'PASS')).toBe(true);
  });

  test('a memory hog is stopped at the cap and scores 0 on that test only', () => {
    const g = byName('memory-hog');
    const t = outcome('memory-hog', 'ex06-tlb-flush', 'with PGE, a CR3 write keeps Global entries and drops the rest');
    expect([t.status, t.message]).toEqual(['ERROR', 'ran out of memory (cap 96 MiB)']);
    expect(g.score).toBe(49 - 3);
  });

  test('a loop at module level times out the load, scoring 0 with the reason', () => {
    const g = byName('module-loop');
    expect(g.score).toBe(0);
    for (const t of g.outcomes) expect([t.status, t.message]).toEqual(['TIMEOUT', 'loading the submission did not finish in 3000 ms (a loop at module level?)']);
  });

  test('the report, the Gradescope results and the class CSV say the same', () => {
    const report = formatReport(byName('subtly-wrong'), exercises);
    expect(report).toContain('  FAIL      0/1  an address that is not a whole number is refused  [hidden]');
    expect(report).toContain('               read: 07-the-host-and-its-guest.html#ex07-address-ok');
    // Hidden tests keep their expected and actual values to themselves until revealed.
    expect(report).not.toContain('expected false');
    expect(formatReport(byName('subtly-wrong'), exercises, true)).toContain('expected false');
    expect(report).toMatch(/^Score: 48\/49 \(98\.0%\) · 34 tests: 33 passed, 1 failed, 0 timed out, 0 errors · [\d.]+ s$/m);
    const gs = gradescopeResults(byName('infinite-loop'), exercises) as { score: number; max_score: number; tests: { name: string; status: string; visibility: string; score: number; max_score: number; number: string; tags: string[] }[] };
    expect([gs.score, gs.max_score, gs.tests.length]).toEqual([46, 49, 34]);
    expect(gs.tests.find((x) => x.name.startsWith('ex05-large-page: a 4 MiB'))).toMatchObject({ status: 'failed', score: 0, max_score: 2, number: '05.1', visibility: 'visible', tags: ['ch05', 'ex05-large-page'] });
    expect(gs.tests.filter((x) => x.visibility === 'after_due_date').length).toBe(tests.filter((t) => t.hidden).length);
    const rows = csv([...graded.values()], exercises).trim().split('\n');
    expect(rows[0]).toBe(`student,${exercises.map((e) => e.id).join(',')},total,max`);
    expect(rows.find((r) => r.startsWith('subtly-wrong,'))).toBe('subtly-wrong,4,4,4,3,3,3,5,5,4,3,4,3,3,48,49');
    expect(rows.find((r) => r.startsWith('skeleton,'))).toBe(`skeleton,${exercises.map(() => 0).join(',')},0,49`);
  });
});
