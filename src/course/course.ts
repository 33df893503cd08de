/*
 * The course as the grader knows it, read from the instructor's tree: the
 * exercises (course/exercises.json), their solution blocks in src/, their
 * tests (test/exercises/<id>.public.test.ts and <id>.hidden.test.ts), and
 * what the reference solution returns in every test, measured once in the
 * same sandbox the submissions run in. Adding an exercise is markers in
 * src/, the two test files and an entry in course/exercises.json.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { courseExercises, type Exercise } from '../markers/exercises.ts';
import { parseExercises, type ExerciseBlock } from '../markers/markers.ts';
import type { Kind, Plain } from './show.ts';

// #region X-course
// unwoven: course tooling; the README's course section describes the layout.
export type { Exercise, ExerciseBlock };

/** One graded test, as the reference solution ran it. */
export interface CourseTest {
  exercise: string;
  /** Its place among its exercise's tests: public file first, then hidden, in file order. */
  index: number;
  name: string;
  hidden: boolean;
  points: number;
  /** What the test looks at, in order, and what the reference solution returned for each. */
  checks: { kind: Kind; label: string }[];
  reference: Plain[];
}

export interface Course {
  root: string;
  exercises: Exercise[];
  blocks: ExerciseBlock[];
  /** The instructor's text of every file that holds a block. */
  sources: Map<string, string>;
  /** Each exercise's test files, public first. */
  testFiles: Map<string, string[]>;
  tests: CourseTest[];
}

export const TODO_MODULE = 'src/course/todo.ts';

export function loadExercises(root: string): Exercise[] {
  const list = courseExercises(root);
  if (!list) throw new Error(`${join(root, 'course/exercises.json')}: no such file; grading needs the course's exercise list`);
  return list;
}

/** Every exercise block under src/, or the marker errors as file:line messages. */
export function findBlocks(root: string): { blocks: ExerciseBlock[]; errors: string[] } {
  const blocks: ExerciseBlock[] = [];
  const errors: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const rel = `${dir}/${name}`;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.ts')) {
        const r = parseExercises(rel, readFileSync(join(root, rel), 'utf8').split('\n'));
        blocks.push(...r.blocks);
        errors.push(...r.errors.map((e) => `${e.file}:${e.line}: ${e.message}`));
      }
    }
  };
  walk('src');
  return { blocks, errors };
}

/** An exercise's test files: public, then hidden (either may be missing in a handout). */
export function exerciseTestFiles(root: string, id: string): string[] {
  return ['public', 'hidden'].map((v) => `test/exercises/${id}.${v}.test.ts`).filter((f) => existsSync(join(root, f)));
}

/** A file every handout's src/ holds (the first exercise's), relative to src/: how an upload's src/ is known. */
export function srcMarker(course: Pick<Course, 'blocks' | 'exercises'>): string {
  return course.blocks.find((b) => b.id === course.exercises[0]!.id)!.file.replace(/^src\//, '');
}

/**
 * The course's static parts, checked: every exercise has blocks, public and
 * hidden tests, and every block belongs to a listed exercise. `tests` is
 * filled by the reference run (see grader.ts).
 */
export function readCourse(root: string): Course {
  const exercises = loadExercises(root);
  const { blocks, errors } = findBlocks(root);
  for (const b of blocks) if (!exercises.some((e) => e.id === b.id)) errors.push(`${b.file}:${b.start}: exercise ${b.id} is not in course/exercises.json`);
  const testFiles = new Map<string, string[]>();
  for (const e of exercises) {
    if (!blocks.some((b) => b.id === e.id)) errors.push(`course/exercises.json: exercise ${e.id} has no solution block in src/`);
    const files = exerciseTestFiles(root, e.id);
    if (files.length !== 2) errors.push(`${e.id} needs test/exercises/${e.id}.public.test.ts and .hidden.test.ts`);
    for (const n of e.needs ?? []) {
      const at = exercises.findIndex((x) => x.id === n);
      if (at < 0 || at >= exercises.indexOf(e)) errors.push(`course/exercises.json: ${e.id} needs ${n}, which is not an exercise before it`);
    }
    testFiles.set(e.id, files);
  }
  if (errors.length) throw new Error(`the course is not consistent:\n${errors.join('\n')}`);
  const sources = new Map<string, string>();
  for (const b of blocks) if (!sources.has(b.file)) sources.set(b.file, readFileSync(join(root, b.file), 'utf8'));
  return { root, exercises, blocks, sources, testFiles, tests: [] };
}
// #endregion X-course
