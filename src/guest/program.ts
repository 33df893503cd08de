/*
 * Programs for the Guest: a list of operations, run in order, with every
 * result kept. Two runs of one program on two Platforms can then be compared
 * item by item, which is how the book checks that shadow paging is invisible.
 */
import { LAST_PKMAP, LGUEST_DATA } from './layout.ts';
import type { FaultRecord } from './kernel.ts';
import { GuestOs } from './os.ts';
import { FAULTED } from './platform.ts';

// #region G-program
/**
 * One step. Addresses name a mapping of the current process by its index
 * (modulo how many it has), a page in it and a word in the page, so a random
 * program mostly touches memory that exists; `raw` names any address.
 */
export type Op =
  | { op: 'read' | 'write' | 'fetch'; map: number; page: number; word: number; value?: number }
  | { op: 'raw'; kind: 'read' | 'write' | 'fetch'; vaddr: number; value?: number }
  | { op: 'mmap'; pages: number; write: boolean }
  | { op: 'munmap'; map: number; page: number; pages: number }
  | { op: 'fork' }
  | { op: 'switch'; to: number }
  | { op: 'exit'; to: number }
  | { op: 'kwrite'; map: number; page: number; word: number; value: number }
  | { op: 'khold'; map: number; page: number }
  | { op: 'kread'; which: number; word: number }
  | { op: 'krelease'; which: number };

/** What a run showed: each op's result, each fault the kernel took, and the Guest's memory at the end. */
export interface Observation {
  results: (number | string)[];
  faults: FaultRecord[];
  /** Guest-physical memory at the end, lguest_data's page left out (the Host writes CR2 there). */
  memory: Uint32Array;
}

/** Run `ops` on a booted Guest. */
export function runProgram(os: GuestOs, ops: readonly Op[]): Observation {
  const results = ops.map((o) => step(os, o));
  const words = os.pv.memorySize / 4;
  const memory = new Uint32Array(words);
  for (let i = 0; i < words; i++) memory[i] = os.pv.inspect32(i * 4);
  memory.fill(0, LGUEST_DATA / 4, LGUEST_DATA / 4 + 1024);
  return { results, faults: os.k.faults, memory };
}

function address(os: GuestOs, map: number, page: number, word: number): number | null {
  const vmas = os.k.current.vmas;
  if (vmas.length === 0) return null;
  const v = vmas[map % vmas.length]!;
  const pages = (v.end - v.start) / 4096;
  return v.start + (page % pages) * 4096 + (word % 1024) * 4;
}

function step(os: GuestOs, o: Op): number | string {
  const access = (kind: string, va: number, value = 0) => {
    const v = kind === 'read' ? os.read(va) : kind === 'write' ? os.write(va, value) : os.fetch(va);
    return v === FAULTED ? 'SIGSEGV' : v;
  };
  switch (o.op) {
    case 'read': case 'write': case 'fetch': {
      const va = address(os, o.map, o.page, o.word);
      return va === null ? 'no mapping' : access(o.op, va, o.value);
    }
    case 'raw': return access(o.kind, o.vaddr >>> 0, o.value);
    case 'mmap': return os.mmap(o.pages, o.write);
    case 'munmap': {
      const va = address(os, o.map, o.page, 0);
      if (va === null) return 'no mapping';
      os.munmap(va, o.pages);
      return va;
    }
    case 'fork': return os.k.frames.free < 64 ? 'ENOMEM' : os.fork();
    case 'switch': {
      const pids = os.pids;
      os.switchTo(pids[o.to % pids.length]!);
      return os.pid;
    }
    case 'exit': {
      const pids = os.pids;
      if (pids.length < 2) return 'last process';
      const next = pids.find((p) => p !== os.pid)!;
      const dying = os.pid;
      os.exit(dying, pids[o.to % pids.length] === dying ? next : pids[o.to % pids.length]!);
      return dying;
    }
    case 'kwrite': {
      const va = address(os, o.map, o.page, o.word);
      return va === null ? 'no mapping' : String(os.kernelWrite(va, o.value));
    }
    case 'khold': {
      // A pool's worth of holds at most: a driver that never lets go would exhaust it.
      const va = address(os, o.map, o.page, 0);
      return va === null ? 'no mapping' : os.held.length >= LAST_PKMAP - 2 ? 'busy' : String(os.kernelHold(va));
    }
    case 'kread': return os.held.length === 0 ? 'nothing held' : os.kernelReadHeld(o.which % os.held.length, o.word * 4);
    case 'krelease': {
      if (os.held.length === 0) return 'nothing held';
      os.kernelRelease(o.which % os.held.length);
      return os.held.length;
    }
  }
}
// #endregion G-program
