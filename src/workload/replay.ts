/*
 * Replaying traces: several traced programs as Guest processes, a
 * round-robin scheduler with context switches, and the kernel's own highmem
 * traffic (an I/O write into the running process's buffer now and then, done
 * through kmap_atomic). Everything is counted.
 */
import type { FaultRecord, KmapMode } from '../guest/kernel.ts';
import { NativePlatform } from '../guest/native.ts';
import { GuestOs, userAccess } from '../guest/os.ts';
import { LguestPlatform } from '../guest/paravirt.ts';
import { FAULTED } from '../guest/platform.ts';
import type { Trace } from './trace.ts';

// #region G-replay
export interface Workload {
  traces: Trace[];
  /** Guest memory and how much of it is lowmem, in 4 KiB pages. */
  pages: number;
  lowmemPages: number;
  /** Accesses a process runs before the scheduler switches. */
  quantum: number;
  /** One kernel I/O write (a kmap_atomic) per this many accesses; 0 for none. */
  ioEvery: number;
  /** Stop after this many accesses in all (the traces loop); default: each trace once. */
  accesses?: number;
}

export interface WorkloadResult {
  world: 'native' | 'lguest';
  kmapMode: KmapMode;
  accesses: number;
  contextSwitches: number;
  kmaps: number;
  /** Faults the Guest kernel saw (identical in both worlds). */
  guestFaults: number;
  /** Each of them, in order: process, address, error code and what the kernel made of it. */
  faultLog: FaultRecord[];
  /** What the Host did; zero natively. */
  hiddenFaults: number;
  hypercalls: number;
  shadowPagesBuilt: number;
  shadowPagesFreed: number;
  clearAlls: number;
  ms: number;
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
  pages.sort();
  runs = [];
  for (const p of pages) {
    const last = runs[runs.length - 1];
    if (last && last.start / 4096 + last.pages - 1 === p) continue;
    if (last && last.start / 4096 + last.pages === p) last.pages++;
    else runs.push({ start: p * 4096, pages: 1 });
  }
  mappingsOf.set(t, runs);
  return runs;
}
const mappingsOf = new WeakMap<Trace, { start: number; pages: number }[]>();

/** Run a workload on bare hardware or under the Host, in one kmap mode. */
export function replay(w: Workload, world: 'native' | 'lguest', kmapMode: KmapMode): WorkloadResult {
  const pv = world === 'native' ? new NativePlatform(w.pages * 4096) : new LguestPlatform(w.pages * 4096, { hostPages: 2048 });
  const os = new GuestOs(pv, { lowmemPages: w.lowmemPages, kmapMode });
  const k = os.k;
  // Process 1 forks one child per trace; each child maps its program's layout.
  const pids = w.traces.map((t) => {
    os.switchTo(1);
    const pid = os.fork();
    os.switchTo(pid);
    for (const m of traceMappings(t)) os.mmapAt(m.start, m.pages);
    return pid;
  });
  const cursors = w.traces.map(() => 0);
  const total = w.accesses ?? w.traces.reduce((n, t) => n + t.addrs.length, 0);
  const switchesBefore = k.stats.contextSwitches;
  const t0 = performance.now();
  let done = 0;
  let untilIo = w.ioEvery;
  for (let turn = 0; done < total; turn = (turn + 1) % pids.length) {
    const t = w.traces[turn]!;
    if (w.accesses === undefined && cursors[turn]! >= t.addrs.length) continue;
    os.switchTo(pids[turn]!);
    const { addrs, kinds } = t;
    let at = cursors[turn]!;
    for (let n = Math.min(w.quantum, total - done); n > 0; n--) {
      if (at >= addrs.length) {
        if (w.accesses === undefined) break;
        at = 0;
      }
      const vaddr = addrs[at]!;
      if (userAccess(k, kinds[at]! as 0 | 1 | 2, vaddr, at) === FAULTED) throw new Error(`${t.name}: SIGSEGV at 0x${vaddr.toString(16)}`);
      at++;
      done++;
      if (w.ioEvery && --untilIo === 0) {
        untilIo = w.ioEvery;
        os.kernelWrite(vaddr, done);
      }
    }
    cursors[turn] = at;
  }
  const ms = performance.now() - t0;
  const host = pv instanceof LguestPlatform ? pv.g.stats : null;
  return {
    world, kmapMode, accesses: done, contextSwitches: k.stats.contextSwitches - switchesBefore, kmaps: k.stats.kmaps,
    guestFaults: k.faults.length, faultLog: k.faults, hiddenFaults: host?.hiddenFaults ?? 0, hypercalls: host?.hypercalls ?? 0,
    shadowPagesBuilt: host?.shadowPagesAllocated ?? 0, shadowPagesFreed: host?.shadowPagesFreed ?? 0, clearAlls: host?.clearAlls ?? 0, ms,
  };
}
// #endregion G-replay
