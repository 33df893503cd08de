/*
 * Replaying traces: several traced programs as Guest processes, a
 * round-robin scheduler with context switches, and the kernel's own highmem
 * traffic (an I/O write into the running process's buffer now and then, done
 * through kmap_atomic). Everything is counted.
 *
 * A trace arrives in chunks: all at once when it is in memory, a few
 * thousand accesses at a time when it streams from a file (replay-files.ts).
 * The scheduler asks for the next chunk of a process when it needs one.
 */
import type { FaultRecord, KmapMode } from '../guest/kernel.ts';
import { NativePlatform } from '../guest/native.ts';
import { GuestOs, userAccess } from '../guest/os.ts';
import { NestedPlatform } from '../guest/nested.ts';
import { LguestPlatform } from '../guest/paravirt.ts';
import { FAULTED, type Platform } from '../guest/platform.ts';
import { TransparentPlatform } from '../guest/transparent.ts';
import type { Trace } from './trace.ts';
import { recycleMemory } from '../hw/phys-memory.ts';

// #region G-replay
/** Bare hardware, lguest's Host, or the transparent shadow-paging and nested-paging Hosts (the Mastery chapter "Three ways"). */
export type World = 'native' | 'lguest' | 'transparent' | 'nested';

export interface Workload {
  traces: Trace[];
  /** Guest memory and how much of it is lowmem, in 4 KiB pages. */
  pages: number;
  lowmemPages: number;
  /** Accesses a process runs before the scheduler switches. */
  quantum: number;
  /** One kernel I/O write (a kmap_atomic) per this many accesses; 0 for none. */
  ioEvery: number;
  /** Stop after this many accesses in all (the traces loop); default: each process plays its trace once. */
  accesses?: number;
  /** How many processes: process i replays trace i mod the number of traces. Default: one per trace. */
  procs?: number;
  /** Each process plays at most this many accesses of its trace (its beginning). */
  window?: number;
}

export interface WorkloadResult {
  world: World;
  kmapMode: KmapMode;
  procs: number;
  accesses: number;
  contextSwitches: number;
  kmaps: number;
  /** Faults the Guest kernel saw (identical in every world). */
  guestFaults: number;
  /** Each of them, in order: process, address, error code and what the kernel made of it. */
  faultLog: FaultRecord[];
  /** Page faults the Host fixed without the Guest seeing them; zero natively. */
  hiddenFaults: number;
  /** Of the transparent Host's trips, the Guest's stores into its own page tables, trapped and emulated. */
  emulatedWrites: number;
  hypercalls: number;
  /** Every crossing from the Guest into the Host: hypercalls, trapped instructions, page faults of either kind. */
  trips: number;
  /** Of the nested Host's trips, the writes to CR0 and CR4 it still intercepts (counted for the nested Host only; 0 elsewhere). */
  crWrites: number;
  shadowPagesBuilt: number;
  shadowPagesFreed: number;
  clearAlls: number;
  /** The processor's TLB misses: each one a page walk. */
  tlbMisses: number;
  /**
   * Memory references per TLB miss. Counted under nested paging, as the
   * processor would make them without a page-walk cache, and with the
   * 32-entry one it has; one-dimensional walks read an entry per level
   * of the tables the processor walks (two, here).
   */
  refsPerMiss: number;
  refsPerMissCached: number;
  ms: number;
}

/** A chunk of a trace: `length` accesses, the first of which is access number `start` of its trace. */
export interface Chunk {
  addrs: ArrayLike<number>;
  kinds: ArrayLike<number>;
  length: number;
  start: number;
}

/** What the scheduler needs of a trace before it starts: a name, a length and the runs of pages touched. */
export interface TraceInfo {
  name: string;
  length: number;
  mappings: { start: number; pages: number }[];
}

/**
 * The pages each trace touches, as runs of consecutive pages: its mappings.
 * Worked out once per trace (a sort of millions of page numbers), then kept.
 */
export function traceMappings(t: Trace): { start: number; pages: number }[] {
  let runs = mappingsOf.get(t);
  if (runs) return runs;
  const pages = new Uint32Array(t.addrs.length);
  for (let i = 0; i < pages.length; i++) pages[i] = t.addrs[i]! >>> 12;
  runs = pageRuns(pages.sort());
  mappingsOf.set(t, runs);
  return runs;
}
const mappingsOf = new WeakMap<Trace, { start: number; pages: number }[]>();

/** Sorted page numbers (repeats allowed) as runs of consecutive pages. */
export function pageRuns(sorted: ArrayLike<number>): { start: number; pages: number }[] {
  const runs: { start: number; pages: number }[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    const last = runs[runs.length - 1];
    if (last && last.start / 4096 + last.pages - 1 === p) continue;
    if (last && last.start / 4096 + last.pages === p) last.pages++;
    else runs.push({ start: p * 4096, pages: 1 });
  }
  return runs;
}

/** The machine for a world: bare hardware, or a Host with 2048 pages for its shadows (or, nested, its tables). */
export function platformFor(world: World, pages: number): Platform {
  if (world === 'native') return new NativePlatform(pages * 4096);
  if (world === 'lguest') return new LguestPlatform(pages * 4096, { hostPages: 2048 });
  if (world === 'nested') return new NestedPlatform(pages * 4096, { hostPages: 2048, walkCache: 32 });
  return new TransparentPlatform(pages * 4096, { hostPages: 2048 });
}

/** One process of the replay: the trace it plays, and where it is in it. */
interface Proc {
  pid: number;
  trace: number;
  chunk: Chunk | null;
  /** Index in the chunk of the next access. */
  at: number;
  /** Accesses it has played in all, and the most it may (its window, or its trace). */
  played: number;
  limit: number;
  finished: boolean;
}

/** The scheduler's settings, once the traces are known. */
export interface Schedule {
  quantum: number;
  ioEvery: number;
  total: number;
  /** The traces loop (a fixed number of accesses in all) rather than play once. */
  loop: boolean;
}

/**
 * The replay itself: boot the Guest, fork a process per trace copy, map its
 * pages, and run the round-robin. It is a generator so that one loop serves
 * traces in memory and traces streaming from disk: when a process needs its
 * next chunk it yields the process's trace and index, and is sent the chunk
 * (null at the end of the trace; when the traces loop, the driver starts the
 * trace over and sends its first chunk).
 */
export function* runReplay(pv: Platform, w: Pick<Workload, 'lowmemPages'> & { kmapMode: KmapMode }, traces: TraceInfo[], procs: number, s: Schedule): Generator<{ proc: number; trace: number }, Replayed, Chunk | null> {
  const os = new GuestOs(pv, { lowmemPages: w.lowmemPages, kmapMode: w.kmapMode });
  const k = os.k;
  // Process 1 forks one child per trace copy; each child maps its program's layout.
  const ps: Proc[] = [];
  for (let i = 0; i < procs; i++) {
    const trace = i % traces.length;
    os.switchTo(1);
    const pid = os.fork();
    os.switchTo(pid);
    for (const m of traces[trace]!.mappings) os.mmapAt(m.start, m.pages);
    ps.push({ pid, trace, chunk: null, at: 0, played: 0, limit: s.loop ? Infinity : traces[trace]!.length, finished: false });
  }
  const switchesBefore = k.stats.contextSwitches;
  let done = 0;
  let untilIo = s.ioEvery;
  for (let turn = 0; done < s.total; turn = (turn + 1) % ps.length) {
    const p = ps[turn]!;
    // A process whose trace ran out is not scheduled; find that out before switching to it.
    if (!p.finished && (!p.chunk || p.at >= p.chunk.length)) fetch(p, yield { proc: turn, trace: p.trace });
    if (p.finished) continue;
    os.switchTo(p.pid);
    for (let n = Math.min(s.quantum, s.total - done); n > 0;) {
      if (p.at >= p.chunk!.length) {
        fetch(p, yield { proc: turn, trace: p.trace });
        if (p.finished) break;
      }
      const chunk = p.chunk!;
      const { addrs, kinds } = chunk;
      const end = Math.min(chunk.length, p.at + n, p.at + (p.limit - p.played));
      for (let i = p.at; i < end; i++) {
        const vaddr = addrs[i]!;
        if (userAccess(k, kinds[i]! as 0 | 1 | 2, vaddr, chunk.start + i) === FAULTED) throw new Error(`${traces[p.trace]!.name}: SIGSEGV at 0x${vaddr.toString(16)}`);
        done++;
        if (s.ioEvery && --untilIo === 0) {
          untilIo = s.ioEvery;
          os.kernelWrite(vaddr, done);
        }
      }
      n -= end - p.at;
      p.played += end - p.at;
      p.at = end;
      if (p.played >= p.limit) p.finished = true;
      if (p.finished) break;
    }
  }
  return { os, accesses: done, contextSwitches: k.stats.contextSwitches - switchesBefore };
}

/** A replay's Guest, afterwards, with how many accesses it ran and how many context switches they took. */
export interface Replayed {
  os: GuestOs;
  accesses: number;
  contextSwitches: number;
}

/** A process's next chunk, or the end of its trace. */
function fetch(p: Proc, chunk: Chunk | null): void {
  if (chunk === null || chunk.length === 0) {
    p.finished = true;
    return;
  }
  p.chunk = chunk;
  p.at = 0;
}

/** What a finished replay counted, whichever world it ran in. */
export function resultOf({ os, accesses, contextSwitches }: Replayed, world: World, procs: number, ms: number): WorkloadResult {
  const k = os.k;
  const pv = os.pv;
  const r: WorkloadResult = {
    world, kmapMode: k.kmapMode, procs, accesses, contextSwitches, kmaps: k.stats.kmaps,
    guestFaults: k.faults.length, faultLog: k.faults, hiddenFaults: 0, emulatedWrites: 0, hypercalls: 0, trips: 0, crWrites: 0,
    shadowPagesBuilt: 0, shadowPagesFreed: 0, clearAlls: 0, tlbMisses: 0, refsPerMiss: 2, refsPerMissCached: 2, ms,
  };
  if (pv instanceof NativePlatform) r.tlbMisses = pv.mmu.tlb.misses;
  if (pv instanceof LguestPlatform) {
    const s = pv.g.stats;
    r.tlbMisses = pv.g.mmu.tlb.misses;
    Object.assign(r, {
      hiddenFaults: s.hiddenFaults, hypercalls: s.hypercalls, trips: s.hypercalls + s.hiddenFaults + s.reflectedFaults,
      shadowPagesBuilt: s.shadowPagesAllocated, shadowPagesFreed: s.shadowPagesFreed, clearAlls: s.clearAlls,
    });
  } else if (pv instanceof TransparentPlatform) {
    const s = pv.vm.stats;
    r.tlbMisses = pv.vm.mmu.tlb.misses;
    Object.assign(r, {
      hiddenFaults: s.hiddenFaults + s.emulatedWrites, emulatedWrites: s.emulatedWrites, trips: s.exits,
      shadowPagesBuilt: s.shadowPagesAllocated, shadowPagesFreed: s.shadowPagesFreed, clearAlls: s.zapAlls,
    });
  } else if (pv instanceof NestedPlatform) {
    // The faults hidden from the Guest are the EPT violations; the pages built, the Host's tables.
    const s = pv.vm.stats;
    const ept = pv.vm.ept;
    Object.assign(r, {
      hiddenFaults: s.eptViolations, trips: s.exits, crWrites: s.crWrites, shadowPagesBuilt: s.tablePagesAllocated, shadowPagesFreed: s.tablePagesFreed, clearAlls: s.zapAlls,
      tlbMisses: pv.vm.mmu.tlb.misses, refsPerMiss: ept.walks ? (ept.walkRefs + ept.refsSaved) / ept.walks : 0, refsPerMissCached: ept.walks ? ept.walkRefs / ept.walks : 0,
    });
  }
  return r;
}

/** Run a workload of traces in memory, in one world and kmap mode. */
export function replay(w: Workload, world: World, kmapMode: KmapMode): WorkloadResult {
  const procs = w.procs ?? w.traces.length;
  const window = w.window ?? Infinity;
  const infos = w.traces.map((t) => ({ name: t.name, length: Math.min(t.addrs.length, window), mappings: traceMappings(t) }));
  let total = 0;
  for (let i = 0; i < procs; i++) total += infos[i % infos.length]!.length;
  const s: Schedule = { quantum: w.quantum, ioEvery: w.ioEvery, total: w.accesses ?? total, loop: w.accesses !== undefined };
  const t0 = performance.now();
  const pv = platformFor(world, w.pages);
  const run = runReplay(pv, { lowmemPages: w.lowmemPages, kmapMode }, infos, procs, s);
  // A trace in memory is one chunk; when the traces loop, the same chunk again.
  const sent = new Set<number>();
  let step = run.next();
  while (!step.done) {
    const { proc, trace } = step.value;
    const t = w.traces[trace]!;
    const chunk = s.loop || !sent.has(proc) ? { addrs: t.addrs, kinds: t.kinds, length: infos[trace]!.length, start: 0 } : null;
    sent.add(proc);
    step = run.next(chunk);
  }
  const result = resultOf(step.value, world, procs, performance.now() - t0);
  // Nothing of this machine outlives the replay: its memory can serve the next one.
  recycleMemory(pv instanceof NativePlatform ? pv.memory : pv instanceof LguestPlatform ? pv.g.memory : (pv as TransparentPlatform).vm.memory);
  return result;
}
// #endregion G-replay
