/*
 * Chapter 14 reads its shadow-or-nested transcript aloud: how many exits the
 * first read takes, what fork to exit costs each Host, the references behind
 * the misses. The transcript itself is checked against the example's output
 * whenever the book is built; this test holds the prose to the transcript, so
 * that a change to the example that the transcript follows cannot leave the
 * sentences about it behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const chapter = readFileSync(join(import.meta.dirname, '../../chapters/14-three-ways.md'), 'utf8');

/** The transcript's rows: its number, shadow exits, shadow misses, nested exits, nested misses and references. */
function rows(): { n: number; exits: number; misses: number; nExits: number; nMisses: number; refs: number }[] {
  const block = chapter.split('```transcript examples/14-shadow-or-nested.ts\n')[1]!.split('```')[0]!;
  return block.split('\n').flatMap((line) => {
    // Columns are two or more spaces apart; a row's own words have single spaces ("fork: process 2").
    const m = /^(\d+)\. \S.*?\s{2,}(\d+)\s{2,}\S.*?\s{2,}(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(line);
    return m ? [{ n: Number(m[1]), exits: Number(m[2]), misses: Number(m[3]), nExits: Number(m[4]), nMisses: Number(m[5]), refs: Number(m[6]) }] : [];
  });
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** The number a sentence of the chapter gives, found by the words around it. */
const said = (re: RegExp): number[] => {
  const m = re.exec(chapter.replace(/\s+/g, ' '));
  expect(m, String(re)).not.toBeNull();
  return m!.slice(1).map((x) => Number(x.replace(/,/g, '')));
};

describe('chapter 14 reads its shadow-or-nested transcript right', () => {
  test('every number the prose takes from the table', () => {
    const r = rows();
    expect(r.map((x) => x.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const words = ['one', 'two', 'three', 'four', 'five', 'six', 'seven'];
    // "The shadow-paging Host takes five exits for it"
    const first = /shadow-paging Host takes (one|two|three|four|five|six|seven) exits/.exec(chapter.replace(/\s+/g, ' '))![1]!;
    expect(words.indexOf(first) + 1).toBe(r[0]!.exits);
    // "fork, a context switch, copy on write, a process exit and its directory zeroed: 32 exits with shadows, 3 without"
    const late = r.filter((x) => x.n >= 7);
    expect(said(/(\d+) exits with shadows, (\d+) without/)).toEqual([sum(late.map((x) => x.exits)), sum(late.map((x) => x.nExits))]);
    // "row 1's 52 is three of the first and one of the second" (fourteen a whole miss, ten one cut short)
    expect(said(/row 1's (\d+) is three of the first and one of the second/)).toEqual([3 * 14 + 10]);
    expect(r[0]!.refs).toBe(3 * 14 + 10);
    // "328 references for 24 misses", "its 67 misses cost about 134"
    expect(said(/(\d+) references for (\d+) misses/)).toEqual([sum(r.map((x) => x.refs)), sum(r.map((x) => x.nMisses))]);
    expect(said(/its (\d+) misses cost about (\d+)/)).toEqual([sum(r.map((x) => x.misses)), 2 * sum(r.map((x) => x.misses))]);
  });

  test('the references per million accesses it multiplies out from the table, at four processes', () => {
    // | 4 | Host | hidden faults per M | exits per M | TLB misses per M | references per miss (with walk cache) | pages built |
    const row = (label: string) => {
      const table = chapter.slice(chapter.indexOf('| processes | Host | hidden faults per M | exits per M'));
      const cells = table.split('\n').find((l) => l.startsWith(`| 4 | ${label} |`))!.split('|').map((c) => c.trim());
      const [refs, cached] = cells[6]!.split(/[ ()]+/).filter(Boolean).map(Number);
      return { misses: Number(cells[5]!.replace(/,/g, '')), refs: refs!, cached: cached ?? refs! };
    };
    const thousands = (x: number) => Math.round(x / 1000) * 1000;
    const nested = row('nested paging');
    expect(said(/at 4 processes: about ([\d,]+) references per million accesses for nested paging without a walk cache, ([\d,]+) for the transparent Host, ([\d,]+) for lguest with its kmap fixed, ([\d,]+) for bare hardware/)).toEqual(
      [nested, row('transparent shadow'), row('lguest, kmap named'), row('bare hardware')].map((r) => thousands(r.misses * r.refs)),
    );
    expect(said(/The walk cache brings nested paging to ([\d,]+)/)).toEqual([thousands(nested.misses * nested.cached)]);
  });

  test('the prose that follows the processes through the first replay table quotes its cells', () => {
    // | processes | Host | hidden faults per M | of them, stores into page tables | clear-alls | shadow pages built | trips to the Host per M |
    const table = chapter.slice(chapter.indexOf('| processes | Host | hidden faults per M | of them'));
    const cell = (procs: number, label: string, column: number) =>
      Number(table.split('\n').find((l) => l.startsWith(`| ${procs} | ${label} |`))!.split('|').map((c) => c.trim())[column]!.replace(/,/g, ''));
    const fixed = 'lguest, kmap named';
    expect(said(/Its hidden faults go from ([\d,]+) per million to ([\d,]+), then ([\d,]+), and its shadow pages built from ([\d,]+) to ([\d,]+)\./)).toEqual(
      [cell(4, fixed, 3), cell(8, fixed, 3), cell(16, fixed, 3), cell(4, fixed, 6), cell(16, fixed, 6)],
    );
    expect(said(/it builds each process's shadow once \(([\d,]+), ([\d,]+), ([\d,]+) pages/)).toEqual([4, 8, 16].map((p) => cell(p, 'transparent', 6)));
    // "The transparent Host's counts do not move": its hidden faults and trips per million, from 4 processes on.
    for (const column of [3, 4, 5, 7]) expect(new Set([4, 8, 16].map((p) => cell(p, 'transparent', column))).size, `column ${column}`).toBe(1);
  });
});
