/*
 * Seeded practice: the same seed is the same problem on every machine, the
 * answers are the MMU's, and an answer file is marked with reasons.
 */
import { describe, expect, test } from 'vitest';
import { answerLines, checkAnswers, makeProblem, PRACTICE_MODES, xoshiro128 } from '../../src/course/practice.ts';

describe('practice problems', () => {
  // Checked against the reference algorithm (Blackman and Vigna's C), seeded by splitmix32.
  test('the generator is xoshiro128** over integer arithmetic: its first numbers never change', () => {
    const r = xoshiro128(42);
    expect([r(), r(), r(), r()]).toMatchInlineSnapshot(`
      [
        2837322924,
        544945897,
        479756282,
        3500138142,
      ]
    `);
  });

  for (const mode of PRACTICE_MODES) {
    test(`seed 7 in ${mode} mode is always the same problem, with the same answers`, async () => {
      const p = makeProblem(7, mode);
      await expect(`${p.statement}\n${answerLines(p).join('\n')}\n`).toMatchFileSnapshot(`./snapshots/practice-${mode}-7.txt`);
      expect(makeProblem(7, mode).statement).toBe(p.statement);
      expect(makeProblem(8, mode).statement).not.toBe(p.statement);
    });
  }

  test('problems mix translations and faults, and explain each from the walk', () => {
    const qs = [1, 2, 3, 4, 5].flatMap((s) => makeProblem(s, 'pae').questions);
    expect(qs.some((q) => q.paddr !== null)).toBe(true);
    expect(qs.some((q) => q.errorCode !== null && q.errorCode & 1)).toBe(true);
    expect(qs.some((q) => q.errorCode !== null && !(q.errorCode & 1))).toBe(true);
    for (const q of qs) expect(q.explanation).toMatch(/^(read|write|fetch) 0x[0-9a-f]{8} at CPL [03] \(pae paging\)\n(  .*\n)*  = (physical|#PF)/);
  });

  test('an answer file is marked, wrong and unreadable lines each with a reason', () => {
    const p = makeProblem(42, '32bit');
    const right = answerLines(p);
    expect(checkAnswers(p, right.join('\n'))).toEqual({ score: 8, max: 8, lines: [] });
    const wrong = [...right];
    wrong[0] = '1: 0x00000000';
    wrong[1] = 'two: 0x1000';
    const r = checkAnswers(p, wrong.join('\n'));
    expect(r.score).toBe(6);
    expect(r.lines).toEqual([
      'line 2: cannot read "two: 0x1000" (write "3: 0x00401234" or "3: #PF 0x07")',
      `1: you said 0x00000000; the answer is ${right[0]!.slice(3)}`,
      `2: no answer; the answer is ${right[1]!.slice(3)}`,
    ]);
  });

  test('a bad seed or mode is refused with the reason', () => {
    expect(() => makeProblem(-1, '32bit')).toThrow('a seed is a whole number from 0 to 4294967295, not -1');
    expect(() => makeProblem(1, 'pse36' as never)).toThrow('mode must be one of 32bit, pse, pae, not "pse36"');
  });
});
