/*
 * The student's self-check (`npm run grade -- .`) runs each exercise's public
 * tests in a sandbox of its own, with no reference run to count checks
 * against. An answer that replaces a global so that no check is recorded
 * must not pass there, and must not sway the exercises that never run it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { selfCheck } from '../../src/course/grader.ts';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'lgj-self-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the self-check', () => {
  test('an answer that stops checks being recorded fails, and the exercises that never run it keep their verdicts', async () => {
    // The course's tree with every solution in, but ex07's answer replaced: it breaks Array.prototype.push
    // (the test registry records checks with it) and says yes to every address.
    for (const d of ['src', 'course', 'test/exercises', 'test/support']) cpSync(join(root, d), join(dir, d), { recursive: true });
    // Only the exercises up to ex07 (a sandbox each): enough to see both sides, for less processor time.
    const list = join(dir, 'course/exercises.json');
    const course = JSON.parse(readFileSync(list, 'utf8')) as { exercises: { id: string }[] };
    writeFileSync(list, JSON.stringify({ ...course, exercises: course.exercises.filter((e) => e.id <= 'ex07-address-ok') }));
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
});
