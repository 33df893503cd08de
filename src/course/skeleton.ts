/*
 * The student tree: the project with every exercise's solution replaced by
 * its stub, the hidden tests left out, and a student edition of the site.
 * Every run proves it is fit to hand out (see `generateSkeleton`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { chapterLink, collectTests, gradeTree, loadExercises, prepareTree, type CollectedTest, type Exercise } from './grader.ts';
import { parseExercises, type ExerciseBlock } from '../markers/markers.ts';

// #region X-skeleton
// unwoven: course tooling; the README's course section describes it.

/** What goes into a student tree, from the package root. */
const TREE = ['src', 'test', 'chapters', 'docs', 'examples', 'scripts', 'bench', 'course', 'package.json', 'package-lock.json', 'tsconfig.json', 'vitest.config.ts', 'README.md', '.gitignore'];

/** Every exercise block under src/, or the marker errors as file:line messages. */
export function findBlocks(root: string): { blocks: ExerciseBlock[]; errors: string[] } {
  const blocks: ExerciseBlock[] = [];
  const errors: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const rel = `${dir}/${name}`;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.ts')) {
        const r = parseExercises(rel, readFileSync(join(root, rel), 'utf8').split('\n'));
        blocks.push(...r.blocks);
        errors.push(...r.errors.map((e) => `${e.file}:${e.line}: ${e.message}`));
      }
    }
  };
  walk('src');
  return { blocks, errors };
}

/** Replace the blocks of `only` (every exercise when absent) in the files under `tree`. */
export function stubOut(tree: string, blocks: ExerciseBlock[], exercises: Exercise[], only?: string): void {
  const byFile = new Map<string, ExerciseBlock[]>();
  for (const b of blocks) if (!only || b.id === only) byFile.set(b.file, [...(byFile.get(b.file) ?? []), b]);
  for (const [file, list] of byFile) {
    const lines = readFileSync(join(tree, file), 'utf8').split('\n');
    // From the bottom up, so earlier line numbers stay right.
    for (const b of [...list].sort((x, y) => y.start - x.start)) {
      const e = exercises.find((x) => x.id === b.id)!;
      const note = `${b.indent}// EXERCISE ${b.id} (${e.points} pts): ${e.title}. Read ${e.chapter}#${b.id}`;
      lines.splice(b.start - 1, b.end - b.start + 1, note, ...b.stub);
    }
    if (list.some((b) => b.stub.some((l) => /\btodo\(/.test(l)))) {
      let at = 0;
      lines.forEach((l, i) => { if (/^import .* from '.*';$/.test(l)) at = i + 1; });
      let spec = relative(dirname(join(tree, file)), join(tree, 'src/course/todo.ts'));
      if (!spec.startsWith('.')) spec = `./${spec}`;
      lines.splice(at, 0, `import { todo } from '${spec}';`);
    }
    writeFileSync(join(tree, file), lines.join('\n'));
  }
}

/** Lines of solution text that appear nowhere else in the instructor's sources: if one shows up in the student tree, the solution leaked. */
export function fingerprints(root: string, blocks: ExerciseBlock[]): { id: string; text: string }[] {
  const norm = (l: string) => l.trim().replace(/\s+/g, ' ');
  const solutionLines = new Set(blocks.flatMap((b) => b.solution.map(norm)));
  const elsewhere = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const rel = `${dir}/${name}`;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.ts')) {
        const lines = readFileSync(join(root, rel), 'utf8').split('\n');
        const inSolution = new Set(blocks.filter((b) => b.file === rel).flatMap((b) => Array.from({ length: b.solution.length }, (_, k) => b.start + k)));
        lines.forEach((l, i) => { if (!inSolution.has(i) && solutionLines.has(norm(l))) elsewhere.add(norm(l)); });
      }
    }
  };
  for (const d of ['src', 'test', 'examples', 'scripts', 'bench']) if (existsSync(join(root, d))) walk(d);
  return blocks.flatMap((b) => b.solution.map(norm).filter((t) => t.length >= 8 && !elsewhere.has(t)).map((text) => ({ id: b.id, text })));
}

/** Every fingerprint found in the files under `dir` (HTML read as text: tags dropped, entities decoded). */
export function findLeaks(dir: string, prints: { id: string; text: string }[]): string[] {
  const leaks: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (name === 'node_modules' || name === '.git') continue;
      if (statSync(p).isDirectory()) { walk(p); continue; }
      if (!/\.(ts|md|html|json|js|txt|map|yaml)$/.test(name)) continue;
      let text = readFileSync(p, 'utf8');
      if (name.endsWith('.html')) text = text.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
      // Whole lines: a solution line inside a longer line elsewhere is not a leak of it.
      const lines = new Set(text.split('\n').map((l) => l.trim().replace(/\s+/g, ' ')));
      for (const f of prints) if (lines.has(f.text)) leaks.push(`${relative(dir, p)}: solution text of ${f.id}: ${f.text}`);
    }
  };
  walk(dir);
  return leaks;
}

export interface SkeletonReport {
  out: string;
  proofs: string[];
  errors: string[];
}

/** Builds a site from a tree's chapters (the book's builder, handed in: the course does not import the book). */
export type SiteBuilder = (root: string, out: string) => Promise<{ pages: unknown[]; errors: string[] }>;

export interface SkeletonOptions {
  /** Build the student edition of the site into out/dist/site with this builder. */
  site?: SiteBuilder;
  /** Run the whole test suite on the skeleton (slow; the proof that nothing outside the exercises broke). */
  suite?: boolean;
  log?: (line: string) => void;
}

/**
 * Write the student tree into `out`, and prove, every time:
 * 1. the skeleton type-checks;
 * 2. with only exercise X stubbed, each of X's tests (public and hidden)
 *    fails, and with X's own TODO; with nothing stubbed, every test passes;
 * 3. every test outside the exercises passes on the skeleton, or stops at a
 *    TODO (it uses an exercise the student has yet to write);
 * 4. no line of any solution is left in the student tree or site.
 */
export async function generateSkeleton(root: string, out: string, o: SkeletonOptions = {}): Promise<SkeletonReport> {
  const log = o.log ?? (() => {});
  const report: SkeletonReport = { out, proofs: [], errors: [] };
  const exercises = loadExercises(root);
  const { blocks, errors } = findBlocks(root);
  report.errors.push(...errors);
  for (const b of blocks) if (!exercises.some((e) => e.id === b.id)) report.errors.push(`${b.file}:${b.start}: exercise ${b.id} is not in course/exercises.json`);
  for (const e of exercises) if (!blocks.some((b) => b.id === e.id)) report.errors.push(`course/exercises.json: exercise ${e.id} has no solution block in src/`);
  if (report.errors.length) return report;

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  // Hidden tests stay with the grader; the course's own tests (which grade solutions) with the instructor.
  const instructorOnly = (src: string) => /\.hidden\.test\.ts$/.test(src) || src.startsWith(join(root, 'test/course'));
  for (const entry of TREE) if (existsSync(join(root, entry))) cpSync(join(root, entry), join(out, entry), { recursive: true, filter: (src) => !instructorOnly(src) });
  stubOut(out, blocks, exercises);
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir');
  log(`wrote the student tree: ${exercises.length} exercises, ${blocks.length} stubs`);

  // 1. It compiles.
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const typed = spawnSync(process.execPath, [tsc, '-p', out], { encoding: 'utf8' });
  if (typed.status !== 0) report.errors.push(`the skeleton does not type-check:\n${typed.stdout}${typed.stderr}`);
  else report.proofs.push('the skeleton type-checks');

  // 2. Both ways, exercise by exercise.
  const tests = await collectTests(root);
  const solved = await gradeTree(root, root, tests);
  const wrong = solved.filter((t) => t.status !== 'PASS');
  if (wrong.length) report.errors.push(...wrong.map((t) => `on the solution, ${t.exercise} "${t.name}" is ${t.status}: ${t.message ?? ''}`));
  else report.proofs.push(`all ${tests.length} exercise tests pass on the solution`);
  for (const e of exercises) {
    const mine = tests.filter((t) => t.exercise === e.id);
    if (!mine.some((t) => !t.hidden) || !mine.some((t) => t.hidden)) report.errors.push(`${e.id} needs public and hidden tests`);
    const points = mine.reduce((n, t) => n + t.points, 0);
    if (points !== e.points) report.errors.push(`${e.id}: course/exercises.json says ${e.points} points, its tests carry ${points}`);
    // The grader's own tree (the solution's src/ and the course's tests), with only this exercise stubbed.
    const tree = prepareTree(root, root);
    try {
      stubOut(tree, blocks, exercises, e.id);
      const results = await gradeTree(root, tree, mine);
      const notFailing = results.filter((t) => t.status === 'PASS' || !(t.message ?? '').includes(`TODO ${e.id}`));
      if (notFailing.length) report.errors.push(...notFailing.map((t) => `with only ${e.id} stubbed, "${t.name}" is ${t.status}${t.message ? `: ${t.message}` : ''} (it must fail at ${e.id}'s TODO)`));
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  }
  if (!report.errors.length) report.proofs.push(`each of the ${exercises.length} exercises: its ${tests.length} tests fail at its own TODO when only it is stubbed`);

  // 3. Nothing else broke.
  if (o.suite !== false) {
    const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
    const json = join(out, '.skeleton-suite.json');
    const todoLog = join(out, '.skeleton-todos.jsonl');
    writeFileSync(todoLog, '');
    spawnSync(process.execPath, [vitest, 'run', '--reporter=json', `--outputFile=${json}`, '--exclude', 'test/exercises/**', '--exclude', 'test/fixtures/**', '--exclude', 'node_modules/**'], { cwd: out, encoding: 'utf8', env: { ...process.env, CI: 'true', LGJ_TODO_LOG: todoLog } });
    // Tests during which a Todo was thrown (test/support/todo-setup.ts writes them).
    const reachedTodo = new Set(readFileSync(todoLog, 'utf8').split('\n').filter(Boolean).map((l) => { const t = JSON.parse(l) as { file: string; fullName: string }; return `${t.file}::${t.fullName}`; }));
    rmSync(todoLog);
    if (!existsSync(json)) report.errors.push('the test suite did not run on the skeleton');
    else {
      const r = JSON.parse(readFileSync(json, 'utf8')) as { testResults: { name: string; assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[] };
      rmSync(json);
      let passed = 0, todo = 0;
      for (const file of r.testResults) {
        for (const a of file.assertionResults) {
          if (a.status === 'passed') passed++;
          else if (reachedTodo.has(`${file.name}::${a.fullName}`) || a.failureMessages.some((m) => /TODO ex\d\d-/.test(m))) todo++;
          else if (a.status === 'failed') report.errors.push(`on the skeleton, ${relative(out, file.name)} "${a.fullName}" failed without reaching a TODO: ${(a.failureMessages[0] ?? '').split('\n')[0]}`);
        }
      }
      report.proofs.push(`outside the exercises, ${passed} tests pass on the skeleton and ${todo} stop at a TODO; none fails otherwise`);
    }
  }

  // The student edition of the site: stubs where solutions were.
  if (o.site) {
    const site = await o.site(out, join(out, 'dist/site'));
    if (site.errors.length) report.errors.push(...site.errors.map((e) => `student site: ${e}`));
    else report.proofs.push(`the student edition of the site: ${site.pages.length} pages`);
  }

  // 4. No solution text anywhere.
  const leaks = findLeaks(out, fingerprints(root, blocks));
  if (leaks.length) report.errors.push(...leaks.map((l) => `leak: ${l}`));
  else report.proofs.push(`no solution text in the student tree${o.site ? ' or its site' : ''}`);
  return report;
}

export { chapterLink, type CollectedTest };
// #endregion X-skeleton
