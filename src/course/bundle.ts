/*
 * One test bundle per exercise: its test files, the test support code and
 * every source file they reach, compiled by esbuild into a single ES module
 * that Node runs with nothing beside it: no tsx, no node_modules, no tree.
 * The grader chooses what each exercise block holds (`sources`), and the
 * expected values of the tests are blanked out, so the bundle holds the code
 * to run and never the answers it will be judged by.
 */
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

// #region X-bundle
// unwoven: course tooling; the README's course section describes the grader.

export interface Bundled {
  code: string;
  map: LazySourceMap;
}

/**
 * A bundle's source map, decoded the first time a stack trace needs it. Most
 * runs throw nothing the grader must place, and decoding a bundle's map costs
 * more than grading its run.
 */
export class LazySourceMap {
  private decoded: SourceMap | undefined;
  constructor(readonly payload: object) {}
  get map(): SourceMap {
    return (this.decoded ??= new SourceMap(this.payload as never));
  }
}

/** Where esbuild stopped: a syntax error, at a line of a file relative to the root. */
export interface BundleError {
  text: string;
  file: string | null;
  line: number;
}

const OUT = '.grade-bundle';

/**
 * Bundle `entries` (test files, relative to `root`) in that order. A file
 * `sources` holds (by its path relative to `root`) is compiled from that text
 * instead of from disk; all the others are read from `root`.
 */
export async function bundleTests(root: string, entries: string[], sources: ReadonlyMap<string, string>): Promise<Bundled | BundleError> {
  // Only the files given are asked for: a callback for every file the tests reach was a round
  // trip to esbuild's process each, some sixty a bundle.
  const escape = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const served = new Set<string>();
  const override: Plugin = {
    name: 'course-sources',
    setup(b) {
      b.onLoad({ filter: new RegExp(`^(?:${[...sources.keys()].map((f) => escape(join(root, f))).join('|')})$`) }, (args) => {
        const file = relative(root, args.path);
        const text = sources.get(file);
        if (text === undefined) return undefined;
        served.add(file);
        return { contents: text, loader: 'ts' };
      });
    },
  };
  try {
    const r = await build({
      absWorkingDir: root,
      stdin: { contents: entries.map((e) => `import './${e}';`).join('\n'), resolveDir: root, sourcefile: 'entry.ts', loader: 'ts' },
      bundle: true, format: 'esm', platform: 'node', target: 'node20',
      write: false, outfile: join(root, OUT, 'test.mjs'),
      sourcemap: 'external', sourcesContent: false, legalComments: 'none', charset: 'utf8',
      // Only a vitest run of a graded test loads vitest; in the bundle, the branch is dead.
      external: ['vitest'],
      logLevel: 'silent',
      plugins: sources.size ? [override] : [],
    });
    const js = r.outputFiles.find((f) => f.path.endsWith('.mjs'))!;
    const map = JSON.parse(r.outputFiles.find((f) => f.path.endsWith('.map'))!.text) as { sources: string[] };
    // Sources named from the root, as the grader names files.
    map.sources = map.sources.map((s) => relative(root, resolve(root, OUT, s)));
    // A file given but read from disk instead would put the course's own text where an answer goes.
    const unserved = map.sources.filter((f) => sources.has(f) && !served.has(f));
    if (unserved.length) throw new Error(`bundling read ${unserved.join(', ')} from disk, not the text given for it`);
    return { code: js.text, map: new LazySourceMap(map) };
  } catch (e) {
    const first = (e as { errors?: { text: string; location: { file: string; line: number } | null }[] }).errors?.[0];
    if (!first) throw e;
    return { text: first.text, file: first.location ? relative(root, resolve(root, first.location.file)) : null, line: first.location?.line ?? 0 };
  }
}

export function isBundleError(b: Bundled | BundleError): b is BundleError {
  return 'text' in b;
}

/** The sandbox's boot code (src/course/sandbox-child.ts), compiled once. */
let boot: Promise<string> | null = null;
export function bootCode(): Promise<string> {
  boot ??= build({
    entryPoints: [join(dirname(fileURLToPath(import.meta.url)), 'sandbox-child.ts')],
    bundle: true, format: 'esm', platform: 'node', target: 'node20', write: false, logLevel: 'silent', legalComments: 'none',
  }).then((r) => r.outputFiles[0]!.text);
  return boot;
}

/** A token of TypeScript, as far as blanking needs: code punctuation and names, with strings and comments skipped whole. */
interface Token {
  kind: 'name' | 'punct' | 'other';
  text: string;
  start: number;
  end: number;
}

/** After this token, does a slash start a regular expression (not a division)? */
function regexMayStart(prev: Token | undefined): boolean {
  if (!prev) return true;
  if (prev.kind === 'punct') return !/^[)\]}]$/.test(prev.text);
  return prev.kind === 'name' && /^(return|typeof|case|in|of|void|yield|await|delete|new|throw)$/.test(prev.text);
}

/**
 * The tokens of `text` outside strings, template text, comments and regular
 * expressions (which are skipped, but end a token). Template substitutions
 * are code, and are tokenized.
 */
function tokens(text: string, file: string): Token[] {
  const out: Token[] = [];
  // Each open template literal records the brace depth at which its substitution began.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const fail = (why: string): never => {
    const line = text.slice(0, i).split('\n').length;
    throw new Error(`${file}:${line}: ${why}`);
  };
  const template = () => {
    // In template text: up to the closing backtick, or a substitution.
    for (;;) {
      if (i >= text.length) fail('unclosed template literal');
      const c = text[i]!;
      if (c === '\\') i += 2;
      else if (c === '`') return void i++;
      else if (c === '$' && text[i + 1] === '{') {
        i += 2;
        templates.push(depth++);
        return;
      } else i++;
    }
  };
  while (i < text.length) {
    const c = text[i]!;
    const start = i;
    if (/\s/.test(c)) i++;
    else if (c === '/' && text[i + 1] === '/') i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (c === '/' && text[i + 1] === '*') i = text.indexOf('*/', i + 2) < 0 ? fail('unclosed comment') : text.indexOf('*/', i + 2) + 2;
    else if (c === "'" || c === '"') {
      for (i++; text[i] !== c; i++) {
        if (i >= text.length || text[i] === '\n') fail('unclosed string');
        if (text[i] === '\\') i++;
      }
      i++;
      out.push({ kind: 'other', text: 'string', start, end: i });
    } else if (c === '`') {
      i++;
      template();
      out.push({ kind: 'other', text: 'template', start, end: i });
    } else if (c === '/' && regexMayStart(out.at(-1))) {
      // A regular expression literal.
      for (i++; text[i] !== '/'; i++) {
        if (i >= text.length || text[i] === '\n') fail('unclosed regular expression');
        if (text[i] === '\\') i++;
        else if (text[i] === '[') while (text[++i] !== ']') if (text[i] === '\\') i++;
      }
      for (i++; /[a-z]/.test(text[i] ?? ''); i++);
      out.push({ kind: 'other', text: 'regexp', start, end: i });
    } else if (/[A-Za-z_$]/.test(c)) {
      while (/[\w$]/.test(text[i] ?? '')) i++;
      out.push({ kind: 'name', text: text.slice(start, i), start, end: i });
    } else if (/[0-9]/.test(c)) {
      while (/[\w.]/.test(text[i] ?? '')) i++;
      out.push({ kind: 'other', text: 'number', start, end: i });
    } else {
      i++;
      if (c === '{' || c === '(' || c === '[') depth++;
      if (c === '}' || c === ')' || c === ']') {
        depth--;
        if (c === '}' && templates.length && templates.at(-1) === depth) {
          templates.pop();
          template();
          out.push({ kind: 'other', text: 'template', start, end: i });
          continue;
        }
      }
      out.push({ kind: 'punct', text: c, start, end: i });
    }
  }
  return out;
}

/**
 * A test file with the expected value of every `see` call blanked out (the
 * third argument becomes `undefined`, padded so that no line moves). Any
 * other use of the name `see` than `(see) =>` and `see.kind(label, actual,
 * expected)` is refused: the grader could not be sure it blanked everything.
 */
export function blankExpectations(file: string, text: string): string {
  const toks = tokens(text, file);
  const kinds = new Set(['value', 'addr', 'entry', 'pf']);
  const cuts: [number, number][] = [];
  const at = (t: Token) => `${file}:${text.slice(0, t.start).split('\n').length}`;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.kind !== 'name' || t.text !== 'see') continue;
    if (toks[k - 1]?.text === '(' && toks[k + 1]?.text === ')' && toks[k + 2]?.text === '=') continue;
    if (toks[k - 1]?.text === '.' || toks[k + 1]?.text !== '.' || !kinds.has(toks[k + 2]?.text ?? '') || toks[k + 3]?.text !== '(') {
      throw new Error(`cannot blank the expected values of ${at(t)}: \`see\` is used other than as see.value/addr/entry/pf(label, actual, expected)`);
    }
    // The arguments: split at top-level commas up to the matching parenthesis.
    const args: [number, number][] = [];
    let depth = 0;
    let from = k + 4;
    let j = from;
    for (; j < toks.length; j++) {
      const x = toks[j]!.text;
      if (toks[j]!.kind !== 'punct') continue;
      if (x === '(' || x === '[' || x === '{') depth++;
      else if ((x === ')' || x === ']' || x === '}') && depth > 0) depth--;
      else if (x === ')' || (x === ',' && depth === 0)) {
        if (j > from) args.push([toks[from]!.start, toks[j - 1]!.end]);
        from = j + 1;
        if (x === ')') break;
      }
    }
    if (args.length !== 3) throw new Error(`cannot blank the expected values of ${at(t)}: see.${toks[k + 2]!.text}() takes (label, actual, expected)`);
    cuts.push(args[2]!);
    k = j;
  }
  let out = text;
  for (const [a, b] of cuts.sort((x, y) => y[0] - x[0])) out = `${out.slice(0, a)}undefined${'\n'.repeat((text.slice(a, b).match(/\n/g) ?? []).length)}${out.slice(b)}`;
  return out;
}
// #endregion X-bundle
