/*
 * Replaying trace files of any length: each is read twice, a chunk at a
 * time, never whole. The first pass learns its length and the pages it
 * touches (the processes' mappings must exist before they run); the second
 * feeds the scheduler, one stream per process.
 */
import { basename } from 'node:path';
import type { KmapMode } from '../guest/kernel.ts';
import { LOWMEM_PAGES } from './m009.ts';
import { pageRuns, platformFor, resultOf, runReplay, type Chunk, type Schedule, type TraceInfo, type World, type WorkloadResult } from './replay.ts';
import { readTrace, type AccessChunk } from './trace-file.ts';

// #region G-replay-files
/** A trace file, scanned: its name, path, length and mappings. */
export interface TraceFile extends TraceInfo {
  path: string;
}

/**
 * The first pass: count the accesses and mark the pages touched. A folded
 * trace lives in the 32-bit user half, so a byte per page of it (768 KiB)
 * holds every page any trace could touch.
 */
export async function scanTrace(path: string): Promise<TraceFile> {
  const name = basename(path);
  const touched = new Uint8Array(0xc000_0000 / 4096);
  let length = 0;
  for await (const c of readTrace(path, { name })) {
    for (let i = 0; i < c.length; i++) touched[Math.floor(c.addrs[i]! / 4096)] = 1;
    length += c.length;
  }
  const pages: number[] = [];
  for (let p = 0; p < touched.length; p++) if (touched[p]) pages.push(p);
  return { name, path, length, mappings: pageRuns(pages) };
}

export interface FileWorkload {
  traces: TraceFile[];
  /** Processes: process i replays trace i mod the number of traces. */
  procs: number;
  quantum: number;
  ioEvery: number;
  /** Lowmem, and all of Guest memory, in pages; by default as much highmem as every process's pages need, and at least as much as lowmem. */
  lowmemPages?: number;
  pages?: number;
  /** A fixed number of accesses in all (the traces loop); by default each process plays its trace once. */
  accesses?: number;
  /** Each process plays at most this many accesses of its trace. */
  window?: number;
}

/** Guest memory for a workload: lowmem, and highmem enough for every page every process touches, with room to spare. */
export function guestPagesFor(w: { traces: Pick<TraceInfo, 'mappings'>[]; procs: number; lowmemPages?: number }): number {
  const lowmem = w.lowmemPages ?? LOWMEM_PAGES;
  let user = 0;
  for (let i = 0; i < w.procs; i++) for (const m of w.traces[i % w.traces.length]!.mappings) user += m.pages;
  return lowmem + Math.max(lowmem, user + 512);
}

/** The second pass: replay the files as Guest processes, in one world and kmap mode. */
export async function replayFiles(w: FileWorkload, world: World, kmapMode: KmapMode): Promise<WorkloadResult> {
  const window = w.window ?? Infinity;
  const traces = w.traces.map((t) => ({ ...t, length: Math.min(t.length, window) }));
  let total = 0;
  for (let i = 0; i < w.procs; i++) total += traces[i % traces.length]!.length;
  const s: Schedule = { quantum: w.quantum, ioEvery: w.ioEvery, total: w.accesses ?? total, loop: w.accesses !== undefined };
  const lowmemPages = w.lowmemPages ?? LOWMEM_PAGES;
  const t0 = performance.now();
  const run = runReplay(platformFor(world, w.pages ?? guestPagesFor(w)), { lowmemPages, kmapMode }, traces, w.procs, s);
  // One stream per process, and where in its trace the next chunk starts.
  const streams = new Map<number, { it: AsyncGenerator<AccessChunk>; at: number }>();
  const open = (proc: number, trace: number) => {
    const stream = { it: readTrace(traces[trace]!.path, { name: traces[trace]!.name }), at: 0 };
    streams.set(proc, stream);
    return stream;
  };
  try {
    let step = run.next();
    while (!step.done) {
      const { proc, trace } = step.value;
      let stream = streams.get(proc) ?? open(proc, trace);
      let next = await stream.it.next();
      // At the end of its trace a process stops, or (when the traces loop) starts it again.
      if (next.done && s.loop) next = await (stream = open(proc, trace)).it.next();
      let chunk: Chunk | null = null;
      if (!next.done) {
        chunk = { addrs: next.value.addrs, kinds: next.value.kinds, length: next.value.length, start: stream.at };
        stream.at += next.value.length;
      }
      step = run.next(chunk);
    }
    return resultOf(step.value, world, w.procs, performance.now() - t0);
  } finally {
    for (const { it } of streams.values()) await it.return(undefined);
  }
}
// #endregion G-replay-files
