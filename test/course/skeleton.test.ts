/*
 * The skeleton generator, run for real: the student tree it writes, and the
 * proofs it must make every time. And the marker rules it relies on.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parseExercises } from '../../src/markers/markers.ts';
import { generateSkeleton } from '../../src/course/skeleton.ts';
import { buildStudentSite } from '../../src/literate/site.ts';
import { regionCode, parseRegions } from '../../src/literate/regions.ts';

const root = join(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'student-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the student tree', () => {
  test('is generated with every proof made', async () => {
    const r = await generateSkeleton(root, out, { site: buildStudentSite, suite: true });
    expect(r.errors).toEqual([]);
    expect(r.proofs).toEqual([
      'the skeleton type-checks',
      'all 34 exercise tests pass on the solution',
      'each of the 13 exercises: its 34 tests fail at its own TODO when only it is stubbed',
      expect.stringMatching(/^outside the exercises, \d+ tests pass on the skeleton and \d+ stop at a TODO; none fails otherwise$/),
      expect.stringMatching(/^the student edition of the site: \d+ pages$/),
      'no solution text in the student tree or its site',
    ]);
    // Stubs where the solutions were, each saying what to do and where to read.
    const walk = readFileSync(join(out, 'src/hw/walk-32.ts'), 'utf8');
    expect(walk).toContain("import { todo } from '../course/todo.ts';");
    expect(walk).toContain('  // EXERCISE ex02-walk (4 pts): Find the page-table entry. Read chapters/02-two-level-walk.md#ex02-walk\n  const pteAddr: number = todo(');
    expect(walk).not.toMatch(/SOLUTION|BEGIN STUB|END STUB/);
    // Public tests go to students; hidden ones stay with the grader.
    expect(existsSync(join(out, 'test/exercises/ex02-walk.public.test.ts'))).toBe(true);
    expect(existsSync(join(out, 'test/exercises/ex02-walk.hidden.test.ts'))).toBe(false);
    // The student's book shows the stub.
    expect(readFileSync(join(out, 'dist/site/02-two-level-walk.html'), 'utf8')).toContain('EXERCISE ex02-walk');
  });
});

describe('exercise markers', () => {
  const lines = (s: string) => s.split('\n');
  test('a well-formed block is read, its stub uncommented', () => {
    const r = parseExercises('a.ts', lines('  // BEGIN SOLUTION ex02-walk\n  x = 1;\n  // END SOLUTION ex02-walk\n  // BEGIN STUB ex02-walk\n  // x = todo();\n  // END STUB ex02-walk'));
    expect(r.errors).toEqual([]);
    expect(r.blocks).toEqual([{ id: 'ex02-walk', file: 'a.ts', start: 1, end: 6, solution: ['  x = 1;'], stub: ['  x = todo();'], indent: '  ' }]);
  });

  test('broken blocks are reported at their lines', () => {
    expect(parseExercises('a.ts', lines('// BEGIN SOLUTION ex02-walk\nx;\n// BEGIN STUB ex02-walk\n// y\n// END STUB ex02-walk')).errors[0]).toEqual({ file: 'a.ts', line: 1, message: 'BEGIN SOLUTION ex02-walk is not closed by END SOLUTION ex02-walk before the next marker' });
    expect(parseExercises('a.ts', lines('// BEGIN SOLUTION ex02-walk\nx;\n// END SOLUTION ex02-walk\ny;')).errors[0]!.message).toBe('END SOLUTION ex02-walk must be followed at once by BEGIN STUB ex02-walk');
    expect(parseExercises('a.ts', lines('// END STUB ex02-walk')).errors[0]!.message).toBe('"// END STUB ex02-walk" has no BEGIN SOLUTION before it');
    expect(parseExercises('a.ts', lines('// BEGIN SOLUTION walk\nx;\n// END SOLUTION walk\n// BEGIN STUB walk\n// y\n// END STUB walk')).errors[0]!.message).toBe('exercise id "walk" must look like ex02-walk');
    expect(parseExercises('a.ts', lines('// BEGIN SOLUTION ex02-walk\nx;\n// END SOLUTION ex02-walk\n// BEGIN STUB ex02-walk\ny;\n// END STUB ex02-walk')).errors[0]!.message).toBe('stub lines are commented out (// …) so that the solution tree compiles');
  });

  test('the book shows the solution without markers or stub, at its real line numbers', () => {
    const text = readFileSync(join(root, 'src/hw/walk-32.ts'), 'utf8');
    const region = parseRegions('src/hw/walk-32.ts', text).regions.get('HW-walk-32')!;
    const { code, lines: numbers } = regionCode(region);
    expect(code).not.toMatch(/SOLUTION|STUB|todo\(/);
    const file = text.split('\n');
    code.split('\n').forEach((l, i) => expect(file[numbers[i]! - 1]!.trim()).toBe(l.trim()));
  });
});
