import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/sequencer.ts';

/**
 * The tests of the machine itself: they build MMUs, Hosts and Guests, keep no
 * state in a module (a memo of rights tables and a pool of zeroed memory are
 * all, and neither changes an answer), and start nothing outside their worker.
 * These files share a worker's module graph (isolate: false) rather than each
 * starting a worker of its own and importing the sources afresh: that start
 * cost more processor time than most of these files' tests (about 0.6 s a file).
 * Stryker has run the same files this way from the start (mutation/vitest.config.ts).
 */
const SHARED = ['test/hw/**/*.test.ts', 'test/host/**/*.test.ts', 'test/guest/**/*.test.ts', 'test/exercises/**/*.test.ts', 'test/workload/**/*.test.ts', 'test/figures/**/*.test.ts'];

export default defineConfig({
  test: {
    // Whole messages: a failure's expected and actual values, and a TODO deep inside one, stay readable.
    chaiConfig: { truncateThreshold: 0 },
    exclude: ['test/fixtures/**', 'node_modules/**'],
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
      { extends: true, test: { name: 'machine', include: SHARED, isolate: false } },
      // The book, the site and the course: files that start builds, browsers and
      // graders, each in a worker of its own.
      { extends: true, test: { name: 'book', include: ['test/**/*.test.ts'], exclude: ['test/fixtures/**', 'node_modules/**', ...SHARED] } },
    ],
  },
});
