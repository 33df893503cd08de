/*
 * A class of submissions for the grader's tests, each made from the real
 * sources: the handout's files with chosen answers between the markers.
 * Honest ones (the solution, other correct answers, careful mistakes) and
 * cheats (every attack issue 17 lists), each cheat put where it is
 * strongest: inside an answer, the only code the grader runs.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { handoutText } from '../../src/course/answers.ts';
import { readCourse, TODO_MODULE, type Course } from '../../src/course/course.ts';
import { PLANTS, planted } from './plants.ts';

export const root = join(import.meta.dirname, '../..');

/**
 * Answers by exercise: lines to put between its markers (the stub where none
 * is given), the same for each of its blocks, or made per block from that
 * block's solution and its place `k` among the exercise's blocks.
 */
export type Answers = Record<string, string[] | ((solution: string[], k: number) => string[])>;

/**
 * Write a submission into `dir`: the folders of the instructor's src/ that
 * hold answers (hw, host, guest: the files the grader reads and those beside
 * them; the rest of src/ only made each of the class's fifty copies and
 * digests three times dearer), with every answer file as the handout has it,
 * filled with `answers`.
 */
export function writeSubmission(course: Course, dir: string, answers: Answers, base: 'stub' | 'solution' = 'stub'): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const folder of new Set([...course.sources.keys()].map((f) => f.split('/').slice(0, 2).join('/')))) cpSync(join(root, folder), join(dir, folder), { recursive: true });
  for (const [file, text] of course.sources) {
    writeFileSync(join(dir, file), handoutText(file, text, course.blocks, course.exercises, TODO_MODULE, (b) => {
      const a = answers[b.id];
      if (!a) return base === 'stub' ? b.stub : b.solution;
      return typeof a === 'function' ? a(b.solution, course.blocks.filter((x) => x.id === b.id).indexOf(b)) : a;
    }));
  }
  return dir;
}

const EX07_STUB = "  return todo('ex07-address-ok', 'give up');";

/** The cheats, by name: each is answers on the bare skeleton, or a change to how the submission is laid out. */
export function cheats(markerFile: string): Record<string, { answers?: Answers; layout?: (dir: string) => void; outside?: (dir: string) => void }> {
  return {
    // Replace the test registry's push (the seven lines), at module level outside any answer,
    // and, inside one, tamper with every array push and the grader's host.
    'registry-push': {
      outside: (dir) => writeFileSync(join(dir, 'src/hw/pte.ts'), `${readText(dir, 'src/hw/pte.ts')}
const reg = ((globalThis as any)[Symbol.for('lguest-journey.grader.tests')] ??= []) as any[];
reg.push = (t: any) => Array.prototype.push.call(reg, { ...t, fn: () => {} });
`),
      answers: {
        'ex07-address-ok': [
          "  const host = (globalThis as any)[Symbol.for('lguest-journey.grader')];",
          '  try { host.register = () => {}; } catch { /* frozen */ }',
          '  Array.prototype.push = function (this: unknown[], ...xs: any[]) { for (const x of xs) if (x && typeof x === "object" && "value" in x) x.value = x.expected; return Array.prototype.unshift.apply(this, xs); } as any;',
          '  return true;',
        ],
      },
    },
    // Exercise files that are links to the instructor's.
    'symlinked-files': {
      layout: (dir) => {
        for (const f of ['src/hw/walk-32.ts', 'src/host/guest-memory.ts']) {
          rmSync(join(dir, f));
          symlinkSync(join(root, f), join(dir, f));
        }
      },
    },
    // A detached grandchild that would rewrite results.json (and leave a mark) after the grader exits.
    'detached-grandchild': {
      answers: {
        'ex07-address-ok': [
          '  try {',
          "    const cmdline = (process as any).getBuiltinModule('node:fs').readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8');",
          `    const cp = (process as any).getBuiltinModule('node:child_process');`,
          `    cp.spawn(process.execPath, ['-e', \`setTimeout(() => require('fs').writeFileSync(${JSON.stringify(markerFile)}, \${JSON.stringify(cmdline)}), 1500)\`], { detached: true, stdio: 'ignore' }).unref();`,
          '  } catch { /* the sandbox said no */ }',
          '  return true;',
        ],
      },
    },
    // Find the instructor's tree (node_modules, the working folder, its known path) and rewrite a hidden test there.
    'writes-instructor-tree': {
      answers: {
        'ex07-address-ok': [
          "  const fs = (process as any).getBuiltinModule('node:fs');",
          `  for (const p of [${JSON.stringify(join(root, 'test/exercises/ex07-address-ok.hidden.test.ts'))}, ${JSON.stringify(join(root, 'node_modules/.cheat'))}, process.cwd() + '/../node_modules/.cheat', process.cwd() + '/test.mjs', ${JSON.stringify(markerFile)}]) {`,
          "    try { fs.writeFileSync(p, 'export {};'); } catch { /* read-only */ }",
          '  }',
          EX07_STUB,
        ],
      },
    },
    // Turn assertions into no-ops.
    'patches-assert': {
      answers: {
        'ex07-address-ok': [
          "  for (const name of ['node:assert', 'node:assert/strict']) {",
          '    const a = (process as any).getBuiltinModule(name);',
          "    for (const k of ['equal', 'deepEqual', 'strictEqual', 'deepStrictEqual', 'ok', 'fail']) try { a[k] = () => {}; } catch { /* frozen */ }",
          '  }',
          '  return addr >= 0;',
        ],
      },
    },
    // Read the bundle (hidden test code, other exercises' solutions) and throw it out through a public test's error.
    'leaks-through-error': {
      answers: {
        'ex07-address-ok': [
          "  const text: string = (process as any).getBuiltinModule('node:fs').readFileSync(process.cwd() + '/test.mjs', 'utf8');",
          // (Spelled in pieces, so that this line is not among those it finds.)
          "  const wanted = text.split('\\n').filter((l) => ['reflect' + '(true)', 'tlbStale' + ' = true', 'setPteAt(' + 'BOOT_PGDIR', '100' + '.5'].some((s) => l.includes(s)));",
          "  throw new Error(wanted.map((l) => l.trim()).join(' '));",
        ],
      },
    },
    // src/ is a link out of the tree, or to the instructor's own src/.
    'src-links-out': { layout: (dir) => { rmSync(join(dir, 'src'), { recursive: true }); symlinkSync('/tmp', join(dir, 'src')); } },
    'src-links-instructor': { layout: (dir) => { rmSync(join(dir, 'src'), { recursive: true }); symlinkSync(join(root, 'src'), join(dir, 'src')); } },
    // Memory: one 4 GiB Buffer, and 1.5 GiB of filled ones.
    'buffer-4gib': { answers: { 'ex07-address-ok': ['  return Buffer.alloc(4 * 2 ** 30).length > addr;'] } },
    'buffers-filled': { answers: { 'ex12-pae-reload': ['    const keep: Buffer[] = [];', '    for (let i = 0; i < 24; i++) keep.push(Buffer.alloc(64 << 20, 1));', '    g.tlbStale = keep.length > 0;'] } },
    // Loops and waits.
    // (Each in an exercise of two tests: every test a loop reaches costs its CPU budget.)
    'infinite-loop': { answers: { 'ex06-tlb-flush': ['    for (;;) this.flushAll();'] } },
    'sleeps-forever': { answers: { 'ex09-pgdir-cache': ['  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);', '  return PGDIR_SLOTS;'] } },
    'syntax-error': { answers: { 'ex03-rights': ['  return (rights & p.need) === p.need && (;'] } },
    // Kill the grader, or wake a debugger in it.
    'kills-grader': { answers: { 'ex07-address-ok': ["  try { (process as any)._debugProcess(process.ppid); } catch { /* gone */ }", "  process.kill(process.ppid, 'SIGKILL');", '  return true;'] } },
  };
}

/** Honest submissions: the solution, other right answers, and mistakes that must cost points in their own exercise only. */
export const honest: Record<string, { answers: Answers; base: 'stub' | 'solution'; outside?: (dir: string) => void }> = {
  full: { answers: {}, base: 'solution' },
  'other-right-answers': {
    base: 'solution',
    answers: {
      'ex03-rights': ['  if ((rights & p.need) !== p.need) return false;', '  return !(rights & p.forbid);'],
      // A walk written from scratch: other names, other arithmetic, the same machine.
      'ex04-walk': [
        '  const memory = m.memory;',
        '  const dirAt = (m.cr3 >>> 12) * 4096 + (vaddr >>> 22) * 4;',
        '  const dir = memory.read32(dirAt);',
        "  if ((dir & PTE_P) === 0) return notPresent(m, kind, out, 'PDE');",
        '  if (m.pse && (dir & PTE_PS) !== 0) return leaf4M(m, vaddr, kind, out, dirAt, dir);',
        '  if ((dir & PTE_A) === 0) memory.write32(dirAt, (dir | PTE_A) >>> 0);',
        '  const leafAt = (dir >>> 12) * 4096 + ((vaddr >>> 12) % 1024) * 4;',
        '  const leaf = memory.read32(leafAt);',
        "  if ((leaf & PTE_P) === 0) return notPresent(m, kind, out, 'PTE');",
        '  const allowed = dir & leaf & (R_RW | R_US);',
        '  if (!permits(allowed, m.policy[kind]!)) return denied(m, kind, out, allowed);',
        '  let marked = leaf | PTE_A;',
        '  if (kind === WRITE) marked |= PTE_D;',
        '  if (marked !== leaf) memory.write32(leafAt, marked >>> 0);',
        '  out.pageBase = (leaf >>> 12) * 4096;',
        '  out.pageShift = 12;',
        '  out.rights = allowed | (marked & PTE_D) | (marked & PTE_G);',
        '  return true;',
      ],
      'ex07-address-ok': ['  if (!Number.isSafeInteger(addr) || addr < 0 || len < 0) return false;', '  const end = addr + len;', '  return end >= addr && end <= g.pfnLimit * 4096;'],
    },
  },
  // One planted mistake each (plants.ts).
  ...Object.fromEntries(Object.entries(PLANTS).map(([name, p]) => [name, { base: 'solution' as const, answers: { [p.exercise]: (solution: string[], k: number) => planted(p, solution, k) } }])),
  throws: {
    base: 'solution',
    answers: { 'ex08-demand-page': (solution, k) => (k === 1 ? ['  if (gpte & PTE_D) return gpteToSpte(g, gpte, true);', '  throw new TypeError(`no idea what to do with 0x${gpte.toString(16)}`);'] : solution) },
  },
  skeleton: { answers: {}, base: 'stub' },
  // A helper written above the function, outside the markers: the student's own tree runs it, the grader never sees it.
  'helper-outside': {
    base: 'solution',
    answers: { 'ex03-rights': ['  return hasAll(rights, p.need) && (rights & p.forbid) === 0;'] },
    outside: (dir) => writeFileSync(join(dir, 'src/hw/rights.ts'), readText(dir, 'src/hw/rights.ts').replace('export function permits', 'const hasAll = (x: number, y: number) => (x & y) === y;\nexport function permits')),
  },
};

function readText(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

/** Build the whole class in `dir`: one folder per submission. */
export function writeClass(dir: string, markerFile: string): { course: Course; names: string[] } {
  const course = readCourse(root);
  mkdirSync(dir, { recursive: true });
  for (const [name, h] of Object.entries(honest)) {
    const at = writeSubmission(course, join(dir, name), h.answers, h.base);
    h.outside?.(at);
  }
  for (const [name, c] of Object.entries(cheats(markerFile))) {
    const at = writeSubmission(course, join(dir, name), c.answers ?? {});
    c.outside?.(at);
    c.layout?.(at);
  }
  // Uploads as a learning platform hands them over: the whole handout folder inside the student's
  // (the answers are the solution's, so their runs come from the session's cache), and an archive.
  writeSubmission(course, join(dir, 'nested', 'lguest-journey-handout'), {}, 'solution');
  writeFileSync(join(dir, 'zipped.zip'), 'PK\x03\x04');
  // Not submissions at all, which still get a row each.
  writeFileSync(join(dir, 'a-plain-file'), 'not a folder');
  mkdirSync(join(dir, 'no-src'));
  return { course, names: [...Object.keys(honest), ...Object.keys(cheats(markerFile)), 'nested', 'zipped.zip', 'a-plain-file', 'no-src'].sort() };
}
