/*
 * The student's self-check (`npm run grade -- .`) runs each exercise's public
 * tests in a sandbox of its own, with no reference run to count checks
 * against, on the student's own files: an exercise runs the student's answers
 * to every exercise it needs. An answer that replaces a global so that no
 * check is recorded must not pass there, and must not sway the exercises that
 * never run it; an answer that loops, or a todo() not yet done, must be named
 * where it is, not where the test that reached it happens to be.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { handoutText } from '../../src/course/answers.ts';
import { readCourse, TODO_MODULE } from '../../src/course/course.ts';
import { DEFAULT_OPTIONS, selfCheck } from '../../src/course/grader.ts';

const root = join(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'lgj-self-check-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the course's tree in `work/name`, with only the exercises `only` listed (a sandbox each). */
function tree(name: string, only: string[]): string {
  const dir = join(work, name);
  for (const d of ['src', 'course', 'test/exercises', 'test/support']) cpSync(join(root, d), join(dir, d), { recursive: true });
  const list = join(dir, 'course/exercises.json');
  const course = JSON.parse(readFileSync(list, 'utf8')) as { exercises: { id: string }[] };
  writeFileSync(list, JSON.stringify({ ...course, exercises: course.exercises.filter((e) => only.includes(e.id)) }));
  return dir;
}

/** A student's tree as the handout has it (EXERCISE markers), every answer the solution but those given. */
function studentTree(name: string, only: string[], answers: Record<string, string[]>): string {
  const dir = tree(name, only);
  const course = readCourse(root);
  for (const [file, text] of course.sources) writeFileSync(join(dir, file), handoutText(file, text, course.blocks, course.exercises, TODO_MODULE, (b) => answers[b.id] ?? b.solution));
  return dir;
}

/** The line of `file` in `dir` that holds `text` (1-based). */
const lineOf = (dir: string, file: string, text: string) => readFileSync(join(dir, file), 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;

describe('the self-check', () => {
  test('an answer that stops checks being recorded fails, and the exercises that never run it keep their verdicts', async () => {
    // The course's tree with every solution in, but ex07's answer replaced: it breaks Array.prototype.push
    // (the test registry records checks with it) and says yes to every address.
    // Only the exercises up to ex07 (a sandbox each): enough to see both sides, for less processor time.
    const course = JSON.parse(readFileSync(join(root, 'course/exercises.json'), 'utf8')) as { exercises: { id: string }[] };
    const dir = tree('polluted', course.exercises.map((e) => e.id).filter((id) => id <= 'ex07-address-ok'));
    const file = join(dir, 'src/host/guest-memory.ts');
    const text = readFileSync(file, 'utf8');
    const polluted = text.replace(/(\/\/ BEGIN SOLUTION ex07-address-ok\n)[\s\S]*?(\s*\/\/ END SOLUTION ex07-address-ok)/, '$1  (Array.prototype as { push: unknown }).push = () => 0;\n  return true;$2');
    expect(polluted).not.toBe(text);
    writeFileSync(file, polluted);
    const { outcomes } = await selfCheck(dir);
    const ex07 = outcomes.filter((o) => o.exercise === 'ex07-address-ok');
    expect(ex07.length).toBeGreaterThan(0);
    for (const o of ex07) expect(o).toMatchObject({ status: 'FAIL', score: 0, message: expect.stringMatching(/^made no checks/) });
    // The MMU's exercises never call the Host's address check: each keeps every point.
    const hw = outcomes.filter((o) => /^ex0[3-6]-/.test(o.exercise));
    expect(hw.length).toBeGreaterThan(0);
    for (const o of hw) expect(o, `${o.exercise}: ${o.name}`).toMatchObject({ status: 'PASS', score: o.points });
  });

  test('an exercise that times out in a needed exercise\'s loop names that exercise and its line, not only "an infinite loop?"', async () => {
    // ex09-pgdir-cache needs ex03, ex04, ex07 and ex08: only ex07's own test did not finish, so only ex07 is named.
    // Every test here loops, so the budget only sets how long it takes: no verdict depends on the machine.
    const dir = studentTree('loops', ['ex07-address-ok', 'ex09-pgdir-cache'], { 'ex07-address-ok': ['  for (;;) len = len + 1 || 0;'] });
    const at = `src/host/guest-memory.ts:${lineOf(dir, 'src/host/guest-memory.ts', 'for (;;) len')} (your answer to ex07-address-ok)`;
    const { outcomes } = await selfCheck(dir, { ...DEFAULT_OPTIONS, limits: { ...DEFAULT_OPTIONS.limits, cpuMs: 300 } });
    const of = (id: string) => outcomes.filter((o) => o.exercise === id);
    for (const o of of('ex07-address-ok')) expect(o).toMatchObject({ status: 'TIMEOUT', score: 0, where: at });
    const ex09 = of('ex09-pgdir-cache');
    expect(ex09.length).toBeGreaterThan(0);
    for (const o of ex09) {
      expect(o).toMatchObject({ status: 'TIMEOUT', score: 0, where: at });
      expect(o.message).toMatch(/^used 300 ms of CPU time without finishing.*your ex07-address-ok, whose own test did not finish either/);
      expect(o.message).not.toMatch(/ex0[348]-/);
    }
  });

  test('a test stopped at the todo() of an exercise it needs points at that todo(), even where it stands outside any markers', async () => {
    // ex07 left as the stub, with its marker lines deleted: its todo() is the student's line, but no answer's.
    const dir = studentTree('todo', ['ex09-pgdir-cache'], { 'ex07-address-ok': ["  return todo('ex07-address-ok', 'not yet');"] });
    const file = join(dir, 'src/host/guest-memory.ts');
    writeFileSync(file, readFileSync(file, 'utf8').split('\n').filter((l) => !/EXERCISE ex07-address-ok/.test(l)).join('\n'));
    const line = lineOf(dir, 'src/host/guest-memory.ts', "return todo('ex07-address-ok'");
    expect(line).toBeGreaterThan(0);
    const { outcomes } = await selfCheck(dir);
    expect(outcomes.length).toBeGreaterThan(0);
    for (const o of outcomes) {
      expect(o).toMatchObject({ status: 'FAIL', message: expect.stringMatching(/^stopped at the todo\(\) of ex07-address-ok/), where: `src/host/guest-memory.ts:${line} (the todo() of ex07-address-ok)` });
    }
  });
});
