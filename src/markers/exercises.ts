/*
 * The course's list of exercises (course/exercises.json), shared by the book,
 * which sets each in a chapter, and the course tooling, which grades them.
 * Neither imports the other: both read it here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// #region X-exercise-list
// unwoven: course plumbing shared by the book check and the grader.
export interface Exercise {
  id: string;
  title: string;
  chapter: string;
  points: number;
  /**
   * The exercises before this one whose code its public tests run: a student
   * who does the exercises in order can check each one alone (the handout
   * generator proves it).
   */
  needs?: string[];
}

/** course/exercises.json, or null for a book without a course (the fixture books). */
export function courseExercises(root: string): Exercise[] | null {
  const file = join(root, 'course/exercises.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { exercises: Exercise[] }).exercises : null;
}
// #endregion X-exercise-list
