import { defineConfig } from 'vitest/config';

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
  },
});
