/**
 * `claim(id, fn)`: a test that proves the chapter sentence marked
 * `::: claim id`. The book check reads these calls from the test files, so the
 * id must be a string literal.
 */
import { test } from 'vitest';

export function claim(id: string, fn: () => void | Promise<void>, timeout?: number): void {
  test(`claim ${id}`, fn, timeout);
}
