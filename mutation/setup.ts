// One fast-check seed for every mutant: the property tests then try the same
// cases on every run, so a mutant's verdict does not change from one run to the
// next (a survivor stays a survivor until a test changes). `npm test` keeps a
// fresh seed each run.
import fc from 'fast-check';

fc.configureGlobal({ seed: 20261130 });
