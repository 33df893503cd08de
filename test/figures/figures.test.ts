/*
 * Every figure is drawn by running the code; its text form is kept as a
 * snapshot, so a figure that would show something else fails here first.
 * The figures are drawn as the site draws them (in workers, remembered for
 * the exact code that drew them), so a build and this test share the work.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { FIGURES, type FigureOutput } from '../../src/figures/registry.ts';
import { drawFigures } from '../../src/literate/figures.ts';

const root = join(import.meta.dirname, '../..');
let drawn: Map<string, FigureOutput>;
beforeAll(async () => {
  drawn = (await drawFigures(root, Object.keys(FIGURES))).drawn;
});

describe('figures', () => {
  for (const [name, figure] of Object.entries(FIGURES)) {
    test(`${name} shows what the code does`, async () => {
      const out = drawn.get(name)!;
      const pictures = out.frames ?? out.panels ?? [out.svg ?? ''];
      expect(pictures.length).toBeGreaterThan(0);
      for (const svg of pictures) expect(svg).toMatch(/^<svg [^>]*role="img" aria-label="[^"]+"><title>/);
      if (out.frames) {
        // A figure to step through: every frame a whole SVG, labelled with its step.
        out.frames.forEach((f, i) => expect(f).toMatch(new RegExp(`^<svg [^>]*aria-label="[^"]*step ${i + 1} of ${out.frames!.length}: `)));
      } else if (!out.panels) {
        expect(out.svg).toContain(`aria-label="${figure.title}"`);
      }
      // Drawn from counts: nothing on a figure depends on how fast the machine that drew it was.
      expect(`${pictures.join('')}${out.text}`).not.toMatch(/\b(ms|µs|milliseconds?|seconds)\b|\d\s*s\b|\w\/s\b/i);
      await expect(out.text).toMatchFileSnapshot(`./snapshots/${name}.txt`);
    });
  }
});

test('a figure that cannot be drawn is named with its reason, not the figure drawn beside it in the same worker', async () => {
  // The fixture book has no traces for the M:009 figure to replay; the address split needs none.
  const book = join(root, 'test/fixtures/books/base');
  await expect(drawFigures(book, ['address-split', 'm009-highmem'])).rejects.toThrow(/^figure m009-highmem could not be drawn: Error: ENOENT: no such file or directory, scandir '[^']*test\/fixtures\/books\/base\/test\/fixtures\/traces'/);
});
