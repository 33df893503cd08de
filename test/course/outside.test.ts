/*
 * The self-check's warning about code outside the markers: the grader takes
 * only what lies between a file's EXERCISE markers, so a helper written above
 * an answer passes the self-check (the student's tree runs it) and is not
 * there when graded. The handout records each exercise file's lines outside
 * the markers (course/outside.json); outsideChanges compares a tree with it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { handoutText, OUTSIDE_FILE, outsideChanges, outsideRecord } from '../../src/course/answers.ts';
import { readCourse, TODO_MODULE } from '../../src/course/course.ts';
import { root } from './class.ts';

const work = mkdtempSync(join(tmpdir(), 'outside-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const course = readCourse(root);
const FILE = 'src/hw/rights.ts';
const handed = handoutText(FILE, course.sources.get(FILE)!, course.blocks, course.exercises, TODO_MODULE);

/** A tree holding only FILE as `text`, and the handout's record of it. */
function tree(name: string, text: string): string {
  const dir = join(work, name);
  mkdirSync(dirname(join(dir, FILE)), { recursive: true });
  mkdirSync(join(dir, 'course'), { recursive: true });
  writeFileSync(join(dir, OUTSIDE_FILE), JSON.stringify({ [FILE]: outsideRecord(FILE, handed) }));
  writeFileSync(join(dir, FILE), text);
  return dir;
}

describe('code outside the exercise markers', () => {
  test('the handout as it is, an answer written between the markers, Windows line ends, and todo()\'s import dropped say nothing', () => {
    expect(outsideChanges(tree('as-handed', handed))).toEqual([]);
    const lines = handed.split('\n');
    const begin = lines.findIndex((l) => /\/\/ EXERCISE ex03-rights/.test(l));
    const answered = [...lines.slice(0, begin + 1), '  return 42;', '  // and a comment of my own', ...lines.slice(begin + 2)];
    expect(outsideChanges(tree('answered', answered.join('\n')))).toEqual([]);
    expect(outsideChanges(tree('crlf', handed.replace(/\n/g, '\r\n')))).toEqual([]);
    expect(outsideChanges(tree('no-todo', lines.filter((l) => !/^import \{ todo \} from/.test(l)).join('\n')))).toEqual([]);
  });

  test('a helper written above the function is named by its file and line; a tree from an older handout says nothing', () => {
    const lines = handed.split('\n');
    const at = lines.findIndex((l) => /^export function permits/.test(l));
    expect(at).toBeGreaterThan(0);
    const helper = [...lines.slice(0, at), 'const hasAll = (x: number, y: number) => (x & y) === y;', ...lines.slice(at)];
    expect(outsideChanges(tree('helper', helper.join('\n')))).toEqual([`${FILE}:${at + 1}`]);
    // A line taken away outside the markers counts too.
    expect(outsideChanges(tree('removed', lines.filter((_, i) => i !== at - 1).join('\n')))).toEqual([`${FILE}:${at}`]);
    const older = tree('older', helper.join('\n'));
    rmSync(join(older, OUTSIDE_FILE));
    expect(outsideChanges(older)).toEqual([]);
  });
});
