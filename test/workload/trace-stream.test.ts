/*
 * Traces of your own programs, without valgrind: a small synthetic lackey
 * log goes through the same streaming parser and two-pass recorder that
 * `npm run trace -- record` uses, and the trace files it writes replay,
 * a chunk at a time, exactly as the same traces do in memory.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { claim } from '../support/claim.ts';
import { FETCH, READ, WRITE } from '../../src/hw/rights.ts';
import { foldPages } from '../../src/workload/fold.ts';
import { executableSegments, LackeyParser, type LackeyOptions } from '../../src/workload/lackey.ts';
import { recordTrace } from '../../src/workload/record.ts';
import { replayFiles, scanTrace, type TraceFile } from '../../src/workload/replay-files.ts';
import { replay, traceMappings, type WorkloadResult } from '../../src/workload/replay.ts';
import { readTrace, readTraceStart, TraceWriter } from '../../src/workload/trace-file.ts';
import { AccessDecoder, AccessEncoder, decodeTrace, encodeTrace, type Trace } from '../../src/workload/trace.ts';

const dir = mkdtempSync(join(tmpdir(), 'lgjt-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** valgrind's executable and its load bias in our made-up log: node's own binary, a real ELF file. */
const EXE = process.execPath;
const BIAS = 0x40_0000;
const code = executableSegments(EXE)[0]!;
const inExe = (offset: number) => code.lo + BIAS + offset;

/** A lackey log: valgrind's chatter, the loader's accesses, then the program's, every kind, at 64-bit addresses. */
function lackeyLog(): { text: string; loader: number; program: [number, number][] } {
  const lines = ['==4242== Lackey, an example Valgrind tool', '--4242-- Reading syms from ' + EXE, '--4242--    svma 0x0000001000, avma 0x' + (0x1000 + BIAS).toString(16).padStart(10, '0')];
  const hex = (a: number) => a.toString(16).padStart(8, '0');
  let loader = 0;
  for (let i = 0; i < 40; i++) {
    lines.push(`I  ${hex(0x4001000 + i * 7)},3`, ` L ${hex(0x4030000 + i * 8)},8`);
    loader += 2;
  }
  lines.push('--4242-- REDIR: 0x4a0 (libc.so.6:strlen) redirected', 'I  zz,3', '');
  const program: [number, number][] = [];
  const stack = 0x1ffefff000;
  for (let i = 0; i < 500; i++) {
    const pc = inExe(0x40 + ((i * 13) % 3000));
    lines.push(`I  ${hex(pc)},4`);
    program.push([pc, FETCH]);
    if (i % 3 === 0) {
      lines.push(` S ${hex(stack + (i % 64) * 8)},8`);
      program.push([stack + (i % 64) * 8, WRITE]);
    }
    if (i % 5 === 0) {
      lines.push(` M ${hex(0x4a0_0000 + i * 12)},4`);
      program.push([0x4a0_0000 + i * 12, READ], [0x4a0_0000 + i * 12, WRITE]);
    }
    if (i % 7 === 0) {
      lines.push(` L ${hex(0x5555_0000 + i * 4096)},4`);
      program.push([0x5555_0000 + i * 4096, READ]);
    }
  }
  lines.push('==4242== Counted 1 call to main()');
  return { text: lines.join('\n') + '\n', loader, program };
}

function parse(chunks: Uint8Array[], options: LackeyOptions): { got: [number, number][]; parser: LackeyParser } {
  const got: [number, number][] = [];
  const parser = new LackeyParser(options, (addr, kind) => got.push([addr, kind]));
  for (const c of chunks) {
    parser.write(c);
    if (parser.done) break;
  }
  parser.end();
  return { got, parser };
}

const log = lackeyLog();
const bytes = new TextEncoder().encode(log.text);
const all: LackeyOptions = { from: 'start', skip: 0, max: Infinity };

describe('reading lackey as it streams', () => {
  test('any cut of the log into chunks reads the same accesses', () => {
    const whole = parse([bytes], all).got;
    expect(whole.length).toBe(log.loader + log.program.length);
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
      const at = [0, ...cuts.sort((a, b) => a - b), bytes.length];
      expect(parse(at.slice(1).map((end, i) => bytes.subarray(at[i], end)), all).got).toEqual(whole);
    }), { numRuns: 50 });
  });

  test("--from exe starts at the program's first fetch from its own code, after the loader; --skip and --max cut the window", () => {
    const { got, parser } = parse([bytes], { from: 'exe', skip: 0, max: Infinity });
    expect(got).toEqual(log.program);
    expect(parser.before).toBe(log.loader);
    expect(parser.exe?.path).toBe(EXE);
    const cut = parse([bytes], { from: 'exe', skip: 10, max: 100 });
    expect(cut.got).toEqual(log.program.slice(10, 110));
    expect(cut.parser.done).toBe(true);
    expect(() => parse([new TextEncoder().encode(' L 1000,4\n')], { from: 'exe', skip: 0, max: 10 })).toThrow("valgrind's log never named the executable");
  });
});

describe('recording and replaying trace files', () => {
  test('the recorder folds, in two passes, exactly as the whole-log fold would', async () => {
    const out = join(dir, 'synthetic.lgjt.gz');
    const chunks = async function* () {
      for (let i = 0; i < bytes.length; i += 777) yield bytes.subarray(i, i + 777);
    };
    const summary = await recordTrace(chunks(), out, { from: 'exe', skip: 0, max: Infinity });
    const fold = foldPages(log.program.map(([a]) => BigInt(Math.floor(a / 4096))));
    const expected = log.program.map(([a]) => fold.get(BigInt(Math.floor(a / 4096)))! * 4096 + ((a % 4096) & ~3));
    const t = decodeTrace('synthetic', readFileSync(out));
    expect(Array.from(t.addrs)).toEqual(expected);
    expect(Array.from(t.kinds)).toEqual(log.program.map(([, k]) => k));
    expect(summary).toMatchObject({ accesses: log.program.length, pages: fold.size, before: log.loader, truncated: false, exe: EXE });
  });

  test('the coder reads back what it wrote, however the bytes are cut', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: 2 ** 40 }), fc.integer({ min: 0, max: 2 })), { maxLength: 200 }), fc.nat({ max: 64 }), (acc, cut) => {
      const parts: Uint8Array[] = [];
      const enc = new AccessEncoder((b) => parts.push(b.slice()), 16);
      for (const [a, k] of acc) enc.push(a * 4, k);
      enc.flush();
      const body = Uint8Array.from(parts.flatMap((p) => [...p]));
      const dec = new AccessDecoder('t', 2 ** 50);
      const got: number[][] = [];
      for (const piece of [body.subarray(0, cut), body.subarray(cut)]) {
        const n = dec.decode(piece);
        for (let i = 0; i < n; i++) got.push([dec.addrs[i]! / 4, dec.kinds[i]!]);
      }
      dec.finish();
      expect(got).toEqual(acc);
    }));
  });

  claim('trace-file-bounded', async () => {
    // 300,000 accesses of a made-up program: a strided loop over a few pages, fetches between.
    const n = 300_000;
    const addrs = new Uint32Array(n);
    const kinds = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      addrs[i] = i % 3 === 0 ? 0x0804_8000 + (i % 512) * 4 : 0x4000_0000 + ((i * 52) % 0x6000);
      kinds[i] = i % 3 === 0 ? FETCH : i % 5 === 0 ? WRITE : READ;
    }
    const path = join(dir, 'long.lgjt.gz');
    const w = new TraceWriter(path);
    for (let i = 0; i < n; i++) {
      w.push(addrs[i]!, kinds[i]!);
      if (w.full) await w.drain();
    }
    await w.close();
    let largest = 0;
    let chunks = 0;
    let at = 0;
    for await (const c of readTrace(path)) {
      chunks++;
      largest = Math.max(largest, c.addrs.length, c.kinds.length);
      expect(Array.from(c.addrs.subarray(0, c.length))).toEqual(Array.from(addrs.subarray(at, at + c.length)));
      expect(Array.from(c.kinds.subarray(0, c.length))).toEqual(Array.from(kinds.subarray(at, at + c.length)));
      at += c.length;
    }
    expect(at).toBe(n);
    // A chunk at a time, into arrays the size of one decompressed chunk: never the whole trace.
    expect(chunks).toBeGreaterThan(4);
    expect(largest).toBeLessThanOrEqual(64 * 1024);
    writeFileSync(join(dir, 'e.gz'), gzipSync(Buffer.from('not a trace at all')));
    await expect((async () => { for await (const _ of readTrace(join(dir, 'e.gz'))) void _; })()).rejects.toThrow('e.gz: not an lguest-journey trace');
  });

  test('a file that is not a trace is refused with the reason, read whole or in chunks', async () => {
    const drain = async (path: string) => {
      for await (const _ of readTrace(path)) void _;
    };
    writeFileSync(join(dir, 'a.gz'), Uint8Array.of(1, 2, 3));
    writeFileSync(join(dir, 'b.gz'), gzipSync(Buffer.from('hello')));
    writeFileSync(join(dir, 'c.gz'), gzipSync(Uint8Array.of(0x4c, 0x47, 0x4a, 0x54, 9)));
    writeFileSync(join(dir, 'd.gz'), gzipSync(Uint8Array.of(0x4c, 0x47, 0x4a, 0x54, 1, 0x83)));
    await expect(drain(join(dir, 'nowhere.gz'))).rejects.toThrow('nowhere.gz: no such file');
    await expect(drain(join(dir, 'a.gz'))).rejects.toThrow('a.gz: not a gzip file');
    await expect(drain(join(dir, 'b.gz'))).rejects.toThrow('b.gz: not an lguest-journey trace');
    await expect(drain(join(dir, 'c.gz'))).rejects.toThrow('c.gz: trace format version 9, expected 1');
    await expect(drain(join(dir, 'd.gz'))).rejects.toThrow('d.gz: truncated trace');
  });

  test('trace files replay a chunk at a time exactly as the same traces in memory, once each or looping', async () => {
    // The beginning of each committed trace, written again through the streaming writer.
    const fixtures = join(import.meta.dirname, '../fixtures/traces');
    const traces: Trace[] = [];
    const files: TraceFile[] = [];
    for (const name of ['grep', 'gzip', 'md5sum', 'sort']) {
      const t = await readTraceStart(join(fixtures, `${name}.lgjt.gz`), 30_000);
      const path = join(dir, t.name);
      const w = new TraceWriter(path);
      t.addrs.forEach((a, i) => w.push(a, t.kinds[i]!));
      await w.close();
      traces.push(t);
      files.push(await scanTrace(path));
    }
    traces.forEach((t, i) => {
      expect(files[i]!.length).toBe(t.addrs.length);
      expect(files[i]!.mappings).toEqual(traceMappings(t));
    });
    const counts = (r: WorkloadResult) => ({ ...r, ms: 0 });
    const w = { procs: 6, quantum: 4000, ioEvery: 3000, window: 15_000, lowmemPages: 1024, pages: 2048 };
    for (const [world, mode] of [['lguest', 'set-pte-at'], ['transparent', 'set-pte']] as const) {
      expect(counts(await replayFiles({ ...w, traces: files }, world, mode))).toEqual(counts(replay({ ...w, traces }, world, mode)));
    }
    // Looping: a short trace played past its end starts again.
    const short = join(dir, 'short.lgjt.gz');
    const sw = new TraceWriter(short);
    for (let i = 0; i < 3000; i++) sw.push(traces[0]!.addrs[i]!, traces[0]!.kinds[i]!);
    await sw.close();
    const shortTrace = decodeTrace('short', encodeTrace(traces[0]!.addrs.subarray(0, 3000), traces[0]!.kinds.subarray(0, 3000)));
    const lw = { procs: 2, quantum: 1000, ioEvery: 700, accesses: 20_000, lowmemPages: 512, pages: 1024 };
    expect(counts(await replayFiles({ ...lw, traces: [await scanTrace(short)] }, 'native', 'set-pte'))).toEqual(counts(replay({ ...lw, traces: [shortTrace] }, 'native', 'set-pte')));
  });
});
