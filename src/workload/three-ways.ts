/*
 * The Mastery chapter "Three ways to virtualize the MMU", measured: the same
 * traced programs as more and more processes, under each Host. Counts only.
 */
import type { KmapMode } from '../guest/kernel.ts';
import { LOWMEM_PAGES } from './m009.ts';
import { guestPagesFor } from './replay-files.ts';
import { replay, traceMappings, type World, type WorkloadResult } from './replay.ts';
import type { Trace } from './trace.ts';

// #region G-three-ways
/** The Hosts the chapter compares, and bare hardware to compare them with, by the names `npm run replay -- --host` takes. */
export const HOST_MODES: Record<string, { world: World; kmapMode: KmapMode }> = {
  native: { world: 'native', kmapMode: 'set-pte' },
  lguest: { world: 'lguest', kmapMode: 'set-pte' },
  'lguest-fixed': { world: 'lguest', kmapMode: 'set-pte-at' },
  shadow: { world: 'transparent', kmapMode: 'set-pte' },
  nested: { world: 'nested', kmapMode: 'set-pte' },
};

export interface SweepOptions {
  /** Accesses per time slice, and per kernel I/O write (a kmap_atomic). */
  quantum?: number;
  ioEvery?: number;
  /** Each process plays at most this many accesses of its trace. */
  window?: number;
}

/**
 * Replay `traces` as `procs` processes (process i plays trace i mod the
 * number of traces, so every count of processes that is a multiple of it
 * plays each trace equally often), under each Host in `hosts`. The Guest's
 * highmem holds every page every process touches, so more processes mean
 * more memory, not a different kind of workload.
 */
export function procsSweep(traces: Trace[], procsList: number[], hosts: string[], o: SweepOptions = {}): { procs: number; host: string; result: WorkloadResult }[] {
  const infos = traces.map((t) => ({ mappings: traceMappings(t) }));
  return procsList.flatMap((procs) => hosts.map((host) => {
    const { world, kmapMode } = HOST_MODES[host]!;
    const w = {
      traces, procs, window: o.window, quantum: o.quantum ?? 20_000, ioEvery: o.ioEvery ?? 5000,
      lowmemPages: LOWMEM_PAGES, pages: guestPagesFor({ traces: infos, procs }),
    };
    return { procs, host, result: replay(w, world, kmapMode) };
  }));
}
// #endregion G-three-ways
