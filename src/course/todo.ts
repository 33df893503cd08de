/*
 * What a student's unfinished exercise does: stop, and say which exercise
 * and what it wants. A call has type `never`, so a stub compiles wherever a
 * value or a statement is expected.
 */

// #region X-todo
// unwoven: course plumbing; the student tree imports it where a stub needs it.
/** How many Todos have been thrown in this process: the test suite's way to tell "unfinished" from "broken". */
export const TODO_COUNT = Symbol.for('lguest-journey.todo.count');

export class Todo extends Error {
  constructor(readonly exercise: string, hint: string) {
    super(`TODO ${exercise}: ${hint}`);
    this.name = 'Todo';
    const g = globalThis as Record<symbol, number | undefined>;
    g[TODO_COUNT] = (g[TODO_COUNT] ?? 0) + 1;
  }
}

export function todo(exercise: string, hint: string): never {
  throw new Todo(exercise, hint);
}
// #endregion X-todo
