/*
 * Graded tests: `const t = exercise('ex02-walk')` then `t(2, 'name', fn)`.
 * Under vitest each is an ordinary test; under the grader (which sets the
 * registry before importing a test file) each is only registered, and the
 * grader runs it in a process it can kill.
 */

export interface GradedTest {
  exercise: string;
  points: number;
  name: string;
  hidden: boolean;
  fn: () => unknown;
}

/** Where the grader collects tests; absent under vitest. */
export const GRADER_REGISTRY = Symbol.for('lguest-journey.grader.tests');

const registry = (globalThis as Record<symbol, GradedTest[] | undefined>)[GRADER_REGISTRY];
// Vitest is loaded only when vitest is running this file.
const vitest = registry ? null : await import('vitest');

export function exercise(id: string, options: { hidden?: boolean } = {}) {
  return (points: number, name: string, fn: () => unknown): void => {
    if (registry) registry.push({ exercise: id, points, name, hidden: options.hidden ?? false, fn });
    else vitest!.test(`${id}: ${name} (${points} pt${points === 1 ? '' : 's'})`, fn);
  };
}
