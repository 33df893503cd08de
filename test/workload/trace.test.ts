import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { gzipSync } from 'node:zlib';
import { foldPages } from '../../src/workload/fold.ts';
import { loadTraces } from '../../src/workload/m009.ts';
import { traceMappings } from '../../src/workload/replay.ts';
import { decodeTrace, encodeTrace } from '../../src/workload/trace.ts';

describe('the trace format', () => {
  test('any accesses survive encoding', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: 0xbfff_ffff }), fc.integer({ min: 0, max: 2 })), { maxLength: 300 }), (acc) => {
      const addrs = acc.map(([a]) => (a & ~3) >>> 0);
      const t = decodeTrace('t', encodeTrace(addrs, acc.map(([, k]) => k)));
      expect(Array.from(t.addrs)).toEqual(addrs);
      expect(Array.from(t.kinds)).toEqual(acc.map(([, k]) => k));
    }));
  });

  test('what is not a trace is refused with the reason', () => {
    expect(() => decodeTrace('a.gz', Uint8Array.of(1, 2, 3))).toThrow('a.gz: not a gzip file');
    expect(() => decodeTrace('b.gz', gzipSync(Buffer.from('hello')))).toThrow('b.gz: not an lguest-journey trace');
    expect(() => decodeTrace('c.gz', gzipSync(Uint8Array.of(0x4c, 0x47, 0x4a, 0x54, 9)))).toThrow('c.gz: trace format version 9, expected 1');
    expect(() => decodeTrace('d.gz', gzipSync(Uint8Array.of(0x4c, 0x47, 0x4a, 0x54, 1, 0x83)))).toThrow('d.gz: truncated trace');
  });

  test('folding keeps each cluster whole, in order, at its place within 4 MiB, below PAGE_OFFSET', () => {
    const code = [0x108n, 0x109n, 0x10an];
    const libs = [0x4000n, 0x4003n];
    const stack = [0x1ffeffen, 0x1ffefffn];
    const map = foldPages([...stack, ...libs, ...code]);
    const f = (p: bigint) => map.get(p)!;
    expect(f(0x109n) - f(0x108n)).toBe(1);
    expect(f(0x4003n) - f(0x4000n)).toBe(3);
    expect(f(0x108n) < f(0x4000n) && f(0x4000n) < f(0x1ffeffen)).toBe(true);
    for (const p of [...code, ...libs, ...stack]) expect(f(p) % 1024).toBe(Number(p % 1024n));
    expect(f(0x1ffefffn) * 4096).toBeLessThan(0xc000_0000);
  });

  test('the committed traces are real programs, folded into the user half', () => {
    const traces = loadTraces(join(import.meta.dirname, '../..'));
    expect(traces.map((t) => t.name)).toEqual(['grep.lgjt.gz', 'gzip.lgjt.gz', 'md5sum.lgjt.gz', 'sort.lgjt.gz']);
    for (const t of traces) {
      expect(t.addrs.length).toBeGreaterThan(500_000);
      expect(Math.max(...traceMappings(t).map((m) => m.start + m.pages * 4096))).toBeLessThanOrEqual(0xc000_0000);
      // Programs fetch, load and store.
      expect(new Set(t.kinds).size).toBe(3);
    }
  });
});
