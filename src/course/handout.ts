/*
 * The student handout: a tree that stands on its own. Its own package.json
 * and lockfile (the five packages a student needs, pruned from ours), the
 * sources its tests, examples and commands reach, with every exercise's
 * solution replaced by its stub between EXERCISE markers, the public tests,
 * the chapters, practice problems drawn in advance (its MMU is full of
 * stubs), and a README for students. No link into the instructor's tree.
 *
 * Every run proves, before it says the handout is fit to hand out:
 * 1. it type-checks;
 * 2. graded as it stands, every test of every exercise fails at that
 *    exercise's own TODO (every other exercise's solution in place), and
 *    with the solutions between the markers it scores every point;
 * 3. in order: with the exercises an exercise needs done and the rest
 *    stubbed, its public tests fail at its own TODO, and pass once it is
 *    done, so a student working in order is never stopped by a later one;
 * 4. the student's commands work on the stubs: the public tests under
 *    vitest stop at TODOs, the self-check grades, every example runs or
 *    stops at a TODO, practice problems come out;
 * 5. no solution line, or a near copy of one, stands anywhere in it (or
 *    its site), but those course/known-leaks.json owns up to.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build } from 'esbuild';
import { writeJsonWhole, writeWhole } from '../files/write-whole.ts';
import { handoutText, OUTSIDE_FILE, outsideRecord, stubLines } from './answers.ts';
import { readCourse, TODO_MODULE, type Course, type Exercise } from './course.ts';
import { DEFAULT_OPTIONS, Grader, selfCheck, type GradeOptions } from './grader.ts';
import { fingerprints, findLeaks, findLeaksIn, textFiles, type Leak } from './leaks.ts';
import { BANK_FILE, BANK_SEEDS, makeBank } from './practice.ts';

// #region X-handout
// unwoven: course tooling; the README's course section describes it.

/** The packages a student needs: to run tests (vitest), code (tsx), the self-check (esbuild), and to type-check. */
const STUDENT_PACKAGES = ['@types/node', 'esbuild', 'tsx', 'typescript', 'vitest'];
/** What the student's commands start from; the sources they reach come with them. */
const ENTRY_GLOBS = { tests: 'test/exercises', examples: 'examples', scripts: ['scripts/self-check.ts', 'scripts/practice.ts'] };
/** Files the code reads at run time, and the sandbox's boot code (compiled, not imported). */
const DATA = ['test/fixtures/traces', 'src/course/sandbox-child.ts', 'src/course/todo.ts'];
/** The file that says a folder is a handout, and may be replaced by the next one. */
export const HANDOUT_MARK = '.lguest-journey-handout';

export interface HandoutReport {
  out: string;
  proofs: string[];
  /** Leaks course/known-leaks.json owns up to: printed, not failures. */
  acknowledged: string[];
  errors: string[];
}

/** Builds a site from a tree (the book's builder, handed in: the course does not import the book). */
export type SiteBuilder = (root: string, out: string) => Promise<{ pages: unknown[]; errors: string[] }>;

export interface HandoutOptions {
  log?: (line: string) => void;
  /** Build the student edition of the site into out/site with this builder (slow: half a minute on 2 cores). */
  site?: SiteBuilder;
  grading?: GradeOptions;
}

/**
 * Why `out` may not be written, or null when it may. Never the repository,
 * a folder inside it (but dist/, which git ignores), one of its parents, or
 * a folder with something in it that is not an earlier handout: `--out .`
 * once deleted a repository, .git and all.
 */
export function refuseOut(root: string, out: string): string | null {
  const real = (p: string): string => {
    // The real path of p, or of its deepest existing parent with the rest appended.
    let at = resolve(p);
    const rest: string[] = [];
    while (!existsSync(at)) {
      rest.unshift(at.slice(dirname(at).length + 1));
      at = dirname(at);
    }
    return join(realpathSync(at), ...rest);
  };
  const r = real(root);
  const o = real(out);
  const inside = (a: string, b: string) => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
  if (o === r) return `--out ${out} is the repository itself`;
  if (inside(r, o)) return `--out ${out} holds the repository (${r}): writing it would delete the repository`;
  if (inside(o, r) && !inside(o, join(r, 'dist')) ) return `--out ${out} is inside the repository; write the handout outside it, or under dist/`;
  if (inside(o, r) && o === join(r, 'dist')) return '--out dist is the build folder itself; name a folder under it, like dist/handout';
  if (existsSync(out)) {
    const st = lstatSync(out);
    if (st.isSymbolicLink()) return `--out ${out} is a symbolic link`;
    if (!st.isDirectory()) return `--out ${out} is a file`;
    if (readdirSync(out).length && !existsSync(join(out, HANDOUT_MARK))) return `--out ${out} is not empty and holds no earlier handout (${HANDOUT_MARK}); name a new or empty folder`;
  }
  return null;
}

/** The source files the handout's entry points reach (esbuild follows the imports), relative to root. */
async function closure(root: string, entries: string[]): Promise<string[]> {
  const r = await build({ absWorkingDir: root, entryPoints: entries, bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent', outdir: join(root, '.handout-closure') });
  return Object.keys(r.metafile.inputs).filter((f) => !f.startsWith('node_modules/')).sort();
}

interface LockPackage {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [k: string]: unknown;
}

/** Our lockfile, pruned to `names` and what they need, as npm would lay it out. */
export function pruneLock(lock: { packages: Record<string, LockPackage> } & Record<string, unknown>, names: string[], root: Record<string, unknown>): object {
  const keep = new Set<string>();
  const find = (from: string, name: string): string | undefined => {
    // Node's resolution, in lockfile paths: the nearest node_modules up the tree.
    for (let at = from; ; at = at.slice(0, Math.max(0, at.lastIndexOf('/node_modules/')))) {
      const p = at ? `${at}/node_modules/${name}` : `node_modules/${name}`;
      if (lock.packages[p]) return p;
      if (!at) return undefined;
    }
  };
  const visit = (path: string) => {
    if (keep.has(path)) return;
    keep.add(path);
    const p = lock.packages[path]!;
    const optionalPeer = (n: string) => p.peerDependenciesMeta?.[n]?.optional === true;
    const deps = [...Object.keys(p.dependencies ?? {}), ...Object.keys(p.optionalDependencies ?? {}), ...Object.keys(p.peerDependencies ?? {}).filter((n) => !optionalPeer(n))];
    for (const d of deps) {
      const at = find(path, d);
      if (at) visit(at);
      else if (!(d in (p.optionalDependencies ?? {}))) throw new Error(`package-lock.json: ${path} needs ${d}, which the lockfile does not have`);
    }
  };
  for (const n of names) {
    if (!lock.packages[`node_modules/${n}`]) throw new Error(`package-lock.json has no ${n}`);
    visit(`node_modules/${n}`);
  }
  const packages: Record<string, unknown> = { '': root };
  for (const k of Object.keys(lock.packages).filter((x) => keep.has(x)).sort()) packages[k] = lock.packages[k];
  return { name: root['name'], version: root['version'], lockfileVersion: lock['lockfileVersion'], requires: true, packages };
}

/** The student README: what the course is, the exercises in order, how to test, grade and submit. */
function studentReadme(exercises: Exercise[], acknowledged: string[]): string {
  const rows = exercises.map((e, i) => `| ${i + 1} | \`${e.id}\` | ${e.title} | ${e.chapter} | ${e.points} | ${(e.needs ?? []).map((n) => `\`${n}\``).join(', ') || '—'} |`);
  const total = exercises.reduce((n, e) => n + e.points, 0);
  return `# lguest-journey: the course

You build an x86 MMU and the shadow page tables of lguest, the small Linux
hypervisor whose source was written to be read as a journey. The book is in
\`chapters/\` (your instructor publishes it as a site); the code it explains is in
\`src/\`: \`src/hw\` is the processor's paging, \`src/host\` the hypervisor, \`src/guest\`
a Guest kernel that runs on both.

Some of that code is missing: ${exercises.length} **exercises**, each marked in its file.
Some are a line or two:

\`\`\`ts
  // EXERCISE ex03-rights (6 pts): Decide whether an access is allowed. Read chapters/03-rights.md#ex03-rights
  return todo('ex03-rights', 'allowed when the rights hold every bit of p.need and none of p.forbid');
  // END EXERCISE ex03-rights
\`\`\`

and some are whole functions (the walks, \`demandPage\`, releasing a shadow
directory), whose markers stand inside the function's braces. A few lines before
a \`todo(…)\` are given: where an entry sits, say, which the chapters explain; keep
them or write your own. An exercise may have parts in several places (the PAE walk
is three functions): each part has its own pair of markers with the same name.

Write your answer **between the two marker lines**, in place of the \`todo(…)\`, and
leave the marker lines as they are. The grader takes only what stands between them
and puts it into the course's own copy of the file: anything you change outside the
markers is not graded (and is not needed). If your answer needs a helper, write it
inside the markers. \`npm run grade -- .\` warns you, file and line, when something
outside the markers differs from this handout.

## Setup

Node.js 20 or later, then, in this folder:

\`\`\`sh
npm ci          # the five packages this folder needs (vitest, tsx, esbuild, typescript, @types/node)
npm test        # every exercise's public tests: they stop at the TODOs until you write the answers
\`\`\`

## The exercises, in order

Do them in this order. "Needs" lists the earlier exercises whose code an
exercise's public tests also run: until those are done, its tests stop at their
TODOs, never at a later exercise's.

| # | exercise | what to write | chapter | points | needs |
|---|---|---|---|---|---|
${rows.join('\n')}

${total} points in all. Each exercise's tests are \`test/exercises/<exercise>.public.test.ts\`;
the course also grades with hidden tests that you do not have, so make your answer
right, not just right for the public tests.

## Working on one exercise

\`\`\`sh
npx vitest run test/exercises/${exercises[0]!.id}.public.test.ts   # one exercise's public tests
npm run typecheck                                        # the whole tree type-checks
npm run grade -- .                                       # a self-check: every exercise's public tests, scored
\`\`\`

A failing test says which check failed, with the value it expected and the value
your code gave, in hex with the flags named (\`0x00300067 P|RW|US|A|D\`), and
where: the line of your answer, or the place in the course's code your answer
called.

## Practice

\`npm run practice -- --seed 7 --mode 32bit\` prints a paging problem (modes
\`32bit\`, \`pse\`, \`pae\`); add \`--reveal\` for the answers, \`--explain\` for each
walk, or \`--check answers.txt\` to mark yours. This folder carries the problems for
seeds 0 to ${BANK_SEEDS - 1} and every seed a chapter names, drawn by the finished MMU.

## Submitting

Submit your \`src/\` folder (zip it, or this whole folder without \`node_modules\`):
the grader finds \`src/\` wherever it is in the upload. It refuses symbolic links
and anything that is not a plain file or folder. Each exercise is graded with the
course's own solutions to all the others, so a mistake costs points only in the
exercise where it is.
${acknowledged.length ? `\n## Known issues\n\nSome code outside the exercises is close to an exercise's answer (the course will replace these exercises): ${[...new Set(acknowledged.map((a) => a.split(':')[0]))].join(', ')}.\n` : ''}`;
}

/** Run `argv` (a Node script and its arguments) in `cwd`; resolve with its exit code and output. */
function node(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => res({ code, out }));
  });
}

/**
 * What the copy of the handout leaves out: the chapters and the student
 * README, prose that no command of the handout reads. A change to the prose
 * alone is not a reason to prove the code again, and a proof that came to
 * read them would fail in the copy, not pass on stale prose.
 */
const PROSE = new Set(['chapters', 'README.md']);

/**
 * What the proofs made in a copy of the handout (the type-check, npm test, the
 * self-check, the examples, practice) depend on: every file of the copy (the
 * tree but its prose, PROSE), our lockfile (the packages linked in), Node, the
 * grading limits, and the course code that runs and reads them (src/course:
 * this file and the grader the self-check runs here). Nothing else goes in,
 * nothing random comes out.
 */
export function copyProofsKey(root: string, out: string, grading: GradeOptions): string {
  const h = createHash('sha256').update(`${process.version}\0${JSON.stringify(grading)}\0`);
  const file = (base: string, rel: string) => h.update(`${rel}\0`).update(readFileSync(join(base, rel))).update('\0');
  file(root, 'package-lock.json');
  for (const f of readdirSync(join(root, 'src/course')).sort()) file(root, `src/course/${f}`);
  const walk = (d: string) => {
    for (const n of readdirSync(join(out, d)).sort()) {
      const rel = d ? `${d}/${n}` : n;
      if (PROSE.has(rel)) continue;
      if (lstatSync(join(out, rel)).isDirectory()) walk(rel);
      else file(out, rel);
    }
  };
  walk('');
  return h.digest('hex');
}

const PROOFS_DIR = '.cache/handout-proofs';

/** The copy's proofs, as made for the tree with this key, if every proof held then (never with LGJ_NO_CACHE=1). */
function rememberedProofs(root: string, key: string): string[] | null {
  const file = join(root, PROOFS_DIR, `${key}.json`);
  if (process.env['LGJ_NO_CACHE'] === '1' || !existsSync(file)) return null;
  return (JSON.parse(readFileSync(file, 'utf8')) as { proofs: string[] }).proofs;
}

/** Remember the copy's proofs for this key, alone: an older tree's are removed. */
function rememberProofs(root: string, key: string, proofs: string[]): void {
  const dir = join(root, PROOFS_DIR);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f !== `${key}.json`) rmSync(join(dir, f), { force: true });
  // Whole or not at all: another handout may be reading it.
  writeJsonWhole(join(dir, `${key}.json`), { proofs });
}

/**
 * Write the handout into `out` (refused as `refuseOut` says) and prove it.
 * The returned report lists the proofs made and any failure.
 */
export async function writeHandout(root: string, out: string, o: HandoutOptions = {}): Promise<HandoutReport> {
  const log = o.log ?? (() => {});
  const report: HandoutReport = { out, proofs: [], acknowledged: [], errors: [] };
  const refusal = refuseOut(root, out);
  if (refusal) {
    report.errors.push(refusal);
    return report;
  }
  const course = readCourse(root);
  const { exercises, blocks } = course;

  // The tree.
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, HANDOUT_MARK), 'A student handout of lguest-journey (npm run course:handout). The next handout may replace this folder.\n');
  const publicTests = exercises.map((e) => `${ENTRY_GLOBS.tests}/${e.id}.public.test.ts`);
  const examples = readdirSync(join(root, ENTRY_GLOBS.examples)).filter((f) => f.endsWith('.ts')).map((f) => `${ENTRY_GLOBS.examples}/${f}`);
  const files = await closure(root, [...publicTests, ...examples, ...ENTRY_GLOBS.scripts]);
  for (const f of [...files, ...DATA]) {
    mkdirSync(dirname(join(out, f)), { recursive: true });
    cpSync(join(root, f), join(out, f), { recursive: true });
  }
  // What each exercise file holds outside its markers, so that the self-check can tell a student who
  // wrote code there that the grader will not see it.
  const outside: Record<string, string[]> = {};
  for (const [file, text] of course.sources) {
    if (!files.includes(file)) report.errors.push(`${file} holds an exercise but no test or example reaches it`);
    else {
      const handed = handoutText(file, text, blocks, exercises, TODO_MODULE);
      writeFileSync(join(out, file), handed);
      outside[file] = outsideRecord(file, handed);
    }
  }
  cpSync(join(root, 'chapters'), join(out, 'chapters'), { recursive: true });
  mkdirSync(join(out, 'course'), { recursive: true });
  writeFileSync(join(out, 'course/exercises.json'), readFileSync(join(root, 'course/exercises.json')));
  writeFileSync(join(out, OUTSIDE_FILE), JSON.stringify(outside) + '\n');
  log(`wrote ${files.length} source and test files, ${exercises.length} exercises stubbed`);

  // Practice, drawn now by the finished MMU, for the seeds the chapters name too.
  const named = new Set<number>();
  for (const f of readdirSync(join(root, 'chapters'))) for (const m of readFileSync(join(root, 'chapters', f), 'utf8').matchAll(/--seed (\d+)|seeds? (\d+(?:, \d+)*)/g)) for (const n of (m[1] ?? m[2]!).split(', ')) named.add(Number(n));
  writeFileSync(join(out, BANK_FILE), JSON.stringify(makeBank([...named])));
  log(`drew the practice problems (seeds 0–${BANK_SEEDS - 1} and ${[...named].sort((a, b) => a - b).join(', ')})`);

  // Its own package files.
  const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; license: string; engines: Record<string, string>; devDependencies: Record<string, string> };
  const pkg = {
    name: 'lguest-journey-handout', version: ours.version, private: true, type: 'module', license: ours.license, engines: ours.engines,
    scripts: { test: 'vitest run', typecheck: 'tsc -p .', grade: 'tsx scripts/self-check.ts', practice: 'tsx scripts/practice.ts' },
    devDependencies: Object.fromEntries(STUDENT_PACKAGES.map((n) => [n, ours.devDependencies[n]!])),
  };
  writeFileSync(join(out, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  writeFileSync(join(out, 'package-lock.json'), JSON.stringify(pruneLock(lock, STUDENT_PACKAGES, { name: pkg.name, version: pkg.version, license: pkg.license, devDependencies: pkg.devDependencies, engines: pkg.engines }), null, 2) + '\n');
  writeFileSync(join(out, 'tsconfig.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')), include: ['src', 'test', 'examples', 'scripts'] }, null, 2) + '\n');
  writeFileSync(join(out, 'vitest.config.ts'), `import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/fixtures/**', 'node_modules/**'],
    // Whole messages: a check's expected and actual values stay readable.
    chaiConfig: { truncateThreshold: 0 },
    // The tests share nothing, and a laptop runs them faster in one process.
    pool: 'threads',
    isolate: false,
  },
});
`);
  writeFileSync(join(out, '.gitignore'), 'node_modules/\n');
  log('wrote package.json and package-lock.json (' + STUDENT_PACKAGES.join(', ') + ')');

  // 5 first (it also fills the README's known issues): no answer given away.
  const leaks = findLeaks(out, fingerprints(blocks));
  const known = existsSync(join(root, 'course/known-leaks.json')) ? (JSON.parse(readFileSync(join(root, 'course/known-leaks.json'), 'utf8')) as { leaks: Record<string, string[]> }).leaks : {};
  const owned = (l: Leak) => (known[l.id] ?? []).includes(l.file);
  for (const l of leaks) (owned(l) ? report.acknowledged : report.errors).push(`${l.file}:${l.line}: ${owned(l) ? '' : 'leak: '}${l.found} (${l.id}'s answer: ${l.solution})`);
  for (const [id, list] of Object.entries(known)) for (const f of list) if (!leaks.some((l) => l.id === id && l.file === f)) report.errors.push(`course/known-leaks.json owns up to ${id} in ${f}, which no longer gives it away: take it off the list`);
  writeFileSync(join(out, 'README.md'), studentReadme(exercises, report.acknowledged));
  if (!leaks.some((l) => !owned(l))) report.proofs.push(`no solution line or near copy of one in the handout${report.acknowledged.length ? `, but ${report.acknowledged.length} course/known-leaks.json owns up to` : ''}`);
  // The student edition of the site shows every source of the tree, stubbed, and the docs: none may give an answer away either.
  const siteSources = ['src', 'docs'].filter((d) => existsSync(join(root, d))).flatMap((d) => [...textFiles(root, d)]).map((t) => (course.sources.has(t.file) ? { file: t.file, text: handoutText(t.file, t.text, blocks, exercises, TODO_MODULE) } : t));
  const siteLeaks = findLeaksIn(siteSources, fingerprints(blocks)).filter((l) => !owned(l) && !leaks.some((h) => h.file === l.file && h.line === l.line));
  for (const l of siteLeaks) report.errors.push(`${l.file}:${l.line}: leak (shown in the student edition of the site): ${l.found} (${l.id}'s answer: ${l.solution})`);
  if (!siteLeaks.length) report.proofs.push(`nor in the sources and docs the student edition of the site shows (${siteSources.length} files)`);
  const links: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(join(out, d))) {
      const st = lstatSync(join(out, d, n));
      if (st.isSymbolicLink()) links.push(join(d, n));
      else if (st.isDirectory()) walk(join(d, n));
    }
  };
  walk('.');
  if (links.length) report.errors.push(`the handout holds links: ${links.join(', ')}`);

  // The proofs run in a copy, with our node_modules linked in; the handout itself never links out.
  // Those made in the copy are remembered for the exact copy (copyProofsKey): a copy proved before,
  // byte for byte, with the same packages, Node, limits and proof code, is not proved again. The
  // copy leaves out the prose (PROSE), which none of them reads: a change to a chapter alone proves nothing again.
  const grading = o.grading ?? DEFAULT_OPTIONS;
  const key = copyProofsKey(root, out, grading);
  const remembered = rememberedProofs(root, key);
  const proof = remembered ? null : mkdtempSync(join(tmpdir(), 'handout-proof-'));

  /** Start the copy's proofs: 1 and 4 (vitest) in the background, while the grader works; the rest (4) when `finish` is called. */
  const startCopyProofs = (proof: string) => {
    cpSync(out, proof, { recursive: true, filter: (from) => !PROSE.has(relative(out, from)) });
    symlinkSync(join(root, 'node_modules'), join(proof, 'node_modules'), 'dir');
    const req = createRequire(join(root, 'package.json'));

    // 1 and 4 (vitest) in the background, while the grader works.
    log('proving: type-check and the public tests under vitest, in a copy');
    // The type-check remembers what it checked, as npm test's does (.cache/handout.tsbuildinfo, kept
    // between runs; paths in it are relative, and the copy is always at the same depth in tmpdir):
    // the same errors as a full check, found rechecking only what changed since the last handout.
    const checked = join(root, '.cache/handout.tsbuildinfo');
    if (existsSync(checked)) cpSync(checked, join(proof, '.tsbuildinfo'));
    const typed = node([req.resolve('typescript/bin/tsc'), '-p', '.', '--incremental', '--tsBuildInfoFile', '.tsbuildinfo'], proof).then((r) => {
      if (existsSync(join(proof, '.tsbuildinfo'))) {
        // Whole or not at all: another proof may be reading it.
        writeWhole(checked, readFileSync(join(proof, '.tsbuildinfo')));
      }
      return r;
    });
    const vitestJson = join(proof, '.vitest.json');
    const vitest = node([join(dirname(req.resolve('vitest/package.json')), 'vitest.mjs'), 'run', '--reporter=json', `--outputFile=${vitestJson}`], proof);
    const finish = async () => {
      log('proving: the self-check, the examples and practice, in the copy');
      const self = await selfCheck(proof, grading);
      const selfWrong = self.outcomes.filter((t) => t.status !== 'FAIL' || !/todo\(\)/.test(t.message ?? ''));
      if (selfWrong.length || self.outcomes.length !== publicTests.reduce((n, f) => n + (readFileSync(join(root, f), 'utf8').match(/^t\(/gm) ?? []).length, 0)) report.errors.push(`the self-check (npm run grade -- .) on the stubs: ${selfWrong.map((t) => `${t.exercise} "${t.name}" is ${t.status}: ${t.message}`).join('; ') || `${self.outcomes.length} tests`}`);
      else report.proofs.push(`npm run grade -- . on the stubs: ${self.outcomes.length} public tests, each stopped at a TODO`);
      // The examples and the practice command, bundled beside their sources (they find their data from there) and run by Node.
      const bundled = await build({ absWorkingDir: proof, entryPoints: [...examples, 'scripts/practice.ts'], bundle: true, write: false, platform: 'node', format: 'esm', outdir: proof, outbase: proof, packages: 'external', logLevel: 'silent' });
      for (const f of bundled.outputFiles) {
        mkdirSync(dirname(f.path), { recursive: true });
        writeFileSync(f.path.replace(/\.js$/, '.mjs'), f.text);
      }
      const runner = join(proof, 'run-examples.mjs');
      writeFileSync(runner, `const out = [];
for (const f of ${JSON.stringify(examples.map((e) => e.replace(/\.ts$/, '.mjs')))}) {
  try { await import('./' + f); out.push({ f, ok: true }); }
  catch (e) { out.push({ f, ok: e?.name === 'Todo', todo: e?.name === 'Todo', error: String(e?.stack ?? e).split('\\n')[0] }); }
}
process.stderr.write('\\n@@' + JSON.stringify(out) + '\\n');
`);
      const ran = await node([runner], proof);
      const results = JSON.parse(/@@(.*)$/m.exec(ran.out)?.[1] ?? '[]') as { f: string; ok: boolean; todo?: boolean; error?: string }[];
      for (const r of results.filter((x) => !x.ok)) report.errors.push(`${r.f.replace(/\.mjs$/, '.ts')} fails on the stubs other than at a TODO: ${r.error}`);
      if (results.length === examples.length && results.every((r) => r.ok)) report.proofs.push(`every example runs to its end or stops at a TODO: ${results.map((r) => `${r.f.replace(/^examples\/|\.mjs$/g, '')}${r.todo ? ' (TODO)' : ''}`).join(', ')}`);
      else if (results.length !== examples.length) report.errors.push(`the examples did not all run: ${ran.out.slice(-300)}`);
      const practice = await node([join(proof, 'scripts/practice.mjs'), '--seed', '11', '--mode', '32bit', '--reveal'], proof);
      if (practice.code !== 0 || !/Answers:\n {2}1: /.test(practice.out)) report.errors.push(`npm run practice -- --seed 11 --mode 32bit --reveal fails in the handout: ${practice.out.slice(0, 300)}`);
      else report.proofs.push('npm run practice works on the stubs (chapter 3\'s seed 11, with its answers)');

      const t = await typed;
      if (t.code !== 0) report.errors.push(`the handout does not type-check:\n${t.out}`);
      else report.proofs.push('the handout type-checks');
      await vitest;
      if (!existsSync(vitestJson)) report.errors.push('npm test did not run in the handout');
      else {
        const r = JSON.parse(readFileSync(vitestJson, 'utf8')) as { testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[] };
        const all = r.testResults.flatMap((f) => f.assertionResults);
        const bad = all.filter((a) => a.status !== 'failed' || !a.failureMessages.some((m) => /TODO ex\d\d-/.test(m)));
        if (bad.length || !all.length) report.errors.push(`npm test in the handout: ${bad.map((a) => `"${a.fullName}" ${a.status}`).join(', ') || 'no tests ran'} (each must stop at a TODO)`);
        else report.proofs.push(`npm test in the handout: ${all.length} public tests, each stopped at a TODO`);
      }
    };
    return { finish };
  };

  try {
    const copy = proof ? startCopyProofs(proof) : null;

    // 2. Graded as it stands, and with the solutions in.
    log('proving: grading the handout as it stands, and with the solutions in');
    const grader = await Grader.open(root, grading);
    const read = (dir: string) => new Map([...course.sources.keys()].map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const));
    const stubbed = await grader.gradeAnswers('handout', read(out));
    const wrong = stubbed.outcomes.filter((t) => t.status !== 'FAIL' || t.message !== 'your answer still calls todo()');
    for (const t of wrong) report.errors.push(`graded as it stands, ${t.exercise} "${t.name}" is ${t.status}: ${t.message ?? ''} (it must fail at its own TODO)`);
    if (!wrong.length) report.proofs.push(`graded as it stands: all ${stubbed.outcomes.length} tests (public and hidden) fail, each at its own exercise's TODO`);
    const solved = new Map([...course.sources].map(([f, text]) => [f, handoutText(f, text, blocks, exercises, TODO_MODULE, (b) => b.solution)]));
    const full = await grader.gradeAnswers('solution', solved);
    if (full.score !== full.max) report.errors.push(`with the solutions between the markers it scores ${full.score}/${full.max}`);
    else report.proofs.push(`with the solutions between the markers: ${full.score}/${full.max}`);

    // 3. In order.
    log('proving: each exercise, in order, with what it needs done');
    let inOrder = true;
    const runs = await Promise.all(exercises.map(async (e) => {
      const needs = new Set(e.needs ?? []);
      const [before, after] = await Promise.all([grader.withSolved(e.id, needs), grader.withSolved(e.id, new Set([...needs, e.id]))]);
      return { e, needs, before: before.filter((t) => !t.hidden), after: after.filter((t) => !t.hidden) };
    }));
    for (const { e, needs, before, after } of runs) {
      for (const t of before.filter((x) => x.status !== 'FAIL' || x.message !== 'your answer still calls todo()')) {
        inOrder = false;
        report.errors.push(`with ${[...needs].join(', ') || 'nothing'} done, ${e.id}'s public test "${t.name}" is ${t.status}: ${t.message} (it must stop at ${e.id}'s own TODO; add what it needs to "needs" in course/exercises.json)`);
      }
      for (const t of after.filter((x) => x.status !== 'PASS')) {
        inOrder = false;
        report.errors.push(`with ${[...needs, e.id].join(', ')} done, ${e.id}'s public test "${t.name}" is ${t.status}: ${t.message}`);
      }
    }
    if (inOrder) report.proofs.push(`in order: each exercise's public tests stop at its own TODO with only what it needs done, and pass once it is done`);

    // 4. The student's commands.
    const from = report.proofs.length;
    if (copy) {
      await copy.finish();
      if (!report.errors.length) rememberProofs(root, key, report.proofs.slice(from));
    } else {
      log('the type-check, npm test, the self-check, the examples and practice held for this very tree before: not proved again (.cache/handout-proofs)');
      report.proofs.push(...remembered!);
    }
  } finally {
    if (proof) rmSync(proof, { recursive: true, force: true });
  }

  // The student edition of the site, from a full copy of the tree with the stubs in.
  if (o.site) {
    log('building the student edition of the site (this takes a while)');
    const tree = mkdtempSync(join(tmpdir(), 'handout-site-'));
    try {
      // All of test/: the chapters' claims name the tests that check them, and the site links each to its source.
      // The handout itself keeps only the public tests; the leak check below reads every page these tests add.
      for (const d of ['src', 'chapters', 'docs', 'examples', 'course', 'package.json', 'tsconfig.json', 'test']) if (existsSync(join(root, d))) cpSync(join(root, d), join(tree, d), { recursive: true, filter: (s) => !s.includes('.hidden.') });
      for (const [file, text] of course.sources) writeFileSync(join(tree, file), handoutText(file, text, blocks, exercises, TODO_MODULE));
      symlinkSync(join(root, 'node_modules'), join(tree, 'node_modules'), 'dir');
      const site = await o.site(tree, join(out, 'site'));
      if (site.errors.length) report.errors.push(...site.errors.map((e) => `student site: ${e}`));
      else {
        const siteLeaks = findLeaks(join(out, 'site'), fingerprints(blocks)).filter((l) => !(known[l.id] ?? []).some((f) => l.file.includes(f)));
        if (siteLeaks.length) report.errors.push(...siteLeaks.map((l) => `site/${l.file}:${l.line}: leak: ${l.found}`));
        else report.proofs.push(`the student edition of the site: ${site.pages.length} pages, no answer in them`);
      }
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  }
  return report;
}

export { stubLines, type Course };
// #endregion X-handout
