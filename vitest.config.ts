import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/todo-setup.ts'],
    // Whole messages: a failure's expected and actual values, and a TODO deep inside one, stay readable.
    chaiConfig: { truncateThreshold: 0 },
    exclude: ['test/fixtures/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
