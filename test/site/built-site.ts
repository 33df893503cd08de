/*
 * The site as the tests see it: built once for every test file that needs it
 * (they run side by side, so the first builds while the others wait), and
 * kept until its inputs change, under .cache/test-site/<hash of the inputs>.
 * The hash covers everything a build reads: chapters, code, tests (but these
 * site tests), docs, the course, the lockfile; change a byte and the site is
 * built again.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { digestFiles, memo, memoForget, memoKey } from '../../src/literate/cache.ts';
import type { SiteResult } from '../../src/literate/site.ts';

export const root = join(import.meta.dirname, '../..');
const CACHE = join(root, '.cache/test-site');

export interface BuiltSite {
  dir: string;
  result: SiteResult;
  /** Whether this call built it (rather than finding it built). */
  built: boolean;
}

export async function builtSite(): Promise<BuiltSite> {
  // The browser tests themselves are no input to the site: editing them does not rebuild it.
  const inputs = digestFiles(root, ['chapters', 'src', 'examples', 'test', 'docs', 'course', 'scripts', 'package-lock.json', 'tsconfig.json'], ['test/site']);
  const key = memoKey('test-site', inputs);
  const dir = join(CACHE, key);
  if (!existsSync(join(dir, 'index.html'))) memoForget(key);
  const { value, computed } = await memo(key, async () => {
    // Imported only to build: the builder's modules (typedoc, shiki, esbuild, markdown-it) take a
    // second of processor time to load, which a run that finds the site built has no use for.
    const { buildSite } = await import('../../src/literate/site.ts');
    const log: string[] = [];
    const result = await buildSite({ root, out: dir, log: (l) => log.push(l) });
    if (result.errors.length) rmSync(dir, { recursive: true, force: true });
    prune(key);
    return { ...result, log };
  });
  return { dir, result: value, built: computed };
}

/** Keep the two newest builds. */
function prune(keep: string): void {
  if (!existsSync(CACHE)) return;
  const dirs = readdirSync(CACHE).filter((d) => d !== keep).map((d) => ({ d, t: statSync(join(CACHE, d)).mtimeMs })).sort((a, b) => b.t - a.t);
  for (const { d } of dirs.slice(1)) rmSync(join(CACHE, d), { recursive: true, force: true });
}
