/*
 * The class summary a batch ends with, on a made-up class (no sandbox): the
 * figures are over the submissions graded, never the refused ones, whose 0
 * says nothing about the exercises.
 */
import { describe, expect, test } from 'vitest';
import type { Exercise } from '../../src/course/course.ts';
import type { Graded, TestOutcome } from '../../src/course/grader.ts';
import { classSummary, csv, feedbackNames, formatReport, shownName } from '../../src/course/report.ts';

const exercises = [
  { id: 'ex03-rights', title: 'rights', chapter: 'chapters/03-rights.md', points: 3 },
  { id: 'ex07-address-ok', title: 'address', chapter: 'chapters/07-the-host-and-its-guest.md', points: 2 },
] as Exercise[];

/** A student who scored `a` of ex03's tests (1 and 2 points) and `b` of ex07's one (hidden, 2 points). */
function student(name: string, a: [boolean, boolean], b: boolean, refused?: string): Graded {
  const t = (exercise: string, n: string, points: number, pass: boolean, hidden = false): TestOutcome => ({ exercise, name: n, hidden, points, score: pass ? points : 0, status: pass ? 'PASS' : 'FAIL' });
  const outcomes = [t('ex03-rights', 'one', 1, a[0]), t('ex03-rights', 'two', 2, a[1]), t('ex07-address-ok', 'bounds', 2, b, true)];
  return { student: name, outcomes, score: outcomes.reduce((n, o) => n + o.score, 0), max: 5, ...(refused ? { refused } : {}) };
}

describe('the class summary', () => {
  test('means, median and full marks over the graded submissions, and the tests failed most, hidden ones marked', () => {
    const nothing = student('gone', [false, false], false, 'gone: is not a folder');
    const summary = classSummary([student('a', [true, true], true), student('b', [true, false], true), student('c', [false, false], false), student('d', [true, true], false), nothing], exercises);
    expect(summary).toBe([
      // Totals 5, 3, 0, 3: mean 2.75, median 3.
      'class: 5 entries, 1 refused; 4 graded: mean 2.8/5, median 3, 1 with every point',
      // ex03: 3, 1, 0, 3 of 3.
      '  ex03-rights         1.8/3    2 with every point',
      '  ex07-address-ok     1.0/2    2 with every point',
      'tests failed most (of the 4 graded):',
      '    2  ex03-rights: two',
      '    2  ex07-address-ok: [hidden] bounds',
      '    1  ex03-rights: one',
      '',
    ].join('\n'));
  });

  test('a class with nothing graded says so, and divides by nothing', () => {
    expect(classSummary([student('gone', [false, false], false, 'gone: is not a folder')], exercises).split('\n')[0]).toBe('class: 1 entries, 1 refused; 0 graded: mean 0.0/5, median 0, 0 with every point');
  });
});

describe('feedback file names', () => {
  test('each student gets a file of their own, even where two names make the same plain file name, or differ only in case', () => {
    const names = feedbackNames(['Jo Smith', 'Jo_Smith', 'alice', 'Alice', '.profile', 'bob']);
    expect([...names]).toEqual([['Jo Smith', 'Jo_Smith'], ['Jo_Smith', 'Jo_Smith-2'], ['alice', 'alice'], ['Alice', 'Alice-2'], ['.profile', '_profile'], ['bob', 'bob']]);
  });
});

describe('the gradebook CSV', () => {
  test('a name cannot start a formula, end a row early, or move its grades to another student', () => {
    const names = ['=1+99', '+SUM(A1)', '-2', '@cmd', 'mallory\rbob', 'Jo, Smith', 'plain'];
    const text = csv(names.map((n) => student(n, [true, true], true)), exercises);
    const rows = text.trimEnd().split('\n');
    // One line a student: no bare carriage return or newline inside a row.
    expect(rows.length).toBe(names.length + 1);
    expect(rows.slice(1).map((r) => r.match(/^("[^"]*(?:""[^"]*)*"|[^,]*)/)![0])).toEqual([
      "'=1+99", "'+SUM(A1)", "'-2", "'@cmd", '"mallory\rbob"', '"Jo, Smith"', 'plain',
    ]);
    // And a refusal note made of a name is defused the same way.
    expect(csv([student('x', [false, false], false, '=HYPERLINK("http://evil","a")')], exercises).trimEnd().split('\n')[1]).toMatch(/,"'=HYPERLINK\(""http:\/\/evil"",""a""\)"$/);
  });

  test('a name printed on the console cannot move the cursor or paint a score', () => {
    expect(shownName('alice')).toBe('alice');
    expect(shownName('Jo Smith')).toBe('Jo Smith');
    for (const tricky of ['eve      89/89\nzz', 'x\ralice', 'a\u001b[8mb']) {
      const shown = shownName(tricky);
      expect(shown).not.toMatch(/[\x00-\x1f]/);
      expect(JSON.parse(shown)).toBe(tricky);
    }
  });

  test('a feedback file name stays short enough for any disk, and still one of its own', () => {
    const long = 'L'.repeat(250);
    const names = feedbackNames([long, `${long}x`]);
    expect(names.get(long)!.length).toBe(100);
    expect(names.get(`${long}x`)).toBe(`${'L'.repeat(100)}-2`);
  });
});

describe('the report of a refused upload', () => {
  test('says why once, and what each exercise scores, not the same reason under every test', () => {
    const why = 'src/hw/rights.ts: is a symbolic link. The grader reads only plain files and folders.';
    const g = student('gone', [false, false], false, why);
    g.outcomes = g.outcomes.map((t) => ({ ...t, status: 'ERROR', message: why }));
    const report = formatReport(g, exercises, 'student');
    expect(report.split(why).length - 1).toBe(1);
    expect(report).toContain('\n  ex03-rights: 0/3 on the public tests\n  ex07-address-ok: 0/0 on the public tests\n\nPublic tests: 0/3\n');
    expect(formatReport(g, exercises, 'instructor')).toMatch(/\n {2}ex07-address-ok: 0\/2\n\nScore: 0\/5\n$/);
  });
});
