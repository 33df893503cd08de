/*
 * The grader's child process. It is started with tsx and a memory cap, in a
 * tree that holds one submission's src/ and the course's tests, and told
 * which test files to load and which tests to skip (those already decided).
 * It reports each test as it starts and as it ends; the parent decides what a
 * silence means, and kills it.
 */
import { inspect } from 'node:util';
import { pathToFileURL } from 'node:url';

// #region X-grade-child
// unwoven: course tooling.
const REGISTRY = Symbol.for('lguest-journey.grader.tests');

interface Registered {
  exercise: string;
  points: number;
  name: string;
  hidden: boolean;
  fn: () => unknown;
}

export interface ChildRequest {
  files: string[];
  skip: string[];
}

export type ChildMessage =
  | { type: 'collected'; tests: { id: string; file: string; exercise: string; points: number; name: string; hidden: boolean }[] }
  | { type: 'load-error'; file: string; message: string }
  | { type: 'start'; id: string }
  | { type: 'end'; id: string; status: 'PASS' | 'FAIL' | 'ERROR'; message?: string; expected?: string; actual?: string }
  | { type: 'done' };

const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));
const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : inspect(v, { depth: 4, breakLength: 120 }));

/** The first lines of an error, and where in src/ it was thrown. */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return `threw ${show(e)}`;
  // The first frame in the submission's src/, named from src/ (the grading tree is a temporary folder).
  const where = (e.stack ?? '').split('\n').find((l) => /\/src\//.test(l))?.trim().replace(/\((?:file:\/\/)?[^()]*?\/src\//, '(src/');
  return `${e.name === 'Error' || e.name === 'AssertionError' ? '' : `${e.name}: `}${e.message.split('\n')[0]}${where ? `\n${where}` : ''}`;
}

process.once('message', async (request: ChildRequest) => {
  const registry: Registered[] = [];
  (globalThis as Record<symbol, unknown>)[REGISTRY] = registry;
  const tests: (Registered & { id: string; file: string })[] = [];
  for (const file of request.files) {
    const before = registry.length;
    try {
      await import(pathToFileURL(file).href);
    } catch (e) {
      await send({ type: 'load-error', file, message: describe(e) });
      continue;
    }
    for (const t of registry.slice(before)) tests.push({ ...t, id: `${file}::${t.name}`, file });
  }
  await send({ type: 'collected', tests: tests.map(({ fn: _fn, ...rest }) => rest) });
  const skip = new Set(request.skip);
  for (const t of tests) {
    if (skip.has(t.id)) continue;
    await send({ type: 'start', id: t.id });
    try {
      await t.fn();
      await send({ type: 'end', id: t.id, status: 'PASS' });
    } catch (e) {
      const assertion = e instanceof Error && e.name === 'AssertionError';
      const todo = e instanceof Error && e.name === 'Todo';
      const err = e as { expected?: unknown; actual?: unknown };
      await send({
        type: 'end', id: t.id, status: assertion || todo ? 'FAIL' : 'ERROR', message: describe(e),
        ...(assertion ? { expected: show(err.expected), actual: show(err.actual) } : {}),
      });
    }
  }
  await send({ type: 'done' });
  process.exit(0);
});
// #endregion X-grade-child
