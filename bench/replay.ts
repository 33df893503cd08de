/**
 * The traced programs replayed through Guest and Host: the speed of the
 * whole simulator, and M:009 in hidden faults, lguest's kmap against ours.
 */
import type { KmapMode } from '../src/guest/kernel.ts';
import { LguestPlatform } from '../src/guest/paravirt.ts';
import { NativePlatform } from '../src/guest/native.ts';
import { TransparentPlatform } from '../src/guest/transparent.ts';
import { recycleMemory } from '../src/hw/phys-memory.ts';
import { loadTraces, LOWMEM_PAGES, perMillion } from '../src/workload/m009.ts';
import { platformFor, replay, resultOf, runReplay, traceMappings, type Chunk, type Schedule, type Workload, type World, type WorkloadResult } from '../src/workload/replay.ts';

export interface ReplayFigures {
  native: Timed;
  lguest: Timed;
  fixed: Timed;
  /** The same Guest on its native platform, under the transparent shadow-paging Host (chapter "Three ways"). */
  transparent: Timed;
}

/**
 * A replay's counts, and the time it took: the sum of its pieces' lower
 * quartiles over the rounds (ms); and, for comparison, the processor time
 * of the quickest and slowest whole rounds.
 */
export interface Timed {
  result: WorkloadResult;
  ms: number;
  spread: [number, number];
}

const ROUNDS = 9;
/** Accesses per piece of a trace handed to the scheduler: a piece of the run is about a millisecond. */
const CHUNK = 20_000;

/**
 * Every committed trace once, in a Guest with as much highmem as lowmem, I/O
 * every 5000 accesses. The worlds run interleaved, so any drift is shared.
 *
 * A run is timed in pieces: the traces are handed to the scheduler 20,000
 * accesses at a time, as a streamed trace is, and each stretch between two
 * hand-overs is timed on its own. The replay is deterministic, so piece j of
 * a world does the same work in every round; its time is the lower quartile
 * of its rounds, and the run's time is the sum of its pieces'. That is how
 * the run costs undisturbed: these machines' processors are shared with work
 * we cannot see, which for stretches of seconds makes this kind of code up
 * to twice as slow (bench/mmu.ts says more), and a median of whole runs was
 * 52 or 31 M accesses/s depending on whether the run met such a stretch. A
 * piece is short enough that, in every stretch, some rounds of it escape.
 * (Processor time, used before, is no help here: the disturbance is inside
 * the processor time.)
 */
export function benchReplay(root: string): ReplayFigures {
  const traces = loadTraces(root);
  const w = { traces, pages: 2 * LOWMEM_PAGES, lowmemPages: LOWMEM_PAGES, quantum: 20_000, ioEvery: 5000 };
  const worlds: Record<'native' | 'lguest' | 'fixed' | 'transparent', [World, KmapMode]> = {
    native: ['native', 'set-pte'],
    lguest: ['lguest', 'set-pte'],
    fixed: ['lguest', 'set-pte-at'],
    transparent: ['transparent', 'set-pte'],
  };
  type Name = keyof typeof worlds;
  const names = Object.keys(worlds) as Name[];
  // The counts must not differ at all from one run to the next, nor from the replay handed whole traces.
  const counts = (r: WorkloadResult) => JSON.stringify({ ...r, ms: 0 });
  const expected = new Map(names.map((n) => [n, counts(replay(w, ...worlds[n]))]));
  // Two warm-up rounds, interleaved as the measured ones are, so that all four
  // are measured compiled for what they share (the first round recompiles it).
  for (let round = 0; round < 2; round++) for (const name of names) replayInPieces(w, ...worlds[name], []);
  const runs = new Map<Name, { result: WorkloadResult; pieces: number[]; cpuMs: number }[]>(names.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const pieces: number[] = [];
      const before = process.cpuUsage();
      const result = replayInPieces(w, ...worlds[name], pieces);
      const { user, system } = process.cpuUsage(before);
      runs.get(name)!.push({ result, pieces, cpuMs: (user + system) / 1000 });
    }
  }
  const timed = (name: Name): Timed => {
    const rs = runs.get(name)!;
    if (rs.some((r) => counts(r.result) !== expected.get(name) || r.pieces.length !== rs[0]!.pieces.length)) {
      throw new Error(`bench: a replay of ${name} counted differently from one run to the next, or in pieces`);
    }
    let ms = 0;
    for (let j = 0; j < rs[0]!.pieces.length; j++) ms += lowerQuartile(rs.map((r) => r.pieces[j]!));
    const whole = rs.map((r) => r.cpuMs).sort((a, b) => a - b);
    return { result: rs[0]!.result, ms, spread: [whole[0]!, whole[whole.length - 1]!] };
  };
  return { native: timed('native'), lguest: timed('lguest'), fixed: timed('fixed'), transparent: timed('transparent') };
}

const lowerQuartile = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 4)]!;

/**
 * `replay` (src/workload/replay.ts), with the traces handed over CHUNK
 * accesses at a time and the time of each stretch between hand-overs, in
 * ms, pushed onto `pieces`.
 */
function replayInPieces(w: Workload, world: World, kmapMode: KmapMode, pieces: number[]): WorkloadResult {
  const procs = w.traces.length;
  const infos = w.traces.map((t) => ({ name: t.name, length: t.addrs.length, mappings: traceMappings(t) }));
  const total = infos.reduce((n, t) => n + t.length, 0);
  const s: Schedule = { quantum: w.quantum, ioEvery: w.ioEvery, total, loop: false };
  const pv = platformFor(world, w.pages);
  const at = new Array<number>(procs).fill(0);
  let t = process.hrtime.bigint();
  const run = runReplay(pv, { lowmemPages: w.lowmemPages, kmapMode }, infos, procs, s);
  let step = run.next();
  while (!step.done) {
    const now = process.hrtime.bigint();
    pieces.push(Number(now - t) / 1e6);
    const { proc, trace } = step.value;
    const tr = w.traces[trace]!;
    const from = at[proc]!;
    const length = Math.min(CHUNK, tr.addrs.length - from);
    const chunk: Chunk | null = length > 0 ? { addrs: tr.addrs.subarray(from, from + length), kinds: tr.kinds.subarray(from, from + length), length, start: from } : null;
    at[proc] = from + Math.max(length, 0);
    t = process.hrtime.bigint();
    step = run.next(chunk);
  }
  pieces.push(Number(process.hrtime.bigint() - t) / 1e6);
  const result = resultOf(step.value, world, procs, 0);
  recycleMemory(pv instanceof NativePlatform ? pv.memory : pv instanceof LguestPlatform ? pv.g.memory : (pv as TransparentPlatform).vm.memory);
  return result;
}

export function printReplay(f: ReplayFigures): void {
  const rate = (t: Timed, ms = t.ms) => t.result.accesses / ms / 1000;
  const r = { native: f.native.result, lguest: f.lguest.result, fixed: f.fixed.result };
  console.log(`\nTrace replay (${r.lguest.accesses} accesses of 4 traced programs, ${r.lguest.contextSwitches} context switches, ${r.lguest.kmaps} kmaps;`);
  console.log(`per second, each piece of a run (the stretch between two hand-overs of ${CHUNK} accesses) timed at the lower quartile of ${ROUNDS} interleaved rounds;`);
  console.log('the runs column: whole rounds in processor time, the slowest and fastest, for comparison):');
  console.log('  world                   M accesses/s   (runs)          hidden faults per M   clear-alls   shadow pages built');
  for (const [name, t] of [['bare hardware', f.native], ["Host, lguest's kmap", f.lguest], ['Host, fixed kmap', f.fixed], ['transparent Host', f.transparent]] as const) {
    const x = t.result;
    const runs = `(${rate(t, t.spread[1]).toFixed(1)}–${rate(t, t.spread[0]).toFixed(1)})`;
    console.log(`  ${name.padEnd(22)}  ${rate(t).toFixed(1).padStart(12)}   ${runs.padEnd(14)}  ${perMillion(x).toFixed(0).padStart(19)}   ${String(x.clearAlls).padStart(10)}   ${String(x.shadowPagesBuilt).padStart(18)}`);
  }
  const perSwitch = (x: WorkloadResult) => (x.hiddenFaults / x.contextSwitches).toFixed(1);
  // Host time: what the run took beyond the same run on bare hardware, per million accesses.
  const hostMs = (t: Timed) => (((t.ms - f.native.ms) / t.result.accesses) * 1e6).toFixed(1);
  console.log(`  per context switch: ${perSwitch(r.lguest)} hidden faults with lguest's kmap, ${perSwitch(r.fixed)} fixed`);
  console.log(`  host time per M accesses (time beyond bare hardware): ${hostMs(f.lguest)} ms with lguest's kmap, ${hostMs(f.fixed)} ms fixed`);
  console.log(`  hidden faults cut by the fix: ${(r.lguest.hiddenFaults / r.fixed.hiddenFaults).toFixed(1)}x (target ≥ 10x); slowest replay ${Math.min(rate(f.lguest), rate(f.fixed)).toFixed(1)} M accesses/s (target ≥ 20)`);
  console.log(`  run time, lguest's kmap / fixed: ${(f.lguest.ms / f.fixed.ms).toFixed(2)}x`);
  console.log(`  fixed kmap ${rate(f.fixed).toFixed(1)} M accesses/s (target ≥ 50); lguest's kmap ${(f.lguest.ms / f.native.ms).toFixed(2)}x slower than bare hardware (target ≤ 2x)`);
}
