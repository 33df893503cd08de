/**
 * The MMU's cost, as ratios to a raw access: the same loads and stores a
 * program makes, into the same physical memory, without translation.
 *
 * Every case runs one loop of 4096 accesses: each cache line of 64 pages
 * once (256 KiB, more than a first-level cache holds), in a shuffled order,
 * as reads, writes and fetches mixed the way a program mixes them. Neither
 * the kind nor the address is a constant the engine could fold. Each access
 * is translated and then really made, so a translated loop does all the raw
 * loop does, and the ratio is what translation adds. The raw loop sums into
 * an integer, so it is bound by its loads, not by a chain of floating-point
 * adds; it costs about twice as much as the same loop over a 16 KiB set.
 *
 * Two more cases are no MMU at all: the work of a TLB hit and of the common
 * 32-bit miss written by hand into the loop over bare typed arrays. They are
 * the floor for that work in JavaScript, to read the MMU's figures against.
 *
 * Each case runs in its own worker, a fresh V8 isolate, as a simulator runs
 * one paging mode: feedback from the other cases (a PAE miss path, say) must
 * not reach its compiled code. Within a round, each worker times its raw loop
 * and its case alternately, so both see the same machine load; the ratio is
 * taken per round, and the report is the median of the rounds with their
 * spread. Rounds go from worker to worker, so drift shows in every case alike.
 * The loops are plain functions, not closures made once, so the engine
 * compiles them for any arrays and folds none of them in as constants.
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { CR0_PE, CR0_PG, CR4_PAE, CR4_PSE, Mmu } from '../src/hw/mmu.ts';
import { PhysicalMemory } from '../src/hw/phys-memory.ts';
import { PTE_D, PTE_P, PTE_RW } from '../src/hw/pte.ts';
import { FETCH, READ, WRITE, type AccessKind } from '../src/hw/rights.ts';
import { Builder32, BuilderPae, FrameAllocator } from '../src/tools/builder.ts';

const N = 4096;
const PAGES = 64;
const BASE = 0x1000_0000;

/**
 * The access kinds again, as a `const enum` so that the bundler writes the
 * numbers into the loops. (It writes in an imported constant only when the
 * module defining it imports nothing, which rights.ts does not; a module
 * variable would cost both loops a load and a check per access.)
 */
const enum Kind { READ = 0, WRITE = 1, FETCH = 2 }
if (Kind.READ !== READ || Kind.WRITE !== WRITE || Kind.FETCH !== FETCH) throw new Error('bench: access kinds out of step with rights.ts');

/** The cases, in the order they are printed. */
export const MMU_CASES = {
  hit: 'TLB hit',
  miss32: '32-bit miss (4 KiB page, A and D already set)',
  missPae: 'PAE miss (4 KiB page, A and D already set)',
  missDirty: '32-bit miss that sets Dirty (every access a write)',
  missLarge: '32-bit miss to a 4 MiB page',
  floorHit: 'TLB hit, hand-fused (no MMU object: the floor)',
  floorMiss32: '32-bit miss, hand-fused (no MMU object: the floor)',
} as const;
export type MmuCase = keyof typeof MMU_CASES;

/** What one case measured in one round. */
interface Round {
  rawNs: number;
  caseNs: number;
}

// The loops.
// Plain functions, not closures: the engine compiles them for any arrays they
// are given, and cannot fold one case's arrays into the code as constants.

function rawLoop(paddrs: Uint32Array, kinds: Uint8Array, words: Int32Array): number {
  let s = 0;
  for (let i = 0; i < paddrs.length; i++) {
    const w = paddrs[i]! >>> 2;
    if (kinds[i] === Kind.WRITE) words[w] = s;
    else s = (s + words[w]!) | 0;
  }
  return s;
}

function mmuLoop(mmu: Mmu, vaddrs: Uint32Array, kinds: Uint8Array, words: Int32Array): number {
  let s = 0;
  for (let i = 0; i < vaddrs.length; i++) {
    const kind = kinds[i]! as AccessKind;
    const w = mmu.physical(vaddrs[i]!, kind) >>> 2;
    if (kind === Kind.WRITE) words[w] = s;
    else s = (s + words[w]!) | 0;
  }
  return s;
}

/** Every access a write to a page whose Dirty bit was just cleared, as an OS does after writing a page back. */
function dirtyLoop(mmu: Mmu, vaddrs: Uint32Array, ptes: Uint32Array, words: Int32Array): number {
  let s = 0;
  for (let i = 0; i < vaddrs.length; i++) {
    words[ptes[i]!] = words[ptes[i]!]! & ~PTE_D;
    words[mmu.physical(vaddrs[i]!, Kind.WRITE) >>> 2] = s;
    s = (s + 1) | 0;
  }
  return s;
}
/**
 * The floor: the work of a TLB hit, or of the fast 32-bit miss and its fill,
 * written into the loop by hand over bare typed arrays, with no MMU object,
 * no methods and no fallback (anything but the common case throws). What a
 * translation with these semantics costs in JavaScript at the least; the
 * MMU's figures are to be read against these as well as against raw.
 */
function floorLoop(vaddrs: Uint32Array, kinds: Uint8Array, words: Int32Array, rows: Int32Array, mask: number, allows: Uint8Array, pd: number): number {
  let s = 0;
  for (let i = 0; i < vaddrs.length; i++) {
    const kind = kinds[i]!;
    const vaddr = vaddrs[i]!;
    const vpn = vaddr >>> 12;
    const at = (vpn & mask) << 3;
    let pa: number;
    if (rows[at + kind] === vpn) pa = rows[at + 3]! | (vaddr & 0xfff);
    else {
      const pde = words[pd + (vaddr >>> 22)]!;
      if ((pde & 0xa1) !== 0x21) throw new Error('floor: not the common case');
      const pte = words[((pde & 0xffff_f000) >>> 2) + (vpn & 0x3ff)]!;
      if ((pte & 0x21) !== 0x21 || pte < 0) throw new Error('floor: not the common case');
      const rights = (pde & pte & 6) | (pte & 0x40);
      const allowed = allows[rights]!;
      if ((allowed & (1 << kind)) === 0) throw new Error('floor: not the common case');
      const base = pte & 0xffff_f000;
      rows[at] = allowed & 1 ? vpn : -1;
      rows[at + 1] = allowed & 2 ? vpn : -1;
      rows[at + 2] = allowed & 4 ? vpn : -1;
      rows[at + 3] = base;
      rows[at + 4] = vpn;
      rows[at + 5] = rights;
      rows[at + 6] = 12;
      pa = base | (vaddr & 0xfff);
    }
    const w = pa >>> 2;
    if (kind === Kind.WRITE) words[w] = s;
    else s = (s + words[w]!) | 0;
  }
  return s;
}

/**
 * The 4096 accesses: each of the 64 pages' 64 cache lines once, in a shuffled
 * order with no page twice in a row (so a one-entry TLB misses every time),
 * and a program's mix of kinds. The same pseudo-random order every run.
 */
function accesses(allWrites: boolean): { vaddrs: Uint32Array; kinds: Uint8Array } {
  let seed = 12345;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const order = Array.from({ length: N }, (_, i) => i);
  for (let i = N - 1; i > 0; i--) {
    const j = random(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const page = (i: number) => order[i]! % PAGES;
  for (let i = 1; i < N; i++) {
    if (page(i) !== page(i - 1)) continue;
    let j = (i + 1) % N;
    while (page(j) === page(i) || page(j) === page(i - 1)) j = (j + 1) % N;
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const vaddrs = new Uint32Array(N);
  const kinds = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const line = Math.floor(order[i]! / PAGES);
    vaddrs[i] = BASE + page(i) * 0x1000 + line * 64 + (i % 16) * 4;
    const r = random(100);
    // About 60% reads, 25% writes, 15% instruction fetches.
    kinds[i] = allWrites ? Kind.WRITE : r < 60 ? Kind.READ : r < 85 ? Kind.WRITE : Kind.FETCH;
  }
  return { vaddrs, kinds };
}

/** A machine for one case: memory, tables, an MMU, and the accesses made once so A and D are set. */
function machine(which: MmuCase) {
  const memory = new PhysicalMemory(8 << 20);
  const frames = new FrameAllocator(memory, 16);
  const mmu = new Mmu(memory, { tlbSize: which === 'hit' || which === 'floorHit' ? 1024 : 1 });
  const ptes = new Uint32Array(N);
  const { vaddrs, kinds } = accesses(which === 'missDirty');
  if (which === 'missPae') {
    const space = new BuilderPae(memory, frames);
    for (let p = 0; p < PAGES; p++) space.map(BASE + p * 0x1000, (256 + p) * 0x1000, PTE_P | PTE_RW);
    mmu.writeCr4(CR4_PAE);
    mmu.writeCr3(space.cr3);
  } else {
    const space = new Builder32(memory, frames);
    if (which === 'missLarge') space.map4M(BASE, 0x40_0000, PTE_P | PTE_RW);
    else for (let p = 0; p < PAGES; p++) space.map(BASE + p * 0x1000, (256 + p) * 0x1000, PTE_P | PTE_RW);
    for (let i = 0; i < N; i++) ptes[i] = which === 'missLarge' ? 0 : space.pteAddr(vaddrs[i]!) >>> 2;
    mmu.writeCr4(which === 'missLarge' ? CR4_PSE : 0);
    mmu.writeCr3(space.cr3);
  }
  mmu.writeCr0(CR0_PE | CR0_PG);
  const paddrs = new Uint32Array(N);
  for (let i = 0; i < N; i++) {
    paddrs[i] = mmu.physical(vaddrs[i]!, kinds[i]! as AccessKind);
    if ((paddrs[i]! | 0) < 0) throw new Error(`bench ${which}: access ${i} faulted`);
  }
  // The floor's own TLB: a copy of the warm one for hits, one empty row for misses.
  const rows = which === 'floorHit' ? mmu.tlb.rows.slice() : new Int32Array(8).fill(-1);
  return {
    mmu, memory, vaddrs, kinds, paddrs, ptes, rows, words: new Int32Array(memory.bytes.buffer), sink: new Int32Array(2), loops: 0,
  };
}
type Machine = ReturnType<typeof machine>;

// Each loop has its own timer, written out, so that each timer calls one
// loop only: a timer shared by two loops is compiled for the first, thrown
// away at the second, and compiled again for both. (Closures made by one
// factory share their compiled code, so a factory would not do.)

function timeRaw(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[0] = m.sink[0]! ^ rawLoop(m.paddrs, m.kinds, m.words);
    out.push(Number(process.hrtime.bigint() - t) / N);
  } while (performance.now() < end);
}

function timeMmu(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[1] = m.sink[1]! ^ mmuLoop(m.mmu, m.vaddrs, m.kinds, m.words);
    out.push(Number(process.hrtime.bigint() - t) / N);
    m.loops++;
  } while (performance.now() < end);
}

function timeFloor(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[1] = m.sink[1]! ^ floorLoop(m.vaddrs, m.kinds, m.words, m.rows, m.rows.length / 8 - 1, m.mmu.tlb.allows, m.mmu.cr3 >>> 2);
    out.push(Number(process.hrtime.bigint() - t) / N);
  } while (performance.now() < end);
}

function timeDirty(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[1] = m.sink[1]! ^ dirtyLoop(m.mmu, m.vaddrs, m.ptes, m.words);
    out.push(Number(process.hrtime.bigint() - t) / N);
    m.loops++;
  } while (performance.now() < end);
}

/**
 * The case's loop must do the raw loop's work: from the same memory, the
 * same sum and the same bytes afterwards. (Not for the Dirty case, whose
 * loop also clears D bits, nor the floors, whose loop is checked as it runs.)
 */
function checkSameWork(m: Machine, which: MmuCase): void {
  if (which === 'missDirty' || which.startsWith('floor')) return;
  const bytes = m.memory.bytes;
  const before = bytes.slice();
  const translated = mmuLoop(m.mmu, m.vaddrs, m.kinds, m.words);
  const after = bytes.slice();
  bytes.set(before);
  const raw = rawLoop(m.paddrs, m.kinds, m.words);
  if (translated !== raw || Buffer.compare(after, bytes) !== 0) throw new Error(`bench ${which}: the loop does not do the raw loop's work`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The worker's side: build the case, warm both loops, then time a round whenever asked. */
export function serveMmuCase(): void {
  const which = workerData.mmuCase as MmuCase;
  const m = machine(which);
  const time = which === 'missDirty' ? timeDirty : which.startsWith('floor') ? timeFloor : timeMmu;
  checkSameWork(m, which);
  const missesBefore = m.mmu.tlb.misses;
  timeRaw(m, 300, []);
  time(m, 300, []);
  parentPort!.on('message', (msg: { slice: number } | 'done') => {
    if (msg === 'done') {
      // Every case must have done what it says: no miss on a hit, a walk on every miss.
      const misses = m.mmu.tlb.misses - missesBefore;
      const expected = which === 'hit' || which.startsWith('floor') ? 0 : m.loops * N;
      const error = misses === expected ? null : `bench ${which}: ${misses} TLB misses, expected ${expected}`;
      parentPort!.postMessage({ error });
      return;
    }
    const rawNs: number[] = [];
    const caseNs: number[] = [];
    // raw, case, case, raw: the same share of the round's time for each.
    timeRaw(m, msg.slice, rawNs);
    time(m, msg.slice, caseNs);
    time(m, msg.slice, caseNs);
    timeRaw(m, msg.slice, rawNs);
    parentPort!.postMessage({ rawNs: median(rawNs), caseNs: median(caseNs) } satisfies Round);
  });
}

export interface CaseFigures {
  /** Medians over the rounds. */
  rawNs: number;
  caseNs: number;
  /** The median of the rounds' ratios, each taken against its own round's raw loop. */
  ratio: number;
  /** The lowest and highest round ratios. */
  spread: [number, number];
}

/** Run every case for `rounds` rounds, interleaved, each in its own worker started from `entry`. */
export async function benchMmu(entry: URL, rounds = 9, slice = 20): Promise<Record<MmuCase, CaseFigures>> {
  const names = Object.keys(MMU_CASES) as MmuCase[];
  const workers = names.map((mmuCase) => new Worker(entry, { workerData: { mmuCase } }));
  const ask = (w: Worker, msg: unknown) => new Promise<Round & { error?: string | null }>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
    w.postMessage(msg);
  });
  const seen = new Map<MmuCase, Round[]>(names.map((n) => [n, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < names.length; i++) seen.get(names[i]!)!.push(await ask(workers[i]!, { slice }));
    }
    for (const w of workers) {
      const { error } = await ask(w, 'done');
      if (error) throw new Error(error);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const figures = {} as Record<MmuCase, CaseFigures>;
  for (const name of names) {
    const rs = seen.get(name)!;
    const ratios = rs.map((x) => x.caseNs / x.rawNs);
    figures[name] = {
      rawNs: median(rs.map((x) => x.rawNs)), caseNs: median(rs.map((x) => x.caseNs)),
      ratio: median(ratios), spread: [Math.min(...ratios), Math.max(...ratios)],
    };
  }
  return figures;
}
