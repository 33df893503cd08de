/**
 * Examples that run in the page: each example a chapter shows is bundled
 * for the browser by esbuild, with `console` captured, so that its Run
 * button reproduces the transcript offline, from the same code `npx tsx`
 * runs. An example that needs Node (files, say) does not bundle, and keeps
 * its transcript without a button.
 */
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** The site path of an example's browser bundle. */
export const runPath = (example: string) => `run/${basename(example, '.ts')}.js`;

/** Bundle each example into `out/run/`; returns the ones that run in a browser. */
export async function bundleExamples(root: string, out: string, examples: string[]): Promise<Map<string, string>> {
  const runnable = new Map<string, string>();
  mkdirSync(join(out, 'run'), { recursive: true });
  for (const example of [...new Set(examples)].sort()) {
    try {
      const r = await build({
        entryPoints: [join(root, example)], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
        // minifySyntax folds the constants (PTE_P, page shifts) into the code that uses them; names stay readable.
        minifySyntax: true, write: false, logLevel: 'silent',
        // The page sets __lgjConsole to collect what the example prints.
        banner: { js: 'const console = globalThis.__lgjConsole ?? globalThis.console;' },
      });
      writeFileSync(join(out, runPath(example)), r.outputFiles[0]!.text);
      runnable.set(example, runPath(example));
    } catch {
      // Needs Node: it stays a transcript to run with npx tsx.
    }
  }
  return runnable;
}
