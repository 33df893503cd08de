/*
 * The student handout, generated for real with every proof it makes (the
 * same run as npm run course:handout), and the rules that keep its --out
 * from ever touching the repository.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { OUTSIDE_FILE, outsideChanges, parseAnswers } from '../../src/course/answers.ts';
import { DEFAULT_OPTIONS } from '../../src/course/grader.ts';
import { copyProofsKey, HANDOUT_MARK, refuseOut, writeHandout } from '../../src/course/handout.ts';
import { parseExercises } from '../../src/markers/markers.ts';
import { root } from './class.ts';

const work = mkdtempSync(join(tmpdir(), 'handout-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('where a handout may go', () => {
  test('never the repository, a folder holding it, or one inside it but under dist/', () => {
    expect(refuseOut(root, root)).toMatch(/is the repository itself$/);
    expect(refuseOut(root, join(root, '.'))).toMatch(/is the repository itself$/);
    expect(refuseOut(root, dirname(root))).toMatch(/holds the repository/);
    expect(refuseOut(root, '/')).toMatch(/holds the repository/);
    expect(refuseOut(root, join(root, 'src'))).toMatch(/is inside the repository/);
    expect(refuseOut(root, join(root, 'handout'))).toMatch(/is inside the repository/);
    expect(refuseOut(root, join(root, 'dist'))).toMatch(/is the build folder itself/);
    expect(refuseOut(root, join(root, 'dist/handout'))).toBeNull();
    // A link to the repository is the repository.
    symlinkSync(root, join(work, 'link'));
    expect(refuseOut(root, join(work, 'link'))).toMatch(/is the repository itself$/);
    expect(refuseOut(root, join(work, 'link/dist/handout'))).toBeNull();
  });

  test('never a file, a link, or a folder with something in it that is not an earlier handout', () => {
    writeFileSync(join(work, 'a-file'), 'x');
    expect(refuseOut(root, join(work, 'a-file'))).toMatch(/is a file$/);
    mkdirSync(join(work, 'full'));
    writeFileSync(join(work, 'full/notes.txt'), 'mine');
    expect(refuseOut(root, join(work, 'full'))).toMatch(/is not empty and holds no earlier handout/);
    symlinkSync(join(work, 'full'), join(work, 'link-to-full'));
    expect(refuseOut(root, join(work, 'link-to-full'))).toMatch(/is a symbolic link$/);
    mkdirSync(join(work, 'earlier'));
    writeFileSync(join(work, 'earlier', HANDOUT_MARK), '');
    writeFileSync(join(work, 'earlier/old.txt'), 'old');
    expect(refuseOut(root, join(work, 'earlier'))).toBeNull();
    expect(refuseOut(root, join(work, 'new'))).toBeNull();
  });

  test('npm run course:handout -- --out . refuses, exits 2, and deletes nothing', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/handout.ts', '--out', '.'], { cwd: root, encoding: 'utf8', env: { ...process.env, INIT_CWD: root } });
    expect([r.status, r.stderr.trim()]).toEqual([2, `course:handout: --out ${root} is the repository itself`]);
    for (const f of ['.git', 'package.json', 'src/hw/walk-32.ts']) expect(existsSync(join(root, f)), f).toBe(true);
  });
});

describe('the instructor README', () => {
  test('lists the exercises, their points and needs, as course/exercises.json does', () => {
    const { exercises } = JSON.parse(readFileSync(join(root, 'course/exercises.json'), 'utf8')) as { exercises: { id: string; points: number; needs?: string[] }[] };
    const rows = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/^\| `(ex\d\d-[a-z0-9-]+)` \| .* \| (\d+) \| (.*) \|$/gm)];
    // A need is named in full, or by its number where that is one exercise's alone.
    const full = (n: string) => exercises.filter((e) => e.id === n || e.id.startsWith(`${n}-`)).map((e) => e.id);
    expect(rows.map((r) => ({ id: r[1], points: Number(r[2]), needs: r[3] === '—' ? [] : r[3]!.split(', ').flatMap(full) }))).toEqual(exercises.map((e) => ({ id: e.id, points: e.points, needs: e.needs ?? [] })));
  });
});

describe('the proofs remembered for a handout', () => {
  test('are keyed by every byte and name of the tree but its prose, and by the grading limits', () => {
    const tree = join(work, 'keyed');
    mkdirSync(join(tree, 'src/hw'), { recursive: true });
    writeFileSync(join(tree, 'src/hw/walk-32.ts'), 'export const a = 1;\n');
    writeFileSync(join(tree, 'package.json'), '{}\n');
    const key = () => copyProofsKey(root, tree, DEFAULT_OPTIONS);
    const first = key();
    expect(key()).toBe(first);
    const keys = new Set([first]);
    const changed = (what: string, change: () => void) => {
      change();
      expect(keys.has(key()), what).toBe(false);
      keys.add(key());
    };
    changed('a byte of a source', () => writeFileSync(join(tree, 'src/hw/walk-32.ts'), 'export const a = 2;\n'));
    changed('a file more', () => writeFileSync(join(tree, 'src/hw/tlb.ts'), ''));
    changed('a file renamed', () => renameSync(join(tree, 'src/hw/tlb.ts'), join(tree, 'src/hw/tlb2.ts')));
    changed('a file in a folder of its own', () => (mkdirSync(join(tree, 'test')), writeFileSync(join(tree, 'test/x.ts'), '')));
    // The prose is left out of the copy the proofs run in (none of them reads it), and out of the key.
    const same = key();
    mkdirSync(join(tree, 'chapters'));
    writeFileSync(join(tree, 'chapters/04-accessed-dirty.md'), '# A chapter\n');
    writeFileSync(join(tree, 'README.md'), '# The course\n');
    expect(key(), 'a chapter and the README').toBe(same);
    changed('a file of the course beside the prose', () => writeFileSync(join(tree, 'chapters.ts'), ''));
    expect(copyProofsKey(root, tree, { ...DEFAULT_OPTIONS, limits: { ...DEFAULT_OPTIONS.limits, cpuMs: 1 } })).not.toBe(key());
  });
});

describe('the handout', () => {
  const out = join(work, 'handout');
  let report: Awaited<ReturnType<typeof writeHandout>>;
  const log: string[] = [];

  test('is written and proved, every proof made', async () => {
    report = await writeHandout(root, out, { log: (l) => log.push(l) });
    expect(report.errors).toEqual([]);
    expect(report.proofs).toEqual([
      'no solution line or near copy of one in the handout',
      expect.stringMatching(/^nor in the sources and docs the student edition of the site shows \(\d+ files\)$/),
      expect.stringMatching(/^graded as it stands: all \d+ tests \(public and hidden\) fail, each at its own exercise's TODO$/),
      expect.stringMatching(/^with the solutions between the markers: (\d+)\/\1$/),
      'in order: each exercise\'s public tests stop at its own TODO with only what it needs done, and pass once it is done',
      expect.stringMatching(/^npm run grade -- \. on the stubs: \d+ public tests, each stopped at a TODO$/),
      expect.stringMatching(/^every example runs to its end or stops at a TODO: 00-first-walk \(TODO\), /),
      'npm run practice works on the stubs (chapter 3\'s seed 11, with its answers)',
      'the handout type-checks',
      expect.stringMatching(/^npm test in the handout: \d+ public tests, each stopped at a TODO$/),
    ]);
    // It says what it is doing as it goes.
    expect(log.length).toBeGreaterThanOrEqual(6);
    // Nothing is given away, and nothing needs owning up to.
    expect(report.acknowledged).toEqual([]);
  });

  test('stands alone: its own package files with only what students need, no link, no hidden test, no solution marker', () => {
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; scripts: Record<string, string> };
    expect(Object.keys(pkg.devDependencies)).toEqual(['@types/node', 'esbuild', 'tsx', 'typescript', 'vitest']);
    expect(pkg.scripts).toMatchObject({ test: 'vitest run', grade: 'tsx scripts/self-check.ts', practice: 'tsx scripts/practice.ts' });
    const lock = JSON.parse(readFileSync(join(out, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    expect(lock.packages['']).toMatchObject({ name: 'lguest-journey-handout', devDependencies: pkg.devDependencies });
    for (const gone of ['typedoc', 'markdown-it', 'playwright-core', 'shiki', '@stryker-mutator/core']) expect(lock.packages[`node_modules/${gone}`], gone).toBeUndefined();
    const files: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(join(out, d))) {
        const rel = d ? `${d}/${n}` : n;
        expect(lstatSync(join(out, rel)).isSymbolicLink(), rel).toBe(false);
        if (lstatSync(join(out, rel)).isDirectory()) walk(rel);
        else files.push(rel);
      }
    };
    walk('');
    expect(files.some((f) => f.includes('.hidden.'))).toBe(false);
    expect(files.some((f) => f.startsWith('node_modules') || f.startsWith('src/literate') || f.startsWith('test/course'))).toBe(false);
    for (const f of files.filter((x) => x.endsWith('.ts'))) {
      const text = readFileSync(join(out, f), 'utf8');
      expect(parseExercises(f, text.split('\n')).blocks, f).toEqual([]);
      // (The marker parser's own comment shows the markers.)
      if (!f.startsWith('src/markers/')) expect(text, f).not.toMatch(/BEGIN SOLUTION|END STUB/);
    }
    // Every exercise has its markers, around its stub.
    const answers = files.filter((f) => f.startsWith('src/')).flatMap((f) => parseAnswers(f, readFileSync(join(out, f), 'utf8')).answers);
    const exercises = (JSON.parse(readFileSync(join(out, 'course/exercises.json'), 'utf8')) as { exercises: { id: string }[] }).exercises;
    expect(new Set(answers.map((a) => a.id))).toEqual(new Set(exercises.map((e) => e.id)));
    expect(answers.every((a) => a.lines.some((l) => /\btodo\(/.test(l)))).toBe(true);
    // The record of what lies outside the markers covers every file with an exercise, and the handout matches it.
    expect(Object.keys(JSON.parse(readFileSync(join(out, OUTSIDE_FILE), 'utf8')) as object).sort()).toEqual([...new Set(answers.map((a) => a.file))].sort());
    expect(outsideChanges(out)).toEqual([]);
  });

  test('tells a student what the course is, the exercises in order with what each needs, and how to test, grade and submit', () => {
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('| 2 | `ex04-walk` | Write the two-level walk, with Accessed and Dirty | chapters/04-accessed-dirty.md | 14 | `ex03-rights` |');
    for (const s of ['npm ci', 'npm test', 'npx vitest run test/exercises/ex03-rights.public.test.ts', 'npm run grade -- .', 'npm run practice -- --seed 7', '## Submitting', 'between the two marker lines']) expect(readme, s).toContain(s);
    // An earlier handout is replaced, not merged into.
    writeFileSync(join(out, 'stale.txt'), 'from before');
    expect(refuseOut(root, out)).toBeNull();
  });
});
