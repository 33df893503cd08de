/*
 * Bundles of the course's own code share a sandbox, one after another (a
 * Node start costs more processor time than most bundles' tests). Sharing
 * must change no outcome: a bundle that fails to load, or a test that is
 * stopped, decides that bundle's outcome alone, and every bundle after it
 * still runs all its tests.
 */
import { describe, expect, test } from 'vitest';
import { runBundles } from '../../src/course/grader.ts';

/** A bundle registering tests named `${name}.k`, each with the body given. */
const bundle = (name: string, bodies: string[]) =>
  bodies.map((body, k) => `globalThis[Symbol.for('lguest-journey.grader')].register({ exercise: 'x', points: 1, name: '${name}.${k}', hidden: false, fn: (see) => { ${body} } });`).join('\n');
const fine = (name: string) => bundle(name, ["see.value('one', 1, 1)", "see.value('two', 2, 2)"]);

describe('bundles sharing a sandbox', () => {
  test('a load error or a stopped test is its own bundle\'s: the others run every test', async () => {
    const limits = { cpuMs: 200, loadCpuMs: 5000, memoryMb: 128, idleMs: 3000, wallMs: 120_000 };
    const runs = await runBundles([fine('a'), bundle('loop', ["see.value('before', 1, 1)", 'for (;;) {}', "see.value('after', 3, 3)"]), "throw new Error('no load')", fine('b'), fine('c')], limits, [null, null, null, null, null]);
    const outcome = runs.map((r) => r.loadError?.message ?? [...r.results].sort(([i], [j]) => i - j).map(([i, x]) => `${r.loaded![i]!.name}: ${x.record ? x.record.seen.map((s) => s.value).join() : x.stopped!.why}`));
    expect(outcome).toEqual([['a.0: 1', 'a.1: 2'], ['loop.0: 1', 'loop.1: cpu', 'loop.2: 3'], 'no load', ['b.0: 1', 'b.1: 2'], ['c.0: 1', 'c.1: 2']]);
  });
});
