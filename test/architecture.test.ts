/*
 * The architecture holds: no import cycle in src/, and imports run one way,
 * hw <- host <- guest <- workload <- figures <- literate (course beside the
 * book, neither importing the other), as .dependency-cruiser.cjs says. The
 * same rules are run on a small broken tree first, so this test is seen to
 * fail on what it forbids.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cruise, type IViolation } from 'dependency-cruiser';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..');
const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs'));

async function violations(cwd: string): Promise<string[]> {
  const result = await cruise(['src'], { ...config.options, baseDir: cwd, ruleSet: { forbidden: config.forbidden }, validate: true, tsConfig: undefined });
  if (typeof result.output === 'string') throw new Error(result.output);
  return result.output.summary.violations.map((v: IViolation) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`);
}

describe('the architecture', () => {
  test('the rules catch a cycle and an arrow that runs back up', async () => {
    const found = await violations(join(root, 'test/fixtures/arch'));
    expect(found).toContainEqual(expect.stringMatching(/^hw-imports-only-below: src\/hw\/mmu\.ts -> src\/host\/lguest\.ts$/));
    expect(found).toContainEqual(expect.stringMatching(/^no-circular: src\/(literate\/book|course\/grader)\.ts/));
    expect(found).toContainEqual(expect.stringMatching(/^literate-imports-only-below: src\/literate\/book\.ts -> src\/course\/grader\.ts$/));
    expect(found).toContainEqual(expect.stringMatching(/^course-imports-only-below: src\/course\/grader\.ts -> src\/literate\/book\.ts$/));
  });

  test('src/ has no import cycle and no import against the layers', async () => {
    expect(await violations(root)).toEqual([]);
  });
});
