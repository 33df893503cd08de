/**
 * The book as a whole: its chapters parsed through the weave, and the checks
 * that keep prose, code, tests and lguest's journey in step. Every check
 * collects its errors; nothing stops at the first.
 */
import MarkdownIt from 'markdown-it';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type Token from 'markdown-it/lib/token.mjs';
import { formatError, type SourceError } from './regions.ts';
import { beyondPlugin } from './beyond.ts';
import { figurePlugin, type DrawnFigures, type FigureMode } from './figures.ts';
import { exercisePlugin } from './exercises.ts';
import { courseExercises } from '../markers/exercises.ts';
import { parseExercises } from '../markers/markers.ts';
import { FULLY_WOVEN_ROOTS, SourceTree, WEAVABLE_ROOTS } from './sources.ts';
import { newChapterEnv, weavePlugin, type ChapterEnv } from './weave.ts';
import { claimPlugin, scanClaimTests, type ClaimOptions, type ClaimTest } from './claims.ts';
import { transcriptPlugin, type TranscriptCheck } from './transcripts.ts';
import { checkConformance, loadConformance, type Conformance } from './conformance.ts';

/** The parts of the book, in reading order, as lguest's journey has them. */
export const PARTS = ['preface', 'hardware', 'host', 'mastery', 'appendix'] as const;
export type Part = (typeof PARTS)[number];

export interface Chapter {
  /** chapters/NN-slug.md */
  path: string;
  number: number;
  slug: string;
  title: string;
  part: Part;
  /** The `H:` range the chapter covers, when it covers one. */
  h?: [number, number];
  source: string;
  tokens: Token[];
  env: ChapterEnv;
}

export interface Book {
  root: string;
  tree: SourceTree;
  chapters: Chapter[];
  conformance: Conformance;
  claimTests: ClaimTest[];
  /** Errors found while loading (front matter, includes, region syntax). */
  errors: SourceError[];
}

/** The containers a chapter may open: `::: claim id`, `::: beyond Title`, `::: exercise id`. */
const CONTAINER_OPEN = /^:::\s*(claim|beyond|exercise)\b/;
const CHAPTER_FILE = /^(\d{2})-([a-z0-9][a-z0-9-]*)\.md$/;

/** Plugins every build of the book uses; the site adds highlighting and layout on top. */
export function bookMarkdown(tree: SourceTree, claims: ClaimOptions = {}, options: { figures?: FigureMode; drawn?: DrawnFigures } = {}): MarkdownIt {
  const md = new MarkdownIt({ html: true, linkify: false, typographer: true });
  md.use(weavePlugin, tree);
  md.use(claimPlugin, claims);
  md.use(transcriptPlugin);
  md.use(beyondPlugin);
  md.use(figurePlugin, tree.root, options.figures ?? true, options.drawn);
  md.use(exercisePlugin, tree.root);
  return md;
}

/**
 * Split front matter from a chapter, keeping line numbers: the front-matter
 * lines become blank lines, so token maps still count from the file's top.
 */
export function splitFrontMatter(text: string): { data: unknown; body: string; error?: string } {
  if (!text.startsWith('---\n')) return { data: undefined, body: text };
  const end = text.indexOf('\n---\n', 3);
  if (end < 0) return { data: undefined, body: text, error: 'front matter is not closed by a "---" line' };
  const yamlText = text.slice(4, end + 1);
  const blank = '\n'.repeat(yamlText.split('\n').length + 1);
  try {
    return { data: parseYaml(yamlText), body: blank + text.slice(end + 5) };
  } catch (e) {
    return { data: undefined, body: blank + text.slice(end + 5), error: `front matter is not valid YAML: ${(e as Error).message.split('\n')[0]}` };
  }
}

export interface LoadOptions {
  /** The source tree the markdown's weave plugin reads (one parse per build). */
  tree?: SourceTree;
  md?: MarkdownIt;
  claimTests?: ClaimTest[];
}

export function loadBook(root: string, options: LoadOptions = {}): Book {
  const tree = options.tree ?? new SourceTree(root);
  const claimTests = options.claimTests ?? scanClaimTests(tree);
  const errors: SourceError[] = [];
  const chapters: Chapter[] = [];
  const markdown = options.md ?? bookMarkdown(tree);
  let files: string[] = [];
  try {
    files = readdirSync(join(root, 'chapters')).filter((f) => f.endsWith('.md')).sort();
  } catch {
    errors.push({ file: 'chapters', line: 0, message: 'no chapters folder' });
  }
  for (const name of files) {
    const path = `chapters/${name}`;
    const m = CHAPTER_FILE.exec(name);
    if (!m) {
      errors.push({ file: path, line: 1, message: 'chapter files are named NN-slug.md (two digits, lowercase slug)' });
      continue;
    }
    const text = readFileSync(join(root, path), 'utf8');
    const { data, body, error } = splitFrontMatter(text);
    if (error) errors.push({ file: path, line: 1, message: error });
    const fm = (data ?? {}) as Record<string, unknown>;
    const fmErr = (message: string) => errors.push({ file: path, line: 1, message });
    if (typeof fm['title'] !== 'string' || !fm['title']) fmErr('front matter needs a title');
    if (!PARTS.includes(fm['part'] as Part)) fmErr(`front matter part must be one of ${PARTS.join(', ')}`);
    let h: [number, number] | undefined;
    if (fm['h'] !== undefined) {
      const r = fm['h'];
      if (Array.isArray(r) && r.length === 2 && r.every((n) => Number.isInteger(n)) && r[0] <= r[1]) h = [r[0], r[1]];
      else fmErr('front matter h must be [first, last], two H: numbers in order, e.g. h: [300, 360]');
    }
    const env = newChapterEnv(path);
    const tokens = markdown.parse(body, env);
    errors.push(...env.errors);
    // A container closes only on a line of its own: `::: and more text` does not close it, and
    // markdown-it lets it swallow every heading and paragraph after it, silently.
    const bodyStart = text.split('\n').length - body.split('\n').length;
    body.split('\n').forEach((l, i) => {
      if (/^:::/.test(l) && !/^:::\s*$/.test(l) && !CONTAINER_OPEN.test(l)) {
        errors.push({ file: path, line: bodyStart + i + 1, message: `"${l.slice(0, 40)}": a container closes with ::: alone on its line, and opens with ::: claim, ::: beyond or ::: exercise` });
      }
    });
    const chapter: Chapter = {
      path, number: Number(m[1]), slug: m[2]!, title: String(fm['title'] ?? m[2]), part: (fm['part'] as Part) ?? 'appendix',
      source: body, tokens, env,
    };
    if (h) chapter.h = h;
    chapters.push(chapter);
  }
  const conformance = loadConformance(root);
  return { root, tree, chapters, conformance, claimTests, errors };
}

/** Every whole-book check. Returns all errors, sorted by file and line; empty means the book is sound. */
export function checkBook(book: Book): SourceError[] {
  const errors: SourceError[] = [...book.errors];
  const { tree, chapters } = book;

  // Region syntax, and region names unique across the weavable tree.
  const owner = new Map<string, string>();
  for (const dir of WEAVABLE_ROOTS) {
    for (const file of tree.files(dir)) {
      const parsed = tree.get(file)!;
      errors.push(...parsed.errors);
      for (const [name, region] of parsed.regions) {
        const first = owner.get(name);
        if (first) errors.push({ file, line: region.startLine, message: `region "${name}" is also defined in ${first}; names identify one place` });
        else owner.set(name, `${file}:${region.startLine}`);
      }
    }
  }

  // Chapter numbering and parts.
  let lastPart = 0;
  let lastNumber = -1;
  let lastRange: { h: [number, number]; path: string } | undefined;
  for (const ch of chapters) {
    if (ch.number === lastNumber) errors.push({ file: ch.path, line: 1, message: `chapter number ${String(ch.number).padStart(2, '0')} is used twice` });
    lastNumber = ch.number;
    const part = PARTS.indexOf(ch.part);
    if (part < lastPart) errors.push({ file: ch.path, line: 1, message: `part "${ch.part}" comes after "${PARTS[lastPart]}"; parts run ${PARTS.join(', ')}` });
    lastPart = Math.max(lastPart, part);
    if (ch.h) {
      if (lastRange && ch.h[0] <= lastRange.h[1]) {
        errors.push({ file: ch.path, line: 1, message: `H: range [${ch.h}] overlaps or precedes ${lastRange.path}'s [${lastRange.h}]; chapters go in H: order` });
      }
      lastRange = { h: ch.h, path: ch.path };
    }
  }

  // Each region woven once; H: regions in ascending order and inside their chapter's range.
  const woven = new Map<string, string>();
  let lastH: { h: number; where: string } | undefined;
  for (const ch of chapters) {
    for (const inc of ch.env.includes) {
      const key = `${inc.file}#${inc.region}`;
      const first = woven.get(key);
      if (first) errors.push({ file: inc.chapter, line: inc.line, message: `region "${inc.region}" is woven twice (first at ${first}); weave each region once` });
      else woven.set(key, `${inc.chapter}:${inc.line}`);
      if (inc.region.startsWith('X-')) errors.push({ file: inc.chapter, line: inc.line, message: `region "${inc.region}" is marked unwoven; rename it if the book should show it` });
      if (inc.h === undefined) continue;
      const hs = `H:${String(inc.h).padStart(3, '0')}`;
      if (lastH && inc.h < lastH.h) errors.push({ file: inc.chapter, line: inc.line, message: `${hs} is woven after H:${String(lastH.h).padStart(3, '0')} (${lastH.where}); H: regions must appear in ascending order` });
      if (!lastH || inc.h >= lastH.h) lastH = { h: inc.h, where: `${inc.chapter}:${inc.line}` };
      if (!ch.h) errors.push({ file: inc.chapter, line: inc.line, message: `${hs} region woven in a chapter with no h: range in its front matter` });
      else if (inc.h < ch.h[0] || inc.h > ch.h[1]) errors.push({ file: inc.chapter, line: inc.line, message: `${hs} is outside this chapter's range [${ch.h}]` });
    }
  }

  // Never two regions back to back: the reader needs a word between them, on
  // what to notice in the first and why the second comes next.
  for (const ch of chapters) {
    const lines = ch.source.split('\n');
    const incs = ch.env.includes;
    for (let i = 1; i < incs.length; i++) {
      const a = incs[i - 1]!;
      const b = incs[i]!;
      if (lines.slice(a.line, b.line - 1).every((l) => l.trim() === '')) {
        errors.push({ file: ch.path, line: b.line, message: `region "${b.region}" is woven straight after "${a.region}" (line ${a.line}): say what to notice in the one, and why the other, between them` });
      }
    }
  }

  // Exercises: each set once, in the chapter the course names; each solution inside a woven region.
  const course = courseExercises(book.root);
  const setAt = new Map<string, string>();
  for (const ch of chapters) {
    for (const x of ch.env.exercises) {
      const e = course?.find((c) => c.id === x.id);
      const at = (message: string) => errors.push({ file: ch.path, line: x.line, message });
      if (!e) at(`unknown exercise "${x.id}" (course/exercises.json has ${course ? course.map((c) => c.id).join(', ') : 'no exercises'})`);
      else if (setAt.has(x.id)) at(`exercise ${x.id} is set twice (first at ${setAt.get(x.id)})`);
      else if (e.chapter !== ch.path) at(`exercise ${x.id} belongs in ${e.chapter}, as course/exercises.json says`);
      setAt.set(x.id, `${ch.path}:${x.line}`);
    }
  }
  for (const e of course ?? []) if (!setAt.has(e.id)) errors.push({ file: 'course/exercises.json', line: 1, message: `exercise ${e.id} is set in no chapter: add "::: exercise ${e.id}" to ${e.chapter}` });
  for (const file of tree.files('src')) {
    const { blocks, errors: markerErrors } = parseExercises(file, readFileSync(join(book.root, file), 'utf8').split('\n'));
    errors.push(...markerErrors);
    for (const b of blocks) {
      const region = [...tree.get(file)!.regions.values()].find((r) => r.startLine < b.start && b.end < r.endLine);
      if (!region || !woven.has(`${file}#${region.name}`)) errors.push({ file, line: b.start, message: `exercise ${b.id} lies outside every woven region: a student must be able to read the code around a stub` });
      if (course && !course.some((c) => c.id === b.id)) errors.push({ file, line: b.start, message: `exercise ${b.id} is not in course/exercises.json` });
    }
  }

  // Everything under the fully woven roots is in the book or says why not.
  for (const dir of FULLY_WOVEN_ROOTS) {
    for (const file of tree.files(dir)) {
      const parsed = tree.get(file)!;
      for (const region of parsed.regions.values()) {
        if (!region.name.startsWith('X-') && !woven.has(`${file}#${region.name}`)) {
          errors.push({ file, line: region.startLine, message: `region "${region.name}" is never woven into a chapter (weave it, or make it X- with "// unwoven: <reason>")` });
        }
      }
      // One error per run of stray lines, at its first line.
      parsed.strayLines.forEach((line, i) => {
        if (parsed.strayLines[i - 1] === line - 1) return;
        let end = line;
        while (parsed.strayLines.includes(end + 1)) end++;
        errors.push({ file, line, message: `${end > line ? `lines ${line}-${end} are` : 'this line is'} in no region: every line of ${dir} is woven or marked unwoven` });
      });
    }
  }

  // Claims: each made once, each tested, each test's claim made.
  const made = new Map<string, string>();
  for (const ch of chapters) {
    for (const c of ch.env.claims) {
      const first = made.get(c.id);
      if (first) errors.push({ file: ch.path, line: c.line, message: `claim "${c.id}" is already made at ${first}` });
      else made.set(c.id, `${ch.path}:${c.line}`);
    }
  }
  const tested = new Set(book.claimTests.map((t) => t.id));
  for (const ch of chapters) {
    for (const c of ch.env.claims) {
      if (!tested.has(c.id)) errors.push({ file: ch.path, line: c.line, message: `claim "${c.id}" has no test: add claim('${c.id}', …) under test/` });
    }
  }
  for (const t of book.claimTests) {
    if (!made.has(t.id)) errors.push({ file: t.file, line: t.line, message: `test names claim "${t.id}", which no chapter makes` });
  }

  errors.push(...checkConformance(book.conformance, tree, woven));
  return dedupe(errors).sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

function dedupe(errors: SourceError[]): SourceError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = formatError(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The claim → tests index, for rendering links. */
export function claimIndex(tests: ClaimTest[]): Map<string, ClaimTest[]> {
  const index = new Map<string, ClaimTest[]>();
  for (const t of tests) index.set(t.id, [...(index.get(t.id) ?? []), t]);
  return index;
}

/** Every example output the chapters show, for `checkTranscripts`. */
export function bookTranscripts(book: Book): TranscriptCheck[] {
  return book.chapters.flatMap((ch) => ch.env.transcripts.map((t) => ({ chapter: ch.path, ...t })));
}
