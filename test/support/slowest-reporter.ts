/**
 * After the run, the ten slowest tests, and the five longest files with their
 * hooks and imports counted (a file whose work is done in beforeAll, as the
 * class grading's is, shows there and not among the tests), so that whoever
 * makes the suite slower sees it in the very run that did. A report, never a
 * verdict: no test passes or fails on time.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export default class SlowestReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const cases: { ms: number; name: string }[] = [];
    const files: { ms: number; name: string }[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests() as Iterable<TestCase>) {
        const d = t.diagnostic();
        if (d) cases.push({ ms: d.duration, name: `${m.relativeModuleId} > ${t.fullName}` });
      }
      const d = m.diagnostic();
      files.push({ ms: d.collectDuration + d.duration, name: m.relativeModuleId });
    }
    const top = (xs: { ms: number; name: string }[], n: number) => xs.sort((a, b) => b.ms - a.ms).slice(0, n).map((c) => `  ${(c.ms / 1000).toFixed(1).padStart(6)} s  ${c.name}`).join('\n');
    process.stdout.write(`\nThe ten slowest tests:\n${top(cases, 10)}\nThe five longest files (hooks and imports counted):\n${top(files, 5)}\n`);
  }
}
