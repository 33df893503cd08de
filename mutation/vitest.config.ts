// The tests Stryker runs against its mutants: those of the hardware and the
// Host, with the long proofs given smaller budgets (MUTATION=1; the budgets
// are in steps, so the verdicts do not depend on the machine).
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import QuickFirst from './sequencer.ts';

export default defineConfig({
  test: {
    root: resolve(import.meta.dirname, '..'),
    include: ['test/hw/**/*.test.ts', 'test/host/**/*.test.ts', 'test/guest/**/*.test.ts', 'test/exercises/**/*.test.ts', 'mutation/*.test.ts'],
    env: { MUTATION: '1' },
    // One fast-check seed, so a mutant's verdict is the same on every run.
    setupFiles: ['mutation/setup.ts'],
    // The quickest tests first: a mutant stops at its first failing test.
    sequence: { sequencer: QuickFirst },
    // The test files share one module graph per run instead of importing the
    // instrumented sources afresh for each file (no test here keeps state in a module).
    isolate: false,
    testTimeout: 600_000,
  },
});
