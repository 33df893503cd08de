// The tests Stryker runs against its mutants: those of the hardware and the
// Host, with the long proofs given smaller budgets (MUTATION=1; the budgets
// are in steps, so the verdicts do not depend on the machine).
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: resolve(import.meta.dirname, '..'),
    include: ['test/hw/**/*.test.ts', 'test/host/**/*.test.ts', 'test/guest/**/*.test.ts', 'test/exercises/**/*.test.ts', 'mutation/*.test.ts'],
    env: { MUTATION: '1' },
    testTimeout: 600_000,
  },
});
