/**
 * The weave: a markdown-it block rule that turns `<<< @/src/hw/tlb.ts#HW-tlb`
 * in a chapter into the region's real code, resolved at parse time so that
 * every error knows its chapter line and the whole include graph is known
 * before anything renders.
 *
 * The grammar is VitePress's, `<<< path#region {attrs}`, so chapters also read
 * well in any tool that knows it. Attributes: a language (`ts`), and line
 * ranges to highlight (`3-5,9`, in file line numbers).
 */
import type MarkdownIt from 'markdown-it';
import type StateBlock from 'markdown-it/lib/rules_block/state_block.mjs';
import { posix } from 'node:path';
import { nearest, regionCode, type SourceError } from './regions.ts';
import { WEAVABLE_ROOTS, type SourceTree } from './sources.ts';

/** One region woven into one chapter. */
export interface WeaveRecord {
  chapter: string;
  /** 1-based chapter line of the `<<<` directive. */
  line: number;
  file: string;
  region: string;
  h?: number;
  /** File lines of the code shown (marker lines excluded). */
  startLine: number;
  endLine: number;
}

/** What a chapter's parse leaves behind, beside its tokens. */
export interface ChapterEnv {
  /** The chapter's path from the package root, used in messages. */
  path: string;
  errors: SourceError[];
  includes: WeaveRecord[];
  claims: { id: string; line: number }[];
  transcripts: { example: string; line: number; expected: string }[];
  exercises: { id: string; line: number }[];
}

export function newChapterEnv(path: string): ChapterEnv {
  return { path, errors: [], includes: [], claims: [], transcripts: [], exercises: [] };
}

/** Token meta for a woven fence; the renderer reads it to caption and number the code. */
export interface WovenMeta {
  woven: true;
  file: string;
  region: string;
  firstLine: number;
  lastLine: number;
  /** The file line of each line shown (exercise markers and stubs are not shown). */
  lines: number[];
  highlight: number[];
  h?: number;
}

const DIRECTIVE = /^<<<\s+(\S+?)(?:#([^\s{]+))?(?:\s*\{([^}]*)\})?\s*$/;

export function weavePlugin(md: MarkdownIt, tree: SourceTree): void {
  md.block.ruler.before('fence', 'weave', (state: StateBlock, startLine: number, _end: number, silent: boolean) => {
    const start = state.bMarks[startLine]! + state.tShift[startLine]!;
    if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
    const text = state.src.slice(start, state.eMarks[startLine]);
    if (!text.startsWith('<<<')) return false;
    if (silent) return true;
    state.line = startLine + 1;
    const env = state.env as ChapterEnv;
    const line = startLine + 1;
    const fail = (message: string) => {
      env.errors.push({ file: env.path, line, message });
      const token = state.push('weave_error', '', 0);
      token.content = message;
      token.map = [startLine, startLine + 1];
      return true;
    };

    const m = DIRECTIVE.exec(text);
    if (!m) return fail(`cannot read include "${text}": write <<< @/src/path.ts#REGION {ts}`);
    const [, rawPath, region, attrs] = m;
    if (!region) return fail(`include "${text}" names no region: chapters weave regions, never whole files`);
    const file = resolvePath(rawPath!, env.path);
    if (typeof file !== 'string') return fail(file.error);

    let lang = 'ts';
    const highlight: number[] = [];
    for (const attr of (attrs ?? '').split(/\s+/).filter(Boolean)) {
      if (/^[a-z]+$/.test(attr)) lang = attr;
      else if (/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(attr)) {
        for (const range of attr.split(',')) {
          const [a, b = a] = range.split('-').map(Number) as [number, number?];
          for (let n = a; n <= b!; n++) highlight.push(n);
        }
      } else return fail(`unknown include attribute "${attr}" (known: a language such as ts, or line ranges such as 3-5)`);
    }

    const source = tree.get(file);
    if (!source) return fail(`no such source file ${file}`);
    const found = source.regions.get(region);
    if (!found) {
      const names = [...source.regions.keys()];
      const guess = nearest(region, names);
      return fail(`region "${region}" not found in ${file} (regions there: ${names.join(', ') || 'none'}${guess ? `; did you mean "${guess}"?` : ''})`);
    }
    const { code, firstLine, lines } = regionCode(found);
    const lastLine = found.endLine - 1;
    for (const n of highlight) {
      if (n < firstLine || n > lastLine) return fail(`highlighted line ${n} is outside region "${region}" (lines ${firstLine}-${lastLine})`);
    }
    const record: WeaveRecord = { chapter: env.path, line, file, region, startLine: firstLine, endLine: lastLine };
    if (found.h !== undefined) record.h = found.h;
    env.includes.push(record);

    const token = state.push('fence', 'code', 0);
    token.info = lang;
    token.content = code + '\n';
    token.map = [startLine, startLine + 1];
    const meta: WovenMeta = { woven: true, file, region, firstLine, lastLine, lines, highlight };
    if (found.h !== undefined) meta.h = found.h;
    token.meta = meta;
    return true;
  }, { alt: ['paragraph', 'reference', 'blockquote', 'list'] });

  md.renderer.rules['weave_error'] = (tokens, idx) =>
    `<div class="weave-error" role="alert">${md.utils.escapeHtml(tokens[idx]!.content)}</div>\n`;
}

/**
 * `@/x` is from the package root; anything else is relative to the chapter.
 * Only the weavable folders may be named, and nothing may climb out of the root.
 */
function resolvePath(raw: string, chapter: string): string | { error: string } {
  const joined = raw.startsWith('@/') ? raw.slice(2) : posix.join(posix.dirname(chapter), raw);
  const rel = posix.normalize(joined);
  if (rel.startsWith('..') || posix.isAbsolute(rel)) return { error: `include path ${raw} leaves the package` };
  if (!WEAVABLE_ROOTS.some((root) => rel.startsWith(root + '/'))) {
    return { error: `include path ${raw} is outside ${WEAVABLE_ROOTS.map((r) => r + '/').join(', ')}` };
  }
  if (!rel.endsWith('.ts')) return { error: `include path ${raw} is not a .ts file` };
  return rel;
}
