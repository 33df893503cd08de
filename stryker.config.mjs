// StrykerJS: `npm run mutate` breaks src/hw and src/host one small change at a
// time (a mutant) and runs the tests that cover each change; a mutant the
// tests do not notice survives. Not part of `npm test`. See mutation/README.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'mutation/vitest.config.ts' },
  mutate: ['src/hw/**/*.ts', 'src/host/**/*.ts'],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  incremental: true,
  incrementalFile: 'mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'dist/mutation/index.html' },
  jsonReporter: { fileName: 'dist/mutation/report.json' },
  tempDirName: '.cache/stryker-tmp',
  ignorePatterns: ['dist', '.cache', 'test/fixtures/traces', 'test/fixtures/books'],
  cleanTempDir: 'always',
  // A static mutant (a module-level constant: PF_P = 1 << 0) runs every test
  // there is, minutes each on this machine; they are reported as Ignored and
  // left out of the score (mutation/SURVIVORS.md counts them).
  ignoreStatic: true,
  thresholds: { high: 95, low: 90, break: null },
  // Limits that only catch a hang: on a shared machine the first run of every
  // test can take minutes, and no verdict depends on how long anything takes.
  dryRunTimeoutMinutes: 30,
  timeoutMS: 30_000,
  timeoutFactor: 3,
};
