/* The pipeline end to end: chapters render with woven code, real line numbers, claims linked to tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { SourceTree } from '../../src/literate/sources.ts';
import { PER_THREAD } from '../../src/literate/timing.ts';
import { builtSite, root, type BuiltSite } from '../site/built-site.ts';

let site: BuiltSite;
/** A page of the built site; a build that failed fails every test with its reasons. */
const page = (p: string) => {
  expect(site.result.errors).toEqual([]);
  return readFileSync(join(site.dir, p), 'utf8');
};
beforeAll(async () => {
  site = await builtSite();
});

describe('the site', () => {
  test('builds every chapter, the contents, the conformance map and the print view', () => {
    expect(site.result.errors).toEqual([]);
    for (const p of ['index.html', '00-preface.html', '06-tlb.html', 'conformance.html', 'print.html', 'identifiers.html', 'api/index.html']) expect(site.result.pages).toContain(p);
  });

  test('the preface renders its claim with a link to the test that proves it', () => {
    const html = page('00-preface.html');
    expect(html).toMatch(/<div class="claim" id="claim-every-line-woven">.*✓ tested by <a class="claim-test" href="source\/test\/book\.test\.ts\.html#L\d+">/);
    expect(html).toContain('<figure class="transcript" data-example="examples/00-first-walk.ts" data-run="run/00-first-walk.js">');
    // An example that needs Node (it reads its traces from files) has no Run button; every other has one.
    expect(page('12-mastery-highmem.html')).toContain('<figure class="transcript" data-example="examples/08-highmem.ts">');
    const shown = new Set([...readdirSync(site.dir).filter((f) => f.endsWith('.html')).map((f) => readFileSync(join(site.dir, f), 'utf8')).join('').matchAll(/data-example="examples\/([^"]+)\.ts"/g)].map((m) => m[1]!));
    expect(readdirSync(join(site.dir, 'run')).sort()).toEqual([...shown].filter((e) => e !== '08-highmem').sort().map((e) => `${e}.js`));
  });

  test('woven code carries its region, file and real line numbers', () => {
    const html = page('06-tlb.html');
    const region = new SourceTree(root).get('src/hw/tlb.ts')!.regions.get('HW-tlb')!;
    expect(html).toContain(`<span class="region">HW-tlb</span> · <a href="source/src/hw/tlb.ts.html#L${region.startLine + 1}">src/hw/tlb.ts</a> · lines ${region.startLine + 1}–${region.endLine - 1}`);
    expect(html).toContain(`data-line="${region.startLine + 1}"`);
    expect(html).not.toMatch(/\/\/ #(end)?region/);
  });

  test('code is highlighted once, with classes whose colours site.css sets for each theme', () => {
    const html = page('06-tlb.html');
    expect(html).toMatch(/<span class="t-keyword">/);
    expect(html).not.toMatch(/--shiki-dark|style="color:/);
    const css = page('site.css');
    for (const cls of new Set([...html.matchAll(/class="(t-[\w-]+)"/g)].map((m) => m[1]!))) expect(css).toContain(`.${cls} {`);
  });

  test('every table scrolls in a box of its own, which a keyboard can reach', () => {
    for (const p of ['conformance.html', 'identifiers.html', site.result.pages.find((f) => f.endsWith('-mastery-highmem.html'))!]) {
      const html = page(p);
      const tables = html.match(/<table/g)?.length ?? 0;
      expect(tables).toBeGreaterThan(0);
      expect(html.match(/<div class="table-wrap" role="region" tabindex="0" aria-label="[^"]+"><table/g)?.length).toBe(tables);
    }
  });

  test('the build says where its time went', () => {
    expect(site.result.errors).toEqual([]);
    const log = (site.result as unknown as { log: string[] }).log.join('\n');
    expect(log).toMatch(/this thread, clock \(processor\): check \d+\.\d s \(\d+\.\d s\) · scripts \d+\.\d s/);
    expect(log).toMatch(/API reference (built|remembered)/);
    // Where a thread's own processor time is known (Linux), the account splits it by thread.
    if (PER_THREAD) expect(log).toMatch(/processor time: \d+\.\d s in this process's threads: \d+\.\d s this one, \d+\.\d s the workers \(API \d+\.\d s, figures \d+\.\d s, examples \d+\.\d s\)/);
  });
});
