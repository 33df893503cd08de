/**
 * The book's view of the source tree: every `.ts` file it may weave from,
 * parsed once per build with the shared region parser.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parseRegions, type ParsedSource, type Region } from './regions.ts';

/** Folders a chapter may weave from. */
export const WEAVABLE_ROOTS = ['src', 'examples', 'test'];
/** Folders whose every code line must be woven or marked unwoven. */
export const FULLY_WOVEN_ROOTS = ['src/hw', 'src/host'];

export class SourceTree {
  private readonly cache = new Map<string, ParsedSource | null>();

  constructor(readonly root: string) {}

  /** Parse `rel` (a POSIX path from the root), or undefined when there is no such file. */
  get(rel: string): ParsedSource | undefined {
    if (!this.cache.has(rel)) {
      let text: string | undefined;
      try {
        text = readFileSync(join(this.root, rel), 'utf8');
      } catch {
        text = undefined;
      }
      this.cache.set(rel, text === undefined ? null : parseRegions(rel, text));
    }
    return this.cache.get(rel) ?? undefined;
  }

  /** Every `.ts` file under `dir` (POSIX paths from the root), sorted. */
  files(dir: string): string[] {
    const out: string[] = [];
    const walk = (abs: string) => {
      let names: string[];
      try {
        names = readdirSync(abs).sort();
      } catch {
        return;
      }
      for (const name of names) {
        const path = join(abs, name);
        // Fixture trees (test/fixtures/…) are books of their own, never part of this one.
        if (statSync(path).isDirectory()) {
          if (name !== 'fixtures' && name !== 'node_modules') walk(path);
        }
        else if (name.endsWith('.ts')) out.push(relative(this.root, path).split(sep).join('/'));
      }
    };
    walk(join(this.root, dir));
    return out;
  }

  /** Every region in every weavable file, by name. */
  allRegions(): Map<string, Region> {
    const all = new Map<string, Region>();
    for (const dir of WEAVABLE_ROOTS) {
      for (const file of this.files(dir)) {
        for (const [name, region] of this.get(file)!.regions) if (!all.has(name)) all.set(name, region);
      }
    }
    return all;
  }
}
