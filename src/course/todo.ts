/*
 * What a student's unfinished exercise does: stop, and say which exercise
 * and what it wants. A call has type `never`, so a stub compiles wherever a
 * value or a statement is expected.
 */

// #region X-todo
// unwoven: course plumbing; the student tree imports it where a stub needs it.
export class Todo extends Error {
  constructor(readonly exercise: string, hint: string) {
    super(`TODO ${exercise}: ${hint}`);
    this.name = 'Todo';
  }
}

export function todo(exercise: string, hint: string): never {
  throw new Todo(exercise, hint);
}
// #endregion X-todo
