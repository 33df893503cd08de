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
}

/** course/exercises.json, or null for a book without a course (the fixture books). */
export function courseExercises(root: string): Exercise[] | null {
  const file = join(root, 'course/exercises.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { exercises: Exercise[] }).exercises : null;
}
// #endregion X-exercise-list
