/*
 * Every figure is drawn by running the code; its text form is kept as a
 * snapshot, so a figure that would show something else fails here first.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FIGURES } from '../../src/figures/registry.ts';

const root = join(import.meta.dirname, '../..');

describe('figures', () => {
  for (const [name, figure] of Object.entries(FIGURES)) {
    test(`${name} shows what the code does`, async () => {
      const out = figure.render(root);
      expect(out.svg.startsWith('<svg')).toBe(true);
      expect(out.svg).toContain(`aria-label="${figure.title.replace(/'/g, "'")}"`);
      await expect(out.text).toMatchFileSnapshot(`./snapshots/${name}.txt`);
    });
  }
});
