/*
 * The Gradescope autograder, built, unzipped and run as Gradescope runs it:
 * run_autograder against a submission laid out as /autograder/submission
 * (here a temporary folder, named by the LGJ_* variables; node_modules is
 * linked to ours where Gradescope's image would have run setup.sh's npm ci).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readCourse } from '../../src/course/course.ts';
import { buildAutograder } from '../../src/course/gradescope.ts';
import { unzip } from '../../src/course/zip.ts';
import { cheats, root, writeSubmission } from './class.ts';

const work = mkdtempSync(join(tmpdir(), 'gradescope-'));
const source = join(work, 'source');
const marker = join(work, 'grandchild-ran');
afterAll(() => rmSync(work, { recursive: true, force: true }));

let files: string[] = [];
beforeAll(async () => {
  const built = await buildAutograder(root);
  for (const e of unzip(built.archive)) {
    mkdirSync(dirname(join(source, e.name)), { recursive: true });
    writeFileSync(join(source, e.name), e.data, { mode: e.mode });
  }
  files = built.files;
  symlinkSync(join(root, 'node_modules'), join(source, 'node_modules'), 'dir');
});

function runAutograder(submission: string, results: string) {
  const r = spawnSync('bash', [join(source, 'run_autograder')], { encoding: 'utf8', env: { ...process.env, LGJ_SOURCE: source, LGJ_SUBMISSION: submission, LGJ_RESULTS: results } });
  return { ...r, json: existsSync(results) ? (JSON.parse(readFileSync(results, 'utf8')) as { score: number; output: string; stdout_visibility: string; tests: { name: string; score: number; max_score: number; status: string; output: string; visibility: string }[] }) : null };
}

describe('the Gradescope autograder', () => {
  test('is one zip with setup.sh and run_autograder at its root, executable, the hidden tests, and its own package files', () => {
    expect(files.slice(0, 4)).toEqual(['setup.sh', 'run_autograder', 'package.json', 'package-lock.json']);
    expect(files).toContain('test/exercises/ex07-address-ok.hidden.test.ts');
    expect(files.some((f) => f.startsWith('node_modules/') || f.startsWith('chapters/'))).toBe(false);
    expect(readFileSync(join(source, 'setup.sh'), 'utf8')).toMatch(/deb\.nodesource\.com\/setup_20\.x[\s\S]*npm ci/);
    const pkg = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(['esbuild', 'tsx']);
  });

  test('grades a submission whose src/ lies deeper in the upload, and results.json says what it printed', async () => {
    const course = readCourse(root);
    // The solution but for two exercises: one left as handed out, one that tries to outlive the grader.
    const sub = join(work, 'submission');
    writeSubmission(course, join(sub, 'lab3-handout'), { 'ex05-large-page': course.blocks.find((b) => b.id === 'ex05-large-page')!.stub, ...cheats(marker)['detached-grandchild']!.answers }, 'solution');
    const results = join(work, 'results/results.json');
    const r = runAutograder(sub, results);
    expect(r.status).toBe(0);
    const max = course.exercises.reduce((a, e) => a + e.points, 0);
    const lost = course.exercises.filter((e) => e.id === 'ex05-large-page' || e.id === 'ex07-address-ok').reduce((a, e) => a + e.points, 0);
    const printed = Number(new RegExp(`^Score: (\\d+)/${max} `, 'm').exec(r.stdout)?.[1]);
    expect(r.json!.score).toBe(printed);
    expect(r.json!.score).toBe(max - lost);
    expect(r.stdout).toMatch(/^found src\/ at lab3-handout\/src; /m);
    // The total stays out of what students see at once.
    const hidden = r.json!.tests.filter((t) => t.visibility === 'after_due_date');
    const pub = r.json!.tests.filter((t) => t.visibility === 'visible');
    const sum = (ts: typeof pub, k: 'score' | 'max_score') => ts.reduce((a, t) => a + t[k], 0);
    expect(hidden.length).toBeGreaterThan(20);
    expect(r.json!.output).toBe(`Public tests: ${sum(pub, 'score')}/${sum(pub, 'max_score')} points. ${hidden.length} hidden tests (${sum(hidden, 'max_score')} points) are graded too; their results appear after the due date.`);
    expect(sum(pub, 'score')).toBe(sum(pub, 'max_score') - pub.filter((t) => /^ex0[57]-(large-page|address-ok):/.test(t.name)).reduce((a, t) => a + t.max_score, 0));
    expect(r.json!.stdout_visibility).toBe('hidden');
    for (const t of r.json!.tests) expect(['passed', 'failed']).toContain(t.status);
    // Nothing rewrites it afterwards.
    const written = readFileSync(results, 'utf8');
    await new Promise((res) => setTimeout(res, 2000));
    expect(readFileSync(results, 'utf8')).toBe(written);
    expect(existsSync(marker)).toBe(false);
  });

  test('says clearly when the upload has no src/ folder', () => {
    const flat = join(work, 'flat');
    mkdirSync(flat);
    for (const f of ['walk-32.ts', 'rights.ts', 'tlb.ts']) writeFileSync(join(flat, f), '// my answers\n');
    const r = runAutograder(flat, join(work, 'flat-results.json'));
    expect(r.status).toBe(0);
    expect(r.json!.score).toBe(0);
    expect(r.json!.output).toBe('Your submission was not graded: no src/ folder found in your submission (looked for src/hw/rights.ts at any depth). Upload your handout\'s src/ folder, zipped, or your whole handout folder without node_modules. Your upload holds: rights.ts, tlb.ts, walk-32.ts.');
  });
});
