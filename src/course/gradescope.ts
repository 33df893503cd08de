/*
 * The Gradescope autograder, in one zip: the course's sources and tests
 * (hidden ones too), the grader, its own package files (esbuild and tsx,
 * pruned from our lockfile), the reference runs already made, and the two
 * scripts Gradescope wants at the archive's root: setup.sh (Node 20 and the
 * locked packages) and run_autograder (grade /autograder/submission, write
 * /autograder/results/results.json).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { handoutText } from './answers.ts';
import { readCourse, TODO_MODULE } from './course.ts';
import { courseRunsDir, DEFAULT_OPTIONS, Grader } from './grader.ts';
import { pruneLock } from './handout.ts';
import { zip, type ZipEntry } from './zip.ts';

// #region X-gradescope
// unwoven: course tooling; the README's course section describes it.

/** What the grader needs at run time: esbuild bundles, tsx runs the grader itself. */
const AUTOGRADER_PACKAGES = ['esbuild', 'tsx'];
const EXTRA = ['src/course/sandbox-child.ts', 'src/course/todo.ts', 'course/exercises.json'];

export const SETUP_SH = `#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
set -euo pipefail
if ! command -v node >/dev/null 2>&1 || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  apt-get update -qq
  apt-get install -y -qq ca-certificates curl gnupg >/dev/null
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash - >/dev/null
  apt-get install -y -qq nodejs >/dev/null
fi
# The sandbox uses util-linux's prlimit and unshare where the container allows them.
command -v prlimit >/dev/null 2>&1 || apt-get install -y -qq util-linux >/dev/null
cd /autograder/source
npm ci --no-audit --no-fund
`;

export const RUN_AUTOGRADER = `#!/usr/bin/env bash
# Gradescope runs this for each submission. The paths can be moved for a test:
# LGJ_SOURCE (this archive, unpacked), LGJ_SUBMISSION, LGJ_RESULTS.
set -uo pipefail
SOURCE="\${LGJ_SOURCE:-/autograder/source}"
cd "$SOURCE"
exec node --import tsx scripts/gradescope-run.ts "\${LGJ_SUBMISSION:-/autograder/submission}" "\${LGJ_RESULTS:-/autograder/results/results.json}"
`;

/** Every file under `dir` (relative to root). */
function filesUnder(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(join(root, d)).sort()) {
      const rel = `${d}/${n}`;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk(dir);
  return out;
}

/**
 * The autograder zip for the course in `root`. The reference runs are made
 * first (or found in the cache) and go in with it, so a submission's run
 * starts from them where Gradescope's Node is ours.
 */
export async function buildAutograder(root: string, log: (l: string) => void = () => {}): Promise<{ archive: Buffer; files: string[] }> {
  const course = readCourse(root);
  const tests = [...course.testFiles.values()].flat();
  const r = await build({ absWorkingDir: root, entryPoints: [...tests, 'scripts/gradescope-run.ts', 'scripts/grade.ts'], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent', outdir: join(root, '.autograder-closure') });
  const files = [...new Set([...Object.keys(r.metafile.inputs).filter((f) => !f.startsWith('node_modules/')), ...EXTRA])].sort();
  log(`the grader and the course: ${files.length} files`);
  const grader = await Grader.open(root, DEFAULT_OPTIONS);
  // The reference runs, and the stubs' (most submissions leave some exercise as it was).
  const { sources, blocks, exercises } = grader.course;
  await grader.gradeAnswers('stubs', new Map([...sources].map(([f, text]) => [f, handoutText(f, text, blocks, exercises, TODO_MODULE)])));
  const dir = relative(root, await courseRunsDir(grader.course));
  const cache = filesUnder(root, dir).filter((f) => /\.(reference|stub)\.json$/.test(f));
  log(`the reference and stub runs: ${cache.length} cached`);
  const ours = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; license: string; devDependencies: Record<string, string> };
  const pkg = { name: 'lguest-journey-autograder', version: ours.version, private: true, type: 'module', license: ours.license, dependencies: Object.fromEntries(AUTOGRADER_PACKAGES.map((n) => [n, ours.devDependencies[n]!])) };
  const lock = pruneLock(JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')), AUTOGRADER_PACKAGES, { name: pkg.name, version: pkg.version, license: pkg.license, dependencies: pkg.dependencies });
  const entries: ZipEntry[] = [
    { name: 'setup.sh', data: Buffer.from(SETUP_SH), mode: 0o755 },
    { name: 'run_autograder', data: Buffer.from(RUN_AUTOGRADER), mode: 0o755 },
    { name: 'package.json', data: Buffer.from(JSON.stringify(pkg, null, 2) + '\n'), mode: 0o644 },
    { name: 'package-lock.json', data: Buffer.from(JSON.stringify(lock, null, 2) + '\n'), mode: 0o644 },
    ...[...files, ...cache].map((f) => ({ name: relative(root, join(root, f)), data: readFileSync(join(root, f)), mode: 0o644 })),
  ];
  return { archive: zip(entries), files: entries.map((e) => e.name) };
}
// #endregion X-gradescope
