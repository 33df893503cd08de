import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/sequencer.ts';

/**
 * The files that start a browser, a grader or a handout's proofs (processes of
 * their own, temporary trees, a class of submissions) run each in a worker of
 * its own. Every other file builds MMUs, Hosts, Guests, books and figures in its
 * worker and keeps no state in a module that changes an answer (memos of rights
 * tables and highlighters, a pool of zeroed memory): those files share a
 * worker's module graph (isolate: false) rather than each starting a worker and
 * importing the sources afresh, a start that cost more processor time than most
 * of their tests (about 0.6 s a file). Stryker has run the machine's tests this
 * way from the start (mutation/vitest.config.ts).
 */
const OWN_WORKER = ['test/site/**/*.test.ts', 'test/course/grader.test.ts', 'test/course/handout.test.ts', 'test/course/gradescope.test.ts'];
const EXCLUDE = ['test/fixtures/**', 'node_modules/**'];

export default defineConfig({
  test: {
    // Whole messages: a failure's expected and actual values, and a TODO deep inside one, stay readable.
    chaiConfig: { truncateThreshold: 0 },
    exclude: EXCLUDE,
    // No verdict depends on the machine's speed: long proofs carry budgets in work
    // (steps, programs, accesses), and these limits only catch a hang.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    reporters: ['default', './test/support/slowest-reporter.ts'],
    // Two workers for two cores, said outright: left to itself, vitest runs one
    // (availableParallelism − 1) and the files go one after another. The longest
    // files start first (see the sequencer), so the run ends with short ones.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    projects: [
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: OWN_WORKER, isolate: false } },
      { extends: true, test: { name: 'own', include: OWN_WORKER } },
    ],
  },
});
