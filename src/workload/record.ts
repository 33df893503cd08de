/*
 * From lackey's log to a trace file, in memory that grows with the pages a
 * program touches and never with its accesses. The folding (fold.ts) must
 * see every page before it can place any, so there are two passes: the
 * first keeps the unfolded accesses in a compressed scratch file and the set
 * of pages; the second reads the scratch file back, folds each access and
 * writes the trace.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { foldPages } from './fold.ts';
import { LackeyParser, type LackeyOptions } from './lackey.ts';
import { readTrace, TraceWriter } from './trace-file.ts';

// #region G-record
export interface RecordSummary {
  /** Accesses written, and the pages they touch. */
  accesses: number;
  pages: number;
  /** Accesses left out: before the start (the dynamic loader's, with --from exe), and skipped after it. */
  before: number;
  skipped: number;
  /** The window filled before the log ended. */
  truncated: boolean;
  /** The executable whose code marked the start (with --from exe). */
  exe: string | null;
}

/**
 * Convert a lackey log, arriving in chunks from `log`, into the trace file
 * `out`. `stop` is called once the window is full, so a program still
 * running can be ended early.
 */
export async function recordTrace(log: AsyncIterable<Uint8Array>, out: string, options: LackeyOptions, stop: () => void = () => {}): Promise<RecordSummary> {
  const dir = mkdtempSync(join(tmpdir(), 'lgjt-'));
  try {
    // Pass 1: every access, unfolded, to scratch (gzip at its fastest), and the set of pages.
    const scratch = new TraceWriter(join(dir, 'raw.gz'), { level: 1, raw: true });
    const pages = new Set<number>();
    // Most accesses fall on a page seen a moment ago: a small cache spares the set.
    const recent = new Float64Array(256).fill(-1);
    const parser = new LackeyParser(options, (addr, kind) => {
      const page = Math.floor(addr / 4096);
      if (recent[page & 255] !== page) {
        recent[page & 255] = page;
        pages.add(page);
      }
      scratch.push(addr, kind);
    });
    for await (const chunk of log) {
      parser.write(chunk);
      if (scratch.full) await scratch.drain();
      if (parser.done) break;
    }
    if (parser.done) stop();
    parser.end();
    await scratch.close();
    if (scratch.count === 0) throw new Error('the log holds no accesses (was it made with --tool=lackey --trace-mem=yes?)');

    // The fold, from the pages alone.
    const fold = new Map<number, number>();
    for (const [p, folded] of foldPages([...pages].map(BigInt))) fold.set(Number(p), folded);
    pages.clear();

    // Pass 2: fold each access and write the trace.
    const trace = new TraceWriter(out);
    const cachePage = new Float64Array(256).fill(-1);
    const cacheFolded = new Float64Array(256);
    for await (const chunk of readTrace(join(dir, 'raw.gz'), { raw: true })) {
      for (let i = 0; i < chunk.length; i++) {
        const addr = chunk.addrs[i]!;
        const page = Math.floor(addr / 4096);
        const slot = page & 255;
        if (cachePage[slot] !== page) {
          cachePage[slot] = page;
          cacheFolded[slot] = fold.get(page)!;
        }
        trace.push(cacheFolded[slot]! * 4096 + (addr % 4096), chunk.kinds[i]!);
      }
      if (trace.full) await trace.drain();
    }
    await trace.close();
    return { accesses: trace.count, pages: fold.size, before: parser.before, skipped: parser.skipped, truncated: parser.done, exe: parser.exe?.path ?? null };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
// #endregion G-record
