import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/sequencer.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Whole messages: a failure's expected and actual values, and a TODO deep inside one, stay readable.
    chaiConfig: { truncateThreshold: 0 },
    exclude: ['test/fixtures/**', 'node_modules/**'],
    // No verdict depends on the machine's speed: long proofs carry budgets in work
    // (steps, programs, accesses), and these limits only catch a test that hangs.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    reporters: ['default', './test/support/slowest-reporter.ts'],
    // Two workers for two cores, said outright: left to itself, vitest runs one
    // (availableParallelism − 1) and the files go one after another. The longest
    // files start first (see the sequencer), so the run ends with short ones.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
  },
});
