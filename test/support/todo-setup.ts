/*
 * Run before every test file. When LGJ_TODO_LOG names a file (the skeleton
 * generator sets it), each failed test during which an exercise's Todo was
 * thrown is written there: on a student tree, that test failed because an
 * exercise is unfinished, not because something else broke.
 */
import { appendFileSync } from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import { TODO_COUNT } from '../../src/course/todo.ts';

const log = process.env['LGJ_TODO_LOG'];
const count = () => (globalThis as Record<symbol, number | undefined>)[TODO_COUNT] ?? 0;
let before = 0;

if (log) {
  beforeEach(() => {
    before = count();
  });
  afterEach((ctx) => {
    if (count() === before) return;
    const names: string[] = [];
    for (let t: { name: string; suite?: unknown } | undefined = ctx.task; t; t = t.suite as typeof t) if (t.name && t !== ctx.task.file) names.unshift(t.name);
    appendFileSync(log, `${JSON.stringify({ file: ctx.task.file.filepath, fullName: names.join(' ') })}\n`);
  });
}
