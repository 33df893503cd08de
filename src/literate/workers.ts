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
 * The bundle's text is exactly the code that runs, so it is what a remembered
 * result is keyed on (see cache.ts).
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { API_FOLDERS, type ApiSymbol, type Explanation } from './api.ts';
import { digestFiles, memo, memoForget, memoKey, PACKAGE_ROOT } from './cache.ts';

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

/** A bundle ready to run: its file, and its text (what a memo of its output is keyed on). */
export interface Bundle {
  file: string;
  code: string;
}

/** An entry to bundle: a file, or source text resolved from `resolveDir`. */
export interface Entry {
  name: string;
  file?: string;
  source?: string;
  resolveDir?: string;
}

/** How every bundle is built: for Node, as ESM, `import.meta` fixed per module. */
const OPTIONS: BuildOptions = {
  bundle: true, platform: 'node', format: 'esm', target: 'node20', write: true, logLevel: 'silent',
  plugins: [importMeta],
  // A CommonJS package bundled into ESM may still call require.
  banner: { js: "import { createRequire as __lgjRequire } from 'node:module'; const require = __lgjRequire(import.meta.url);" },
};

/** The name of an entry's bundle in the scratch folder. */
const outName = (e: Entry, i: number) => `${i}-${basename(e.name).replace(/\.ts$/, '')}`;

/** Bundle one entry into `dir`, or say why it does not compile. */
async function bundle(dir: string, e: Entry, i: number, packages?: 'external'): Promise<Bundle | { error: string }> {
  const outfile = join(dir, `${outName(e, i)}.mjs`);
  try {
    await build({
      ...(e.file ? { entryPoints: [e.file] } : { stdin: { contents: e.source!, resolveDir: e.resolveDir!, loader: 'ts' as const, sourcefile: e.name } }),
      ...OPTIONS, outfile, ...(packages ? { packages } : {}),
    });
  } catch (err) {
    return { error: (err as Error).message };
  }
  return { file: outfile, code: readFileSync(outfile, 'utf8') };
}

/**
 * Bundle every file entry in one build: each bundle is what a build of its
 * own would write (no code is shared between them), but the modules they
 * have in common (the MMU, the Host) are read and parsed once, not once an
 * entry. Where that build fails, each entry is built alone, so that the one
 * that does not compile says so and the others still run.
 */
async function bundleAll(dir: string, entries: Entry[], packages?: 'external'): Promise<(Bundle | { error: string })[]> {
  const files = entries.map((e, i) => ({ e, i })).filter(({ e }) => e.file);
  const together = new Map<number, Bundle>();
  if (files.length > 1) {
    try {
      await build({
        ...OPTIONS, entryPoints: files.map(({ e, i }) => ({ in: e.file!, out: outName(e, i) })), outdir: dir, outExtension: { '.js': '.mjs' },
        ...(packages ? { packages } : {}),
      });
      for (const { e, i } of files) {
        const file = join(dir, `${outName(e, i)}.mjs`);
        together.set(i, { file, code: readFileSync(file, 'utf8') });
      }
    } catch {
      together.clear(); // one entry or more does not compile: each is built alone below
    }
  }
  return Promise.all(entries.map((e, i) => together.get(i) ?? bundle(dir, e, i, packages)));
}

/**
 * Bundle the entries into a scratch folder, hand them to `work`, and remove
 * the folder after. An entry that does not compile maps to its error.
 *
 * With `packages: 'external'` the npm packages are left out of the bundle and
 * imported from this package's node_modules as they are (typedoc finds its
 * own assets beside its code), so the folder is made inside this package.
 */
export async function withBundles<T>(entries: Entry[], work: (bundles: Map<string, Bundle | { error: string }>) => Promise<T>, packages?: 'external'): Promise<T> {
  const dir = packages ? (mkdirSync(join(PACKAGE_ROOT, '.cache'), { recursive: true }), mkdtempSync(join(PACKAGE_ROOT, '.cache', 'run-'))) : mkdtempSync(join(tmpdir(), 'lgj-run-'));
  try {
    const built = await bundleAll(dir, entries, packages);
    return await work(new Map(entries.map((e, i) => [e.name, built[i]!])));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The source of the bundle that draws figures of the registry (named in
 * workerData) for a tree, one after another in one worker: they share the
 * MMU and the Host, which one worker loads and warms up once. A figure drawn
 * from an example's output finds it in workerData.printed. Each figure posts
 * back what it drew, or why it could not.
 */
export const FIGURE_ENTRY: Entry = {
  name: 'figures.ts',
  resolveDir: dirname(REGISTRY),
  source: `import { parentPort, workerData } from 'node:worker_threads';
import { FIGURES } from ${JSON.stringify(REGISTRY)};
parentPort.postMessage(workerData.names.map((name) => {
  try {
    return { output: FIGURES[name].render(workerData.root, workerData.printed?.[name]) };
  } catch (e) {
    return { error: String(e?.stack ?? e) };
  }
}));`,
};

export interface Ran<T> {
  /** What the worker printed on stdout. */
  stdout: string;
  /** What it printed on stderr. */
  stderr: string;
  /** The processor time its thread used, in ms (0 where the system does not say). */
  cpu: number;
  /** What it posted back, if anything. */
  message?: T;
  /** Why it failed: a thrown error's stack, stderr, or a hang. */
  error?: string;
}

/**
 * What a worker starts with: it notes, as it exits, the processor time its
 * thread used (Linux keeps it per thread) where the build can read it, then
 * imports the bundle. Data for the bundle rides in workerData beside it.
 */
const BOOT = `const { workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const spent = new Float64Array(workerData.lgjCpu);
process.on('exit', () => { try { spent[0] = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6; } catch {} });
import(workerData.lgjFile);`;

/**
 * What a worker that runs several programs one after another starts with:
 * each is imported in turn, with what it prints on stdout kept for it, and
 * is `settled` when it ended as a program run alone would have: nothing
 * thrown, no exit code set, and nothing left to run later (no timer, no file
 * being read: the worker's active resources are the ones it began with).
 * The first that is not ends the batch.
 */
const BATCH = `const { workerData, parentPort } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const spent = new Float64Array(workerData.lgjCpu);
const resources = () => process.getActiveResourcesInfo().sort().join();
(async () => {
  const before = resources();
  const results = [];
  for (const file of workerData.lgjFiles) {
    let stdout = '';
    const write = process.stdout.write;
    process.stdout.write = (chunk, encoding, done) => {
      stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      (typeof encoding === 'function' ? encoding : done)?.();
      return true;
    };
    let settled = true;
    try {
      await import(file);
      await new Promise((r) => setImmediate(r));
    } catch {
      settled = false;
    }
    process.stdout.write = write;
    results.push({ stdout, settled: settled && process.exitCode === undefined && resources() === before });
    // What it left behind could print into the next one's output: the rest run elsewhere.
    if (!results.at(-1).settled) break;
  }
  // The worker is stopped as this arrives (see runAllInWorker): its processor time is noted now.
  try { spent[0] = Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6; } catch {}
  parentPort.postMessage(results);
})();`;

/** What one program of a batch printed, and whether it ended as it would have alone (see BATCH). */
export interface BatchRun {
  stdout: string;
  settled: boolean;
}

export function runInWorker<T>(file: string, workerData?: unknown): Promise<Ran<T>> {
  return startWorker<T>(BOOT, { ...(workerData as object | undefined), lgjFile: pathToFileURL(file).href });
}

/**
 * Gather the calls made in one turn into one batch. The callers are memos
 * (see cache.ts's memo), each asking for its own item once it knows the
 * item is not remembered, all in the same turn; on the next turn `runBatch`
 * gets every item asked for, each with the `done` that answers its caller.
 */
export function batchedByTurn<T, R>(runBatch: (batch: { item: T; done: (r: R) => void }[]) => void | Promise<void>): (item: T) => Promise<R> {
  let asked: { item: T; done: (r: R) => void }[] = [];
  return (item) => new Promise<R>((done) => {
    if (!asked.length) {
      setImmediate(() => {
        const batch = asked;
        asked = [];
        void runBatch(batch);
      });
    }
    asked.push({ item, done });
  });
}

/**
 * Run the bundles one after another in one worker (a worker's start costs
 * about 0.09 s of processor time, more than most examples take to run). A
 * program whose run is not `settled`, or that the worker never got to, is
 * for the caller to run again alone, with runInWorker.
 */
export async function runAllInWorker(files: string[]): Promise<{ runs: (BatchRun | undefined)[]; cpu: number }> {
  // Stopped once it has said how each ran: what one that did not settle left running (a timer that never
  // ends, say) is no reason to wait, and that one runs again alone anyway.
  const ran = await startWorker<BatchRun[]>(BATCH, { lgjFiles: files.map((f) => pathToFileURL(f).href) }, true);
  return { runs: files.map((_, i) => ran.message?.[i]), cpu: ran.cpu };
}

function startWorker<T>(boot: string, workerData: object, stopOnMessage = false): Promise<Ran<T>> {
  return new Promise((resolve) => {
    const cpu = new SharedArrayBuffer(8);
    const w = new Worker(boot, {
      eval: true, stdout: true, stderr: true,
      workerData: { ...workerData, lgjCpu: cpu },
      // No `--import tsx` (which a worker inherits otherwise): a bundle is plain JavaScript, and a worker that
      // loads tsx again spends about 0.15 s of processor time on it, for each of a build's twenty-odd workers.
      // V8's own flags (the young generation's size) are the process's and hold in every worker anyway.
      execArgv: [], env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    let message: T | undefined;
    let failure: string | undefined;
    w.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    w.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    w.on('message', (m: T) => {
      message = m;
      if (stopOnMessage) void w.terminate();
    });
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
        const ran: Ran<T> = { stdout, stderr, cpu: new Float64Array(cpu)[0]! };
        if (message !== undefined) ran.message = message;
        if (error) ran.error = error;
        resolve(ran);
      });
    });
  });
}

/** The API reference as built: its problems, its symbols, the processor time its worker took, and whether it was remembered instead. */
export interface ApiBuilt {
  errors: string[];
  symbols: ApiSymbol[];
  cpu?: number;
  remembered?: boolean;
}

/**
 * The API reference built in a worker thread of its own, beside the
 * chapters: typedoc is the build's largest single piece of work, and it
 * needs nothing of the book but where each region is explained.
 *
 * Its pages are a function of the documented code, the packages that build
 * them (the lockfile), the worker's own code and where the book explains each
 * region: for the same bytes of all four they are remembered, not built again.
 */
export async function buildApiInWorker(o: { root: string; out: string; explanations: Explanation[] }): Promise<ApiBuilt> {
  const entry = { name: 'api-worker.ts', file: join(import.meta.dirname, 'api-worker.ts') };
  return withBundles([entry], async (bundles): Promise<ApiBuilt> => {
    const b = bundles.get(entry.name)!;
    if ('error' in b) return { errors: [`the API reference's worker does not compile: ${b.error}`], symbols: [] };
    const key = memoKey('api', b.code, digestFiles(PACKAGE_ROOT, ['package-lock.json']), digestFiles(o.root, [...API_FOLDERS, 'tsconfig.json']), JSON.stringify(o.explanations));
    let failed: ApiBuilt | undefined;
    try {
      const { value, computed } = await memo(key, async () => {
        const ran = await runInWorker<Omit<ApiBuilt, 'remembered' | 'cpu'>>(b.file, o);
        const said = `${ran.stdout}${ran.stderr}`.trim();
        if (ran.error || !ran.message) failed = { errors: [`typedoc: ${ran.error ?? 'the worker returned nothing'}${said ? `\n${said}` : ''}`], symbols: [] };
        // typedoc's warnings are what a failed reference has to say for itself.
        else if (ran.message.errors.length) failed = { ...ran.message, errors: said ? [said, ...ran.message.errors] : ran.message.errors };
        if (failed) throw new Error('not remembered');
        return { symbols: ran.message!.symbols, cpu: ran.cpu, files: readTree(o.out) };
      });
      if (computed) {
        forgetEarlier(o.root, key);
        return { errors: [], symbols: value.symbols, cpu: value.cpu };
      }
      writeTree(o.out, value.files);
      return { errors: [], symbols: value.symbols, remembered: true };
    } catch (e) {
      if (failed) return failed;
      throw e;
    }
  }, 'external');
}

/**
 * A reference is some megabytes: keep one per tree built (the newest), not
 * one for every state of the code the memo's count allows.
 */
function forgetEarlier(root: string, key: string): void {
  const note = join(PACKAGE_ROOT, '.cache', `api-${memoKey('api-root', root).slice(0, 12)}.key`);
  let earlier = '';
  try {
    earlier = readFileSync(note, 'utf8');
  } catch { /* the first one */ }
  if (earlier && earlier !== key) memoForget(earlier);
  writeFileSync(note, key);
}

/** Every file under `dir`, by its path from `dir`, with its text (typedoc writes only text). */
function readTree(dir: string): [string, string][] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile())
    .map((d): [string, string] => { const abs = join(d.parentPath, d.name); return [relative(dir, abs).split(sep).join('/'), readFileSync(abs, 'utf8')]; })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function writeTree(dir: string, files: [string, string][]): void {
  for (const [rel, text] of files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}
