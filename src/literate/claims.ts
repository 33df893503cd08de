/**
 * Claims: the sentences of the book that a test must prove.
 *
 * A chapter marks one with a container,
 *
 *     ::: claim read-fault-write-protects
 *     After a read fault the shadow entry is write-protected, …
 *     :::
 *
 * and a test proves it with `claim('read-fault-write-protects', …)` from
 * test/support/claim.ts. The book check pairs the two in both directions;
 * the rendered claim links to the test that carries its id.
 */
import type MarkdownIt from 'markdown-it';
import type { PluginWithParams } from 'markdown-it';
import container from 'markdown-it-container';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChapterEnv } from './weave.ts';
import type { SourceTree } from './sources.ts';

export const CLAIM_ID = /^[a-z0-9][a-z0-9-]*$/;
const OPEN = /^claim\s+(\S+)\s*$/;

/** Where a test proves a claim. */
export interface ClaimTest {
  id: string;
  file: string;
  line: number;
}

/** Every `claim('id'` call in the test folder, found by reading the files (no test needs to run). */
export function scanClaimTests(tree: SourceTree, dir = 'test'): ClaimTest[] {
  const found: ClaimTest[] = [];
  for (const file of tree.files(dir)) {
    const lines = readFileSync(join(tree.root, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      for (const m of text.matchAll(/\bclaim\(\s*['"`]([^'"`]+)['"`]/g)) found.push({ id: m[1]!, file, line: i + 1 });
    });
  }
  return found;
}

export interface ClaimOptions {
  /** Where each claim is tested, for the rendered link. */
  tests?: Map<string, ClaimTest[]>;
  /** The URL of a test file's source view at a line. */
  testHref?: (t: ClaimTest) => string;
}

export function claimPlugin(md: MarkdownIt, options: ClaimOptions = {}): void {
  // markdown-it-container's types name the CommonJS markdown-it; the plugin is the same.
  md.use(container as unknown as PluginWithParams, 'claim', {
    validate: (params: string) => OPEN.test(params.trim()),
    render(tokens: { nesting: number; info: string }[], idx: number) {
      const token = tokens[idx]!;
      if (token.nesting !== 1) return '</div>\n';
      const id = OPEN.exec(token.info.trim())![1]!;
      const tests = options.tests?.get(id) ?? [];
      const links = tests
        .map((t) => `<a class="claim-test" href="${md.utils.escapeHtml(options.testHref?.(t) ?? '#')}">${md.utils.escapeHtml(`${t.file}:${t.line}`)}</a>`)
        .join(', ');
      const status = tests.length ? `✓ tested by ${links}` : '✗ untested';
      return `<div class="claim" id="claim-${md.utils.escapeHtml(id)}"><div class="claim-tag"><a href="#claim-${md.utils.escapeHtml(id)}">claim ${md.utils.escapeHtml(id)}</a> · ${status}</div>\n`;
    },
  });
  // Record claims at parse time, with their chapter lines, for the book check.
  md.core.ruler.push('claims', (state) => {
    const env = state.env as ChapterEnv;
    for (const token of state.tokens) {
      if (token.type !== 'container_claim_open') continue;
      const id = OPEN.exec(token.info.trim())![1]!;
      const line = (token.map?.[0] ?? 0) + 1;
      if (!CLAIM_ID.test(id)) env.errors.push({ file: env.path, line, message: `claim id "${id}" must be lowercase letters, digits and dashes` });
      env.claims.push({ id, line });
    }
  });
}
