/**
 * Named regions in TypeScript sources: the one parser shared by the weave
 * plugin, the whole-book checks and the exercise generator.
 *
 * A region is `// #region NAME` … `// #endregion NAME` on lines of their own
 * (VS Code, TypeScript and VitePress all understand the form). Names are
 * `H<nnn>-slug` for lguest's Host journey, `HW-slug` for hardware, `PAE-slug`
 * for the Host's PAE half, `G-slug` for the guest model and workloads,
 * `M<nnn>-slug` for Mastery, `K-slug` for the transparent (KVM-style) Host,
 * `SIM-slug` for the simulator's own machinery (the appendix), and `X-slug` for code
 * deliberately left out of the book, whose next line must be
 * `// unwoven: <reason>`.
 */

import { withoutStubs } from '../markers/markers.ts';
export interface SourceError {
  file: string;
  line: number;
  message: string;
}

export function formatError(e: SourceError): string {
  return `${e.file}:${e.line}: ${e.message}`;
}

export interface Region {
  name: string;
  file: string;
  /** 1-based line of the `#region` marker. */
  startLine: number;
  /** 1-based line of the `#endregion` marker. */
  endLine: number;
  /** The lines strictly between the markers. */
  body: string[];
  /** For an `X-` region: why it is not in the book. */
  unwovenReason?: string;
  /** lguest's H: number, for `H<nnn>-` regions. */
  h?: number;
}

export interface ParsedSource {
  file: string;
  regions: Map<string, Region>;
  errors: SourceError[];
  /** 1-based numbers of code lines that lie in no region (blank, comment and import lines excepted). */
  strayLines: number[];
}

export const REGION_NAME = /^[A-Za-z0-9_-]{1,48}$/;
const MARKER = /^\s*\/\/ #(region|endregion)(?:\s+(.*))?$/;
const LOOSE_MARKER = /^\s*\/\/\s*#\s*(region|endregion)\b/;
const PREFIXES = /^(H\d{3}|M\d{3}|HW|PAE|K|N|SIM|G|X)-[a-z0-9][a-z0-9-]*$/;

/** lguest's H: number from a region name: `H330-demand-page` → 330. */
export function hNumber(name: string): number | undefined {
  const m = /^H(\d{3})-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** Parse the regions of one file's text. `file` is the path used in messages. */
export function parseRegions(file: string, text: string): ParsedSource {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const regions = new Map<string, Region>();
  const errors: SourceError[] = [];
  const strayLines: number[] = [];
  let open: { name: string; line: number } | undefined;
  let inImport = false;
  let inBlockComment = false;

  lines.forEach((text, i) => {
    const line = i + 1;
    const m = MARKER.exec(text);
    if (!m && LOOSE_MARKER.test(text)) {
      errors.push({ file, line, message: `malformed region marker "${text.trim()}": write exactly "// #region NAME" or "// #endregion NAME"` });
      return;
    }
    if (m) {
      const kind = m[1]!;
      const name = (m[2] ?? '').trim();
      if (!REGION_NAME.test(name) || !PREFIXES.test(name)) {
        errors.push({ file, line, message: `bad region name "${name}": use H<nnn>-slug, M<nnn>-slug, HW-slug, PAE-slug, K-slug, SIM-slug, G-slug or X-slug (letters, digits, dashes)` });
        if (kind === 'region' && !open) open = { name, line };
        else if (kind === 'endregion') open = undefined;
        return;
      }
      if (kind === 'region') {
        if (open) {
          errors.push({ file, line, message: `region "${name}" opens inside region "${open.name}" (opened at line ${open.line}); regions do not nest` });
          return;
        }
        open = { name, line };
        return;
      }
      if (!open) {
        errors.push({ file, line, message: `#endregion "${name}" has no matching #region` });
        return;
      }
      if (open.name !== name) {
        errors.push({ file, line, message: `#endregion "${name}" closes region "${open.name}" (opened at line ${open.line}); the end marker must repeat the name` });
        open = undefined;
        return;
      }
      const body = lines.slice(open.line, i);
      const region: Region = { name, file, startLine: open.line, endLine: line, body };
      const h = hNumber(name);
      if (h !== undefined) region.h = h;
      if (name.startsWith('X-')) {
        const reason = /^\s*\/\/ unwoven:\s*(.*)$/.exec(body[0] ?? '')?.[1]?.trim();
        if (!reason) errors.push({ file, line: open.line, message: `unwoven region "${name}" needs "// unwoven: <reason>" as its first line` });
        else region.unwovenReason = reason;
      }
      if (regions.has(name)) {
        errors.push({ file, line: open.line, message: `region "${name}" is defined twice in this file (first at line ${regions.get(name)!.startLine})` });
      } else regions.set(name, region);
      open = undefined;
      return;
    }
    if (open) return;
    // Outside any region: only blank lines, comments and imports may stand here.
    const t = text.trim();
    if (inBlockComment) {
      if (t.includes('*/')) inBlockComment = false;
      return;
    }
    if (inImport) {
      if (t.endsWith(';')) inImport = false;
      return;
    }
    if (t === '' || t.startsWith('//')) return;
    if (t.startsWith('/*')) {
      if (!t.includes('*/')) inBlockComment = true;
      return;
    }
    if (/^import\s/.test(t) || /^export\s+(\*|\{[^}]*\})\s+from\s/.test(t) || /^export\s+type\s+\{[^}]*\}\s+from\s/.test(t)) {
      if (!t.endsWith(';')) inImport = true;
      return;
    }
    strayLines.push(line);
  });
  if (open) errors.push({ file, line: open.line, message: `region "${open.name}" is never closed` });
  return { file, regions, errors, strayLines };
}

/**
 * The text of a region as a reader sees it: region and exercise markers
 * gone, the students' stubs gone, common indentation removed. `lines` gives
 * the file's line number of each line shown, so numbering stays true.
 */
export function regionCode(region: Region): { code: string; firstLine: number; lines: number[] } {
  const keep = withoutStubs(region.body);
  const shown = keep.map((i) => region.body[i]!);
  const indents = shown.filter((l) => l.trim() !== '').map((l) => /^\s*/.exec(l)![0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return { code: shown.map((l) => l.slice(cut)).join('\n'), firstLine: region.startLine + 1, lines: keep.map((i) => region.startLine + 1 + i) };
}

/** The known name closest to `name` (edit distance), for "did you mean" hints. */
export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(3, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
