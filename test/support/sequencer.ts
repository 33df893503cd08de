/*
 * The order test files start in. Two workers share the two cores, so the
 * run can end no sooner than its longest file: that file must start first,
 * on a fresh clone too, where vitest has no durations of an earlier run to
 * sort by (it would go by file size, and by failures first after a red run).
 * The files below are the long ones, longest first, as measured on the
 * suite's 2-core machine; every other file follows in vitest's own order.
 * An order, never a verdict: a file out of place only makes the run longer.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longest first: the browser (Chromium's own processes), the class grading, the handout proof, the autograder. */
export const LONG_FILES = ['test/site/browser.test.ts', 'test/course/grader.test.ts', 'test/course/handout.test.ts', 'test/course/gradescope.test.ts'];

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONG_FILES.findIndex((l) => f.moduleId.replace(/\\/g, '/').endsWith(`/${l}`));
      return i < 0 ? LONG_FILES.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
