/**
 * After the run, the ten slowest tests, so that whoever makes the suite
 * slower sees it in the very run that did. A report, never a verdict: no
 * test passes or fails on time.
 */
import type { Reporter, TestCase, TestModule } from 'vitest/node';

export default class SlowestReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const cases: { ms: number; name: string }[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests() as Iterable<TestCase>) {
        const d = t.diagnostic();
        if (d) cases.push({ ms: d.duration, name: `${m.relativeModuleId} > ${t.fullName}` });
      }
    }
    cases.sort((a, b) => b.ms - a.ms);
    const lines = cases.slice(0, 10).map((c) => `  ${(c.ms / 1000).toFixed(1).padStart(6)} s  ${c.name}`);
    process.stdout.write(`\nThe ten slowest tests:\n${lines.join('\n')}\n`);
  }
}
