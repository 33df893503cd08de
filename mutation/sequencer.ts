// The order the tests of one mutant run in. Stryker stops a mutant's run at the
// first failing test (bail), so a mutant the tests notice costs only what runs
// before that failure: the file that failed last time goes first (the next
// mutant is usually on a nearby line, caught by the same test), then the files
// that were quickest last time. Vitest's own order puts the longest first, so a
// mutant every test can catch waited for the slowest proofs. The order changes
// only what a mutant costs, never its verdict: a survivor runs every test that
// covers it either way.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export default class QuickFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const cache = this.ctx.cache;
    const last = (spec: TestSpecification) => cache.getFileTestResults(`${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`);
    const key = (spec: TestSpecification): [number, number] => {
      const state = last(spec);
      return [state?.failed ? 0 : 1, state?.duration ?? 0];
    };
    return [...files].sort((a, b) => {
      const [fa, da] = key(a);
      const [fb, db] = key(b);
      return fa - fb || da - db;
    });
  }
}
