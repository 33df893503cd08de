/*
 * What the grader writes: a report a person reads, Gradescope's
 * results.json, and one CSV row per student. Each comes in views: a student
 * sees everything about the public tests and nothing about the hidden ones
 * but their count and points (no names, no values, no total that would give
 * them away); an instructor sees which hidden tests passed; `full` shows
 * everything, for after the due date.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Exercise } from './course.ts';
import type { Graded, TestOutcome } from './grader.ts';

// #region X-report
// unwoven: course tooling; the README's course section describes the outputs.

export type View = 'student' | 'instructor' | 'full';

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * Where the book explains an exercise: the chapter's file, which the handout
 * carries, and its page and anchor on the site, which the handout does not.
 */
export function chapterLink(e: Exercise): string {
  return `${e.chapter} (on the site: ${e.chapter.replace(/^chapters\//, '').replace(/\.md$/, '.html')}#${e.id})`;
}

/** The lines under a test that did not pass. */
function explain(t: TestOutcome, e: Exercise, view: View): string[] {
  const out: string[] = [];
  const values = !t.hidden || view === 'full';
  if (t.message) out.push(t.message);
  if (values && t.detail) out.push(`error    ${t.detail}`);
  if (values && t.check) out.push(`check    ${t.check}`);
  if (values && t.expected !== undefined) out.push(`expected ${t.expected}`, `actual   ${t.actual}`);
  if (t.where) out.push(`at       ${t.where}`);
  out.push(`read     ${chapterLink(e)}`);
  return out;
}

/** The report a person reads: per exercise, per test, with what went wrong indented beneath. */
export function formatReport(g: Graded, exercises: Exercise[], view: View = 'instructor', extra: string[] = []): string {
  const out = [`lguest-journey grader · submission ${g.student} · node ${process.versions.node}`, ...extra];
  if (g.refused) {
    // Nothing ran: one reason, not the same lines under every test.
    out.push('', `REFUSED: ${g.refused}`, '', 'Nothing was graded; every exercise scores 0 until the upload is fixed:');
    for (const e of exercises) out.push(`  ${e.id}: 0/${sum(g.outcomes.filter((t) => t.exercise === e.id && (view !== 'student' || !t.hidden)).map((t) => t.points))}${view === 'student' ? ' on the public tests' : ''}`);
    out.push('', view === 'student' ? `Public tests: 0/${sum(g.outcomes.filter((t) => !t.hidden).map((t) => t.points))}` : `Score: 0/${g.max}`);
    return out.join('\n') + '\n';
  }
  const counts = { PASS: 0, FAIL: 0, TIMEOUT: 0, ERROR: 0 };
  for (const e of exercises) {
    const tests = g.outcomes.filter((t) => t.exercise === e.id);
    const shown = view === 'student' ? tests.filter((t) => !t.hidden) : tests;
    out.push('', `== ${e.id}: ${e.title} (${e.chapter}) ==`);
    for (const t of shown) {
      counts[t.status]++;
      out.push(`  ${t.status.padEnd(8)} ${`${t.score}/${t.points}`.padStart(4)}  ${t.hidden ? '[hidden] ' : ''}${t.name}`);
      if (t.status !== 'PASS') for (const l of explain(t, e, view)) out.push(`               ${l}`);
    }
    const hidden = tests.filter((t) => t.hidden);
    if (view === 'student' && hidden.length) out.push(`  ${hidden.length} hidden test${hidden.length === 1 ? '' : 's'} (${sum(hidden.map((t) => t.points))} points): graded, results withheld`);
    out.push(`  ${e.id}: ${sum(shown.map((t) => t.score))}/${sum(shown.map((t) => t.points))}${view === 'student' && hidden.length ? ' on the public tests' : ''}`);
  }
  const shown = view === 'student' ? g.outcomes.filter((t) => !t.hidden) : g.outcomes;
  const tally = `${shown.length} tests: ${counts.PASS} passed, ${counts.FAIL} failed, ${counts.TIMEOUT} timed out, ${counts.ERROR} errors`;
  if (view === 'student' && shown.length < g.outcomes.length) {
    out.push('', `Public tests: ${sum(shown.map((t) => t.score))}/${sum(shown.map((t) => t.points))} · ${tally} · hidden tests carry ${g.max - sum(shown.map((t) => t.points))} more points`);
  } else {
    const pct = g.max ? ((100 * g.score) / g.max).toFixed(1) : '0.0';
    out.push('', `Score: ${g.score}/${g.max} (${pct}%) · ${tally}`);
  }
  return out.join('\n') + '\n';
}

/**
 * Gradescope's results.json (gradescope-autograders.readthedocs.io, "Autograder
 * Specifications"). Hidden tests are `after_due_date`, with their status and
 * the grader's message only; the top-level output, which students see at
 * once, sums the public tests alone while any test is hidden.
 */
export function gradescopeResults(g: Graded, exercises: Exercise[], seconds: number, revealHidden = false): object {
  const numbers = new Map<string, number>();
  const hidden = g.outcomes.filter((t) => t.hidden);
  const pub = g.outcomes.filter((t) => !t.hidden);
  const output = g.refused
    ? `Your submission was not graded: ${g.refused}`
    : hidden.length && !revealHidden
      ? `Public tests: ${sum(pub.map((t) => t.score))}/${sum(pub.map((t) => t.points))} points. ${hidden.length} hidden tests (${sum(hidden.map((t) => t.points))} points) are graded too; their results appear after the due date.`
      : `${g.score}/${g.max} points`;
  return {
    score: g.score,
    execution_time: Math.round(seconds),
    output,
    output_format: 'text',
    stdout_visibility: 'hidden',
    tests: g.outcomes.map((t) => {
      const n = (numbers.get(t.exercise) ?? 0) + 1;
      numbers.set(t.exercise, n);
      const e = exercises.find((x) => x.id === t.exercise)!;
      return {
        name: `${t.exercise}: ${t.name}`, number: `${t.exercise.slice(2, 4)}.${n}`, score: t.score, max_score: t.points,
        status: t.status === 'PASS' ? 'passed' : 'failed',
        output: [t.status, ...(t.status === 'PASS' ? [] : explain(t, e, revealHidden ? 'full' : 'instructor'))].join('\n'), output_format: 'text',
        visibility: t.hidden && !revealHidden ? 'after_due_date' : 'visible', tags: [`ch${t.exercise.slice(2, 4)}`, t.exercise],
      };
    }),
  };
}

/** One CSV row per student: a column per exercise, the total, the most there was, and why a submission was refused. */
export function csv(graded: Graded[], exercises: Exercise[]): string {
  // A spreadsheet runs a cell that starts like a formula, and a bare carriage return ends a row:
  // a student's folder name can be either, so such a cell is defused with a quote mark, and quoted.
  const quote = (raw: string) => {
    const s = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = [['student', ...exercises.map((e) => e.id), 'total', 'max', 'note'].join(',')];
  for (const g of graded) {
    const per = exercises.map((e) => String(sum(g.outcomes.filter((t) => t.exercise === e.id).map((t) => t.score))));
    rows.push([quote(g.student), ...per, String(g.score), String(g.max), quote(g.refused ?? '')].join(','));
  }
  return rows.join('\n') + '\n';
}

/**
 * What a batch tells its instructor at the end: how many entries, how many
 * refused (their rows say why), and over those graded the mean and median
 * total, each exercise's mean and how many earned every point, and the tests
 * the most submissions failed (hidden ones by name: this is the instructor's).
 */
export function classSummary(graded: Graded[], exercises: Exercise[], most = 5): string {
  const ok = graded.filter((g) => !g.refused);
  const max = sum(exercises.map((e) => e.points));
  const mean = (xs: number[]) => (xs.length ? sum(xs) / xs.length : 0).toFixed(1);
  const totals = ok.map((g) => g.score).sort((a, b) => a - b);
  const median = totals.length ? (totals.length % 2 ? totals[totals.length >> 1]! : (totals[totals.length / 2 - 1]! + totals[totals.length / 2]!) / 2) : 0;
  const out = [`class: ${graded.length} entries, ${graded.length - ok.length} refused; ${ok.length} graded: mean ${mean(totals)}/${max}, median ${median}, ${totals.filter((t) => t === max).length} with every point`];
  const width = Math.max(...exercises.map((e) => e.id.length));
  for (const e of exercises) {
    const scores = ok.map((g) => sum(g.outcomes.filter((t) => t.exercise === e.id).map((t) => t.score)));
    out.push(`  ${e.id.padEnd(width)}  ${`${mean(scores)}/${e.points}`.padStart(8)}  ${String(scores.filter((x) => x === e.points).length).padStart(3)} with every point`);
  }
  const failed = new Map<string, number>();
  for (const g of ok) {
    for (const t of g.outcomes.filter((x) => x.status !== 'PASS')) {
      const key = `${t.exercise}: ${t.hidden ? '[hidden] ' : ''}${t.name}`;
      failed.set(key, (failed.get(key) ?? 0) + 1);
    }
  }
  const worst = [...failed].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, most);
  if (worst.length) out.push(`tests failed most (of the ${ok.length} graded):`, ...worst.map(([name, n]) => `  ${String(n).padStart(3)}  ${name}`));
  return out.join('\n') + '\n';
}

/** A name as a terminal may show it: with a control character in it (a newline, a carriage return, an escape), quoted and escaped, so that it cannot move the cursor or paint a score. */
export const shownName = (name: string): string => (/[\x00-\x1f\x7f-\x9f]/.test(name) ? JSON.stringify(name) : name);

/** A student's folder name as a plain file name, short enough for any disk with `.results.json` and a `-N` after it. */
const plainName = (student: string) => student.replace(/[^\w.@-]/g, '_').replace(/^\.+/, '_').slice(0, 100);

/**
 * A feedback file name for each student, in the order given: the plain
 * name, with -2, -3, … where an earlier student took it (two names that
 * differ only in characters a file name cannot keep, or, for a
 * case-insensitive disk, in case), so that no report overwrites another.
 */
export function feedbackNames(students: string[]): Map<string, string> {
  const taken = new Set<string>();
  const names = new Map<string, string>();
  for (const s of students) {
    const base = plainName(s);
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}-${n}`;
    taken.add(name.toLowerCase());
    names.set(s, name);
  }
  return names;
}

/** The files for one graded submission in `dir`: the student's report and their results.json, as `name` (see feedbackNames). */
export function writeFeedback(dir: string, g: Graded, exercises: Exercise[], seconds: number, revealHidden = false, name = plainName(g.student)): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.txt`), formatReport(g, exercises, revealHidden ? 'full' : 'student'));
  writeFileSync(join(dir, `${name}.results.json`), JSON.stringify(gradescopeResults(g, exercises, seconds, revealHidden), null, 2) + '\n');
}
// #endregion X-report
