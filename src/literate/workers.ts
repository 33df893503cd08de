/**
 * Work that runs beside the build, each piece in a worker thread of its own:
 * the examples a chapter shows (their output is checked against its
 * transcript) and the figures (drawn by running the code). A worker has a
 * fresh module graph, as a separate `npx tsx` would, and the build's own
 * thread stays free for typedoc and highlighting: on two cores the slow
 * replays and the rendering run side by side.
 *
 * The code a worker runs is bundled by esbuild, the compiler tsx itself uses,
 * so no worker pays for loading a TypeScript loader of its own. Each module's
 * `import.meta.dirname`, `filename` and `url` keep meaning its own source file.
 */
import { build, type Plugin } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FigureOutput } from '../figures/figure.ts';

const REGISTRY = join(import.meta.dirname, '../figures/registry.ts');

/**
 * A hang, not a slow machine, is what this catches: ten minutes is far beyond
 * any example's work even on a loaded machine.
 */
const HANG_MS = 600_000;

/** `import.meta.dirname` and friends, fixed to the module's own source file before bundling. */
const importMeta: Plugin = {
  name: 'import-meta-per-module',
  setup(b) {
    b.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const value = { dirname: dirname(args.path), filename: args.path, url: pathToFileURL(args.path).href };
      return { contents: text.replace(/\bimport\.meta\.(dirname|filename|url)\b/g, (_all, k: keyof typeof value) => JSON.stringify(value[k])), loader: 'ts' };
    });
  },
};

/** Bundle each entry (a file, or source text resolved from `resolveDir`) into `dir`, one .mjs each. */
async function bundle(dir: string, entries: { name: string; file?: string; source?: string; resolveDir?: string }[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(entries.map(async (e, i) => {
    const outfile = join(dir, `${i}-${basename(e.name).replace(/\.ts$/, '')}.mjs`);
    await build({
      ...(e.file ? { entryPoints: [e.file] } : { stdin: { contents: e.source!, resolveDir: e.resolveDir!, loader: 'ts', sourcefile: e.name } }),
      bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, write: true, logLevel: 'silent',
      plugins: [importMeta],
      // A CommonJS package bundled into ESM may still call require.
      banner: { js: "import { createRequire as __lgjRequire } from 'node:module'; const require = __lgjRequire(import.meta.url);" },
    });
    out.set(e.name, outfile);
  }));
  return out;
}

interface Ran<T> {
  /** What the worker printed on stdout. */
  stdout: string;
  /** What it posted back, if anything. */
  message?: T;
  /** Why it failed: a thrown error's stack, stderr, or a hang. */
  error?: string;
}

function run<T>(file: string, workerData?: unknown): Promise<Ran<T>> {
  return new Promise((resolve) => {
    const w = new Worker(file, { stdout: true, stderr: true, workerData, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let message: T | undefined;
    let failure: string | undefined;
    w.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    w.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    w.on('message', (m: T) => (message = m));
    w.on('error', (e) => (failure = String(e.stack ?? e)));
    const timer = setTimeout(() => {
      failure = `still running after ${HANG_MS / 60_000} minutes: stopped`;
      void w.terminate();
    }, HANG_MS);
    w.on('exit', (code) => {
      clearTimeout(timer);
      // Let the streams drain: the exit event can come before their last chunk.
      setImmediate(() => {
        const error = failure ?? (code !== 0 ? (stderr.trim() || `exited with code ${code}`) : undefined);
        const ran: Ran<T> = { stdout };
        if (message !== undefined) ran.message = message;
        if (error) ran.error = error;
        resolve(ran);
      });
    });
  });
}

/** A scratch folder for bundles, removed when `work` is done. */
async function withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'lgj-run-'));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What each example prints, run as `npx tsx` runs it, at most `parallel` at a time; `error` when one throws or exits non-zero. */
export function runExamplesInWorkers(root: string, examples: string[], parallel: number): Promise<Map<string, { stdout: string; error?: string }>> {
  return withScratch(async (dir) => {
    const ran = new Map<string, { stdout: string; error?: string }>();
    let bundles: Map<string, string>;
    try {
      bundles = await bundle(dir, examples.map((e) => ({ name: e, file: join(root, e) })));
    } catch (e) {
      // One that does not compile: run them one by one, so each failure is its own.
      if (examples.length > 1) {
        for (const e of examples) for (const [k, v] of await runExamplesInWorkers(root, [e], 1)) ran.set(k, v);
        return ran;
      }
      ran.set(examples[0]!, { stdout: '', error: (e as Error).message });
      return ran;
    }
    await pool(examples.map((e) => async () => {
      const r = await run(bundles.get(e)!);
      ran.set(e, r.error ? { stdout: r.stdout, error: r.error } : { stdout: r.stdout });
    }), parallel);
    return ran;
  });
}

/** Draw figures of the registry for the tree at `root`, each in its own worker, all at once. */
export function drawFiguresInWorkers(root: string, names: string[]): Promise<Map<string, FigureOutput>> {
  return withScratch(async (dir) => {
    const source = `import { parentPort, workerData } from 'node:worker_threads';
import { FIGURES } from ${JSON.stringify(REGISTRY)};
parentPort.postMessage(FIGURES[workerData.name].render(workerData.root));`;
    const file = (await bundle(dir, [{ name: 'figures.ts', source, resolveDir: dirname(REGISTRY) }])).get('figures.ts')!;
    const drawn = new Map<string, FigureOutput>();
    await Promise.all(names.map(async (name) => {
      const r = await run<FigureOutput>(file, { name, root });
      if (r.error || !r.message) throw new Error(`figure ${name} could not be drawn: ${r.error ?? 'it returned nothing'}`);
      drawn.set(name, r.message);
    }));
    return drawn;
  });
}

/** Run `jobs` with at most `parallel` at a time, in order of starting. */
export async function pool<T>(jobs: (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, lane));
  return results;
}
