/*
 * A student's answers, as the handout marks them:
 *
 *     // EXERCISE ex03-rights (6 pts): Decide whether an access is allowed. Read chapters/03-rights.md#ex03-rights
 *     return todo('ex03-rights', '…');
 *     // END EXERCISE ex03-rights
 *
 * The lines between the two markers are the answer, and the only lines of a
 * submission the grader takes: it splices each answer into the course's own
 * file in place of the solution, and grades an exercise with every other
 * exercise's reference solution in place. So a mistake costs points in its
 * own exercise only, and code outside the markers changes nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ExerciseBlock } from '../markers/markers.ts';
import type { Exercise } from '../markers/exercises.ts';

// #region X-answers
// unwoven: course tooling; the student README explains the markers.
const BEGIN = /^\s*\/\/ EXERCISE (ex\d{2}-[a-z0-9][a-z0-9-]*)\b/;
const END = /^\s*\/\/ END EXERCISE (ex\d{2}-[a-z0-9][a-z0-9-]*)\s*$/;

export interface Answer {
  id: string;
  file: string;
  /** 1-based line of the EXERCISE marker in the student's file; the answer starts on the next line. */
  begin: number;
  lines: string[];
}

/** Every answer in a student's file, in order, or why the file's markers cannot be read. */
export function parseAnswers(file: string, text: string): { answers: Answer[]; errors: string[] } {
  const answers: Answer[] = [];
  const errors: string[] = [];
  const lines = text.split('\n');
  let open: { id: string; at: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const b = BEGIN.exec(lines[i]!);
    const e = END.exec(lines[i]!);
    if (b) {
      if (open) errors.push(`${file}:${i + 1}: EXERCISE ${b[1]} starts before END EXERCISE ${open.id} (opened at line ${open.at})`);
      open = { id: b[1]!, at: i + 1 };
    } else if (e) {
      if (!open || open.id !== e[1]) errors.push(`${file}:${i + 1}: END EXERCISE ${e[1]} without its EXERCISE line above it`);
      else answers.push({ id: open.id, file, begin: open.at, lines: lines.slice(open.at, i) });
      open = null;
    }
  }
  if (open) errors.push(`${file}:${open.at}: EXERCISE ${open.id} has no END EXERCISE ${open.id} line`);
  return { answers, errors };
}

/** The handout's lines for one block: the markers around the stub (or around `body`). */
export function stubLines(b: ExerciseBlock, e: Exercise, body: string[] = b.stub): string[] {
  return [`${b.indent}// EXERCISE ${b.id} (${e.points} pts): ${e.title}. Read ${e.chapter}#${b.id}`, ...body, `${b.indent}// END EXERCISE ${b.id}`];
}

/**
 * A file as the handout has it: every block replaced by its markers around
 * `fill(block)` (the stub unless told otherwise), and the import of todo()
 * after the file's own imports when a stub needs it.
 */
export function handoutText(file: string, text: string, blocks: ExerciseBlock[], exercises: Exercise[], todoModule: string, fill: (b: ExerciseBlock) => string[] = (b) => b.stub): string {
  const lines = text.split('\n');
  const mine = blocks.filter((b) => b.file === file).sort((a, b) => b.start - a.start);
  let usesTodo = false;
  for (const b of mine) {
    const e = exercises.find((x) => x.id === b.id)!;
    const body = fill(b);
    if (body.some((l) => /\btodo\s*\(/.test(l))) usesTodo = true;
    lines.splice(b.start - 1, b.end - b.start + 1, ...stubLines(b, e, body));
  }
  if (usesTodo) {
    let at = 0;
    lines.forEach((l, i) => { if (/^import .* from '.*';$/.test(l)) at = i + 1; });
    let spec = relative(dirname(file), todoModule);
    if (!spec.startsWith('.')) spec = `./${spec}`;
    lines.splice(at, 0, `import { todo } from '${spec}';`);
  }
  return lines.join('\n');
}

/** What goes where one block stood: its solution, its stub, or a student's answer. */
export type Choice = { kind: 'solution' } | { kind: 'stub' } | { kind: 'answer'; answer: Answer };

/** Where a line of a spliced file came from, when it came from a student's answer. */
export interface AnswerLine {
  exercise: string;
  file: string;
  line: number;
}

export interface Spliced {
  text: string;
  /** For each 1-based line of `text` that is a student's, where it stands in the student's file. */
  origin: Map<number, AnswerLine>;
}

/**
 * The course's file `file` (its text `text`, its blocks `blocks`) with each
 * block replaced as `choose` says. A stub or answer that calls todo() gets
 * its import, added at the end of the file (imports are hoisted) so that no
 * line moves.
 */
export function splice(file: string, text: string, blocks: ExerciseBlock[], choose: (b: ExerciseBlock, nth: number) => Choice, todoModule: string): Spliced {
  const lines = text.split('\n');
  const out: string[] = [];
  const origin = new Map<number, AnswerLine>();
  const mine = blocks.filter((b) => b.file === file).sort((a, b) => a.start - b.start);
  const nth = new Map<string, number>();
  let next = 0;
  let usesTodo = false;
  for (const b of mine) {
    out.push(...lines.slice(next, b.start - 1));
    const k = nth.get(b.id) ?? 0;
    nth.set(b.id, k + 1);
    const c = choose(b, k);
    const chosen = c.kind === 'solution' ? b.solution : c.kind === 'stub' ? b.stub : c.answer.lines;
    if (c.kind === 'answer') c.answer.lines.forEach((_, j) => origin.set(out.length + j + 1, { exercise: b.id, file: c.answer.file, line: c.answer.begin + 1 + j }));
    if (c.kind !== 'solution' && chosen.some((l) => /\btodo\s*\(/.test(l))) usesTodo = true;
    out.push(...chosen);
    next = b.end;
  }
  out.push(...lines.slice(next));
  if (usesTodo) {
    let spec = relative(dirname(file), todoModule);
    if (!spec.startsWith('.')) spec = `./${spec}`;
    out.push(`import { todo } from '${spec}';`);
  }
  return { text: out.join('\n'), origin };
}
// #endregion X-answers

/** Where a handout records, for each file with exercises in it, its lines outside the exercises. */
export const OUTSIDE_FILE = 'course/outside.json';

/**
 * A file's lines outside its exercise blocks, markers kept and each block's body left out, each as
 * a short digest with its 1-based line. Line ends and trailing spaces do not count (an editor on
 * another system changes them), nor todo()'s import, which a finished file may drop.
 */
function outsideLines(file: string, text: string): { line: number; digest: string }[] | null {
  const unix = text.replace(/\r\n/g, '\n');
  const lines = unix.split('\n');
  const { answers, errors } = parseAnswers(file, unix);
  if (errors.length) return null;
  const inside = new Set(answers.flatMap((a) => a.lines.map((_, j) => a.begin + 1 + j)));
  return lines.flatMap((l, i) => (inside.has(i + 1) || /^import \{ todo \} from '[^']+';$/.test(l) ? [] : [{ line: i + 1, digest: createHash('sha256').update(l.trimEnd()).digest('hex').slice(0, 12) }]));
}

/** What a handout records of one of its files: the digests of its lines outside the exercises. */
export function outsideRecord(file: string, text: string): string[] {
  return (outsideLines(file, text) ?? []).map((l) => l.digest);
}

/**
 * The files of a student's tree whose lines outside the exercise markers are not the handout's, as
 * `file:line` of the first that differs. The grader takes only what lies between the markers, so
 * code written outside them (a helper, an import) passes here and is not there when graded. A
 * tree without the record (an older handout), or a file whose markers cannot be read, says nothing:
 * the self-check's own report covers broken markers.
 */
export function outsideChanges(dir: string): string[] {
  const at = join(dir, OUTSIDE_FILE);
  if (!existsSync(at)) return [];
  const record = JSON.parse(readFileSync(at, 'utf8')) as Record<string, string[]>;
  const changed: string[] = [];
  for (const [file, digests] of Object.entries(record)) {
    const path = join(dir, file);
    const mine = existsSync(path) ? outsideLines(file, readFileSync(path, 'utf8')) : null;
    if (!mine) continue;
    const i = mine.findIndex((l, k) => l.digest !== digests[k]);
    if (i >= 0) changed.push(`${file}:${mine[i]!.line}`);
    else if (mine.length !== digests.length) changed.push(`${file}:${mine.length ? mine.at(-1)!.line : 1}`);
  }
  return changed;
}

