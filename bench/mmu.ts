/**
 * The MMU's cost, as ratios to the cheapest thing a simulator can do: read a
 * Uint32Array. Each task runs the same loop of 4096 accesses over 64 pages.
 *
 * The loops are closures made once, so V8 folds what they capture (the
 * arrays, the MMU) into their code. That makes the raw read as cheap as it
 * ever gets, about three cycles: the strictest thing to measure against.
 * Called a second time in one process, the same loops are compiled without
 * that folding, the raw read costs nearly twice as much, and the ratios
 * shrink accordingly. `npm run bench` judges its targets on the first call
 * and prints the second beside it for comparison.
 */
import { Bench } from 'tinybench';
import { CR0_PE, CR0_PG, Mmu } from '../src/hw/mmu.ts';
import { PhysicalMemory } from '../src/hw/phys-memory.ts';
import { PTE_P, PTE_RW } from '../src/hw/pte.ts';
import { READ } from '../src/hw/rights.ts';
import { Builder32, FrameAllocator } from '../src/tools/builder.ts';

const N = 4096;
const PAGES = 64;

function machine(tlbSize: number): Mmu {
  const memory = new PhysicalMemory(4 << 20);
  const space = new Builder32(memory, new FrameAllocator(memory, 16));
  for (let p = 0; p < PAGES; p++) space.map(0x1000_0000 + p * 0x1000, (256 + p) * 0x1000, PTE_P | PTE_RW);
  const mmu = new Mmu(memory, { tlbSize });
  mmu.writeCr3(space.cr3);
  mmu.writeCr0(CR0_PE | CR0_PG);
  return mmu;
}

export interface MmuFigures {
  /** The raw read: the mean of the two phases' medians. */
  rawNs: number;
  tlbHitNs: number;
  walkNs: number;
  /** Medians over the rounds, each round's ratio measured against its own raw loop. */
  tlbHitRatio: number;
  walkRatio: number;
  /** The lowest and highest round ratios, to show how steady the machine was. */
  tlbHitSpread: [number, number];
  walkSpread: [number, number];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * `rounds` short tinybench runs of the raw loop against `task`, alternating,
 * each figure a median per access. A shared machine drifts in speed over
 * seconds; a ratio taken within one round, then the median of the rounds,
 * drifts far less than a ratio of two long averages taken apart.
 */
async function ratioRounds(raw: () => void, name: string, task: () => void, rounds: number, time: number) {
  const rawNs: number[] = [];
  const taskNs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const bench = new Bench({ time, warmupTime: r === 0 ? 300 : 50 }).add('raw Uint32Array read', raw).add(name, task);
    await bench.run();
    const ns = (i: number) => (bench.tasks[i]!.result as { latency: { p50: number } }).latency.p50 * 1e6 / N;
    rawNs.push(ns(0));
    taskNs.push(ns(1));
    ratios.push(ns(1) / ns(0));
  }
  return { rawNs: median(rawNs), taskNs: median(taskNs), ratio: median(ratios), spread: [Math.min(...ratios), Math.max(...ratios)] as [number, number] };
}

export async function benchMmu(rounds = 7, time = 200): Promise<MmuFigures> {
  // The same addresses for every task: page p, word w.
  const addrs = new Uint32Array(N);
  for (let i = 0; i < N; i++) addrs[i] = 0x1000_0000 + (i % PAGES) * 0x1000 + ((i * 4) & 0xffc);
  const words = new Uint32Array(1 << 20);
  const hit = machine(1024); // 64 pages fit: after the first pass, every access hits
  const miss = machine(1); // one entry, alternating pages: every access walks both levels
  for (let i = 0; i < N; i++) hit.physical(addrs[i]!, READ);
  // Where each loop leaves its sum, so the engine cannot drop the loop. One
  // typed slot per loop: a shared `let` would turn from small integer to
  // double when the first MMU loop's sum outgrew 2^31, and deoptimize the raw
  // loop then, leaving it slow for some rounds and the ratios flattered.
  const sink = new Float64Array(3);

  // Two phases, each against the same raw loop: the walk's feedback must not
  // reach the TLB-hit loop before it is measured (V8 would compile the hot
  // path with the miss path inlined, as a program that always misses would).
  const raw = () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += words[(addrs[i]! >>> 2) & 0xfffff]!;
    sink[0] = sink[0]! + s;
  };
  const hits = await ratioRounds(raw, 'TLB-hit translation', () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += hit.physical(addrs[i]!, READ);
    sink[1] = sink[1]! + s;
  }, rounds, time);
  const walks = await ratioRounds(raw, 'full two-level walk', () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += miss.physical(addrs[i]!, READ);
    sink[2] = sink[2]! + s;
  }, rounds, time);
  if (hit.tlb.misses !== PAGES) throw new Error(`TLB-hit task missed ${hit.tlb.misses - PAGES} times`);
  if (miss.tlb.misses < N) throw new Error('full-walk task hit the TLB');
  return {
    rawNs: (hits.rawNs + walks.rawNs) / 2, tlbHitNs: hits.taskNs, walkNs: walks.taskNs,
    tlbHitRatio: hits.ratio, walkRatio: walks.ratio, tlbHitSpread: hits.spread, walkSpread: walks.spread,
  };
}
