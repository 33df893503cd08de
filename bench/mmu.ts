/**
 * The MMU's cost, as ratios to the cheapest thing a simulator can do: read a
 * Uint32Array. Each task runs the same loop of 4096 accesses over 64 pages.
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
  rawNs: number;
  tlbHitNs: number;
  walkNs: number;
  tlbHitRatio: number;
  walkRatio: number;
}

export async function benchMmu(time = 1000): Promise<MmuFigures> {
  // The same addresses for every task: page p, word w.
  const addrs = new Uint32Array(N);
  for (let i = 0; i < N; i++) addrs[i] = 0x1000_0000 + (i % PAGES) * 0x1000 + ((i * 4) & 0xffc);
  const words = new Uint32Array(1 << 20);
  const hit = machine(1024); // 64 pages fit: after the first pass, every access hits
  const miss = machine(1); // one entry, alternating pages: every access walks both levels
  for (let i = 0; i < N; i++) hit.physical(addrs[i]!, READ);
  let sink = 0;

  // Two runs, each against its own raw loop: the walk's feedback must not
  // reach the TLB-hit loop before it is measured (V8 would compile the hot
  // path with the miss path inlined, as a program that always misses would).
  const raw = () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += words[(addrs[i]! >>> 2) & 0xfffff]!;
    sink += s;
  };
  const hits = new Bench({ time, warmupTime: 200 })
    .add('raw Uint32Array read', raw)
    .add('TLB-hit translation', () => {
      let s = 0;
      for (let i = 0; i < N; i++) s += hit.physical(addrs[i]!, READ);
      sink += s;
    });
  await hits.run();
  const walks = new Bench({ time, warmupTime: 200 })
    .add('raw Uint32Array read', raw)
    .add('full two-level walk', () => {
      let s = 0;
      for (let i = 0; i < N; i++) s += miss.physical(addrs[i]!, READ);
      sink += s;
    });
  await walks.run();
  if (sink === 42) console.log(''); // keep the loops alive
  if (hit.tlb.misses !== PAGES) throw new Error(`TLB-hit task missed ${hit.tlb.misses - PAGES} times`);
  if (miss.tlb.misses < N) throw new Error('full-walk task hit the TLB');
  const ns = (b: Bench, i: number) => (b.tasks[i]!.result as { latency: { mean: number } }).latency.mean * 1e6 / N;
  return {
    rawNs: ns(hits, 0), tlbHitNs: ns(hits, 1), walkNs: ns(walks, 1),
    tlbHitRatio: ns(hits, 1) / ns(hits, 0), walkRatio: ns(walks, 1) / ns(walks, 0),
  };
}
