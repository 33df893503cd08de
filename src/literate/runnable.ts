/**
 * Examples that run in the page: each example a chapter shows is bundled
 * for the browser by esbuild, with `console` captured, so that its Run
 * button reproduces the transcript offline, from the same code `npx tsx`
 * runs. An example that needs Node (files, say) does not bundle, and keeps
 * its transcript without a button.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, join, relative, resolve, sep } from 'node:path';

/** The site path of an example's browser bundle. */
export const runPath = (example: string) => `run/${basename(example, '.ts')}.js`;

const OPTIONS: BuildOptions = {
  bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
  // minifySyntax folds the constants (PTE_P, page shifts) into the code that uses them; names stay readable.
  minifySyntax: true, write: false, logLevel: 'silent',
  // The page sets __lgjConsole to collect what the example prints.
  banner: { js: 'const console = globalThis.__lgjConsole ?? globalThis.console;' },
};

/**
 * Node's own modules left out of the bundles (a browser has none of them):
 * an example whose bundle would import one needs Node. Only such an example's
 * bundle is touched by this; it is never written.
 */
const BUILTIN = new RegExp(`^(node:.*|${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
const nodeOnly: Plugin = { name: 'node-only', setup(b) { b.onResolve({ filter: BUILTIN }, (args) => ({ path: args.path, external: true })); } };

/**
 * Bundle each example into `out/run/`; returns the ones that run in a
 * browser. All are bundled in one build (each bundle as a build of its own
 * would write it, but the modules they share parsed once); an example whose
 * bundle imports Node's modules is left out. Where that build fails, each
 * example is bundled alone, and the ones that fail are left out.
 */
export async function bundleExamples(root: string, out: string, examples: string[]): Promise<Map<string, string>> {
  const runnable = new Map<string, string>();
  mkdirSync(join(out, 'run'), { recursive: true });
  const sorted = [...new Set(examples)].sort();
  const bundles = new Map<string, string>();
  try {
    const dir = resolve(out, 'run');
    const r = await build({ ...OPTIONS, entryPoints: sorted.map((e, i) => ({ in: join(root, e), out: String(i) })), outdir: dir, plugins: [nodeOnly], metafile: true });
    for (const [i, e] of sorted.entries()) {
      // The metafile names outputs from the working folder.
      const output = r.metafile.outputs[relative(process.cwd(), join(dir, `${i}.js`)).split(sep).join('/')];
      const text = r.outputFiles?.find((f) => f.path === join(dir, `${i}.js`))?.text;
      if (output && text !== undefined && !output.imports.some((m) => m.external)) bundles.set(e, text);
    }
  } catch {
    for (const e of sorted) {
      try {
        bundles.set(e, (await build({ ...OPTIONS, entryPoints: [join(root, e)] })).outputFiles![0]!.text);
      } catch {
        // Needs Node: it stays a transcript to run with npx tsx.
      }
    }
  }
  for (const [e, text] of bundles) {
    writeFileSync(join(out, runPath(e)), text);
    runnable.set(e, runPath(e));
  }
  return runnable;
}
