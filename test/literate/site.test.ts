/* The pipeline end to end: chapters render with woven code, real line numbers, claims linked to tests. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildSite, type SiteResult } from '../../src/literate/site.ts';
import { SourceTree } from '../../src/literate/sources.ts';

const root = resolve(import.meta.dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'site-'));
let result: SiteResult;
beforeAll(async () => {
  result = await buildSite({ root, out, api: false, transcripts: false });
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the site', () => {
  test('builds every chapter, the contents, the conformance map and the print view', () => {
    expect(result.errors).toEqual([]);
    for (const page of ['index.html', '00-preface.html', '06-tlb.html', 'conformance.html', 'print.html']) expect(result.pages).toContain(page);
  });

  test('the preface renders its claim with a link to the test that proves it', () => {
    const html = readFileSync(join(out, '00-preface.html'), 'utf8');
    expect(html).toMatch(/<div class="claim" id="claim-every-line-woven">.*✓ tested by <a class="claim-test" href="source\/test\/book\.test\.ts\.html#L\d+">/);
    expect(html).toContain('<figure class="transcript" data-example="examples/00-first-walk.ts" data-run="run/00-first-walk.js">');
  });

  test('woven code carries its region, file and real line numbers', () => {
    const html = readFileSync(join(out, '06-tlb.html'), 'utf8');
    const region = new SourceTree(root).get('src/hw/tlb.ts')!.regions.get('HW-tlb')!;
    expect(html).toContain(`<span class="region">HW-tlb</span> · <a href="source/src/hw/tlb.ts.html#L${region.startLine + 1}">src/hw/tlb.ts</a> · lines ${region.startLine + 1}–${region.endLine - 1}`);
    expect(html).toContain(`data-line="${region.startLine + 1}"`);
    expect(html).not.toContain('#region');
  });

  test('the page script is valid JavaScript', async () => {
    const { PAGE_JS } = await import('../../src/literate/site-assets.ts');
    expect(() => new Function(PAGE_JS)).not.toThrow();
  });
});
