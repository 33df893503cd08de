/*
 * Every figure is drawn by running the code; its text form is kept as a
 * snapshot, so a figure that would show something else fails here first.
 * The figures are drawn as the site draws them (in workers, remembered for
 * the exact code that drew them), so a build and this test share the work.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** A tree of one example, examples/08-highmem.ts, that prints `text`: what the M:009 figure is drawn from. */
function treeWithExample(text: string): string {
  const tree = mkdtempSync(join(tmpdir(), 'figure-example-'));
  mkdirSync(join(tree, 'examples'));
  writeFileSync(join(tree, 'examples/08-highmem.ts'), `console.log(${JSON.stringify(text)});\n`);
  return tree;
}

/** Two tables as examples/08-highmem.ts prints them, with `hidden` lguest's hidden faults in every row. */
const tables = (hidden: number) => ['guest RAM', 'I/O writes'].map((t) => `${t.padEnd(12)} kmaps     clear-alls\n                    lguest  fixed\n${'8 MiB'.padEnd(12)}     0       1      1 ${String(hidden).padStart(9)}     719    1.0x        28       28`).join('\n\n');

test('a figure that cannot be drawn is named with its reason, not the figure drawn beside it', async () => {
  // The fixture book has no example for the M:009 figure to be drawn from; the address split needs none.
  const book = join(root, 'test/fixtures/books/base');
  await expect(drawFigures(book, ['address-split', 'm009-highmem'])).rejects.toThrow(/^figure m009-highmem could not be drawn: examples\/08-highmem\.ts failed: /);
  // An example that prints something else: the figure says so, from its worker.
  const tree = treeWithExample('hello');
  try {
    await expect(drawFigures(book, ['address-split', 'm009-highmem'], tree)).rejects.toThrow(/^figure m009-highmem could not be drawn: Error: examples\/08-highmem\.ts did not print its two tables/);
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
});

test('the M:009 figure is drawn from what its example prints, and drawn again when that changes', async () => {
  const trees = [tables(6518), tables(6519)].map(treeWithExample);
  try {
    const [a, b] = [await drawFigures(trees[0]!, ['m009-highmem']), await drawFigures(trees[1]!, ['m009-highmem'])];
    expect(a.drawn.get('m009-highmem')!.text).toBe(tables(6518) + '\n');
    expect(a.drawn.get('m009-highmem')!.panels![0]).toContain('8 MiB 6518');
    // Another output is another figure, not the one remembered for the first.
    expect(b.drawn.get('m009-highmem')!.panels![0]).toContain('8 MiB 6519');
  } finally {
    for (const t of trees) rmSync(t, { recursive: true, force: true });
  }
});
