/*
 * Graded tests:
 *
 *     const t = exercise('ex02-walk');
 *     t(2, 'a mapped page translates to its frame plus the offset', (see) => {
 *       …
 *       see.addr('mmu.physical(0x08048123, READ)', mmu.physical(0x0804_8123, READ), 0x0005_0123);
 *     });
 *
 * A test never asserts by itself: it shows `see` what the code returned,
 * with a label saying what was asked and the value the book says is right.
 * Under vitest, `see` compares at once and fails with both values in hex.
 * Under the grader, the sandbox hands in a `see` that only records, and the
 * grader (outside the sandbox) compares the record with the reference
 * solution's record of the same test. The expected values are blanked out of
 * what the sandbox runs, so the code under test never has them; write every
 * expected value of a hidden test as the third argument of a `see` call, and
 * nowhere else. A label says what was asked, never the answer.
 */
import { PageFault } from '../../src/hw/fault.ts';
import { plain, same, show, type Kind } from '../../src/course/show.ts';

export interface See {
  /** Any value: numbers, strings, booleans, arrays and plain objects, compared deeply. */
  value(label: string, actual: unknown, expected: unknown): void;
  /** An address, printed 0x0804_8123-style. */
  addr(label: string, actual: unknown, expected: number): void;
  /** A page-table entry, printed in hex with its flags named. */
  entry(label: string, actual: unknown, expected: number | bigint): void;
  /** A page-fault error code with its bits named, or null for "no fault". */
  pf(label: string, actual: unknown, expected: number | null): void;
}

export const SEE_KINDS: readonly Kind[] = ['value', 'addr', 'entry', 'pf'];

export interface GradedTest {
  exercise: string;
  points: number;
  name: string;
  hidden: boolean;
  fn: (see: See) => unknown;
}

/** The grader's sandbox puts its host here before it loads a test bundle; absent under vitest. */
export const GRADER_HOST = Symbol.for('lguest-journey.grader');

export interface GraderHost {
  register(test: GradedTest): void;
}

const host = (globalThis as Record<symbol, GraderHost | undefined>)[GRADER_HOST];
// Vitest is loaded only when vitest is running this file (the grader's bundles leave it out).
// Its one function used here is typed by hand: type-checking a handout then needs no vitest types.
const VITEST = 'vitest';
const vitest = host ? null : ((await import(VITEST)) as { test: (name: string, fn: () => unknown) => void });

class CheckFailed extends Error {
  override name = 'AssertionError';
}

/** The `see` of a vitest run: compare now, fail with both values printed for a reader. */
function checking(): See {
  const check = (kind: Kind) => (label: string, actual: unknown, expected: unknown) => {
    const a = plain(actual);
    const e = plain(expected);
    if (!same(a, e)) throw new CheckFailed(`${label}\n  expected ${show(e, kind)}\n  actual   ${show(a, kind)}`);
  };
  return { value: check('value'), addr: check('addr'), entry: check('entry'), pf: check('pf') };
}

export function exercise(id: string, options: { hidden?: boolean } = {}) {
  return (points: number, name: string, fn: (see: See) => unknown): void => {
    if (host) host.register({ exercise: id, points, name, hidden: options.hidden ?? false, fn });
    else vitest!.test(`${id}: ${name} (${points} pt${points === 1 ? '' : 's'})`, () => fn(checking()));
  };
}

/** The error code of the page fault `fn` raises, or null when it raises none. */
export function faultCode(fn: () => unknown): number | null {
  try {
    fn();
  } catch (e) {
    if (e instanceof PageFault) return e.errorCode;
    throw e;
  }
  return null;
}
