/**
 * The MMU's cost, as ratios to a raw access: the same loads and stores a
 * program makes, into the same physical memory, without translation.
 *
 * The baseline is a read bound by memory. Each access loads, from the cache
 * line it reaches, the address of the next access, as a program walking a
 * linked structure does, so no access can start before the one before it has
 * finished: the raw loop costs what the cache's latency costs, not what its
 * arithmetic costs. The chain visits every cache line of 128 pages once per
 * loop (512 KiB: more than the first-level data cache, less than the second),
 * in a shuffled order with no page twice in a row, as reads, writes and
 * fetches mixed the way a program mixes them (a write also stores into its
 * line). Neither the kind nor the address is a constant the engine could
 * fold. Each access is translated and then really made, so a translated loop
 * does all the raw loop does, and the ratio is what translation adds to an
 * access that waits for memory.
 *
 * Two other views are printed for comparison, with the same MMU: the same
 * chain over 8 pages (32 KiB, all in the first-level cache, where a raw read
 * is cheapest), and independent accesses to the 128 pages (each address from
 * a list, not from memory), a loop bound by the engine's instructions and the
 * access kind's branch, not by memory: it costs the same over 16 KiB as over
 * 512 KiB.
 *
 * Two more cases are no MMU at all: the work of a TLB hit and of the common
 * 32-bit miss written by hand into the loop over bare typed arrays. They are
 * the floor for that work in JavaScript, to read the MMU's figures against.
 *
 * Why a hit in the chain stays near 1.5x: the row's page base is a load that
 * the next access's address waits for. One way round it was tried and
 * dropped (2026-11-30). A hit guessed its answer as the linear address plus
 * the last hit's distance to its frame, and read the row only to confirm the
 * guess, a branch the processor predicts and runs past. Over frames that
 * follow one another (a kernel's direct map) the chain's hit fell from 1.56x
 * to 1.14x. But independent hits rose from 2.56x to 3.66x, and the traced
 * programs guessed right on 49% of their 317 million hits, a coin toss, so
 * the branch was mispredicted half the time. Their replays ran 6-14% slower,
 * bare hardware and the fixed kmap alike (two runs each way, one after the
 * other, on a loaded machine). A bench figure that costs real programs
 * speed is not worth having.
 *
 * Each case runs in its own worker, a fresh V8 isolate, as a simulator runs
 * one paging mode: feedback from the other cases (a PAE miss path, say) must
 * not reach its compiled code. Within a round, each worker times its raw loop
 * and its case alternately, so both see the same machine load; the ratio is
 * taken per round, and the report is the median of the rounds with their
 * spread. Rounds go from worker to worker, so drift shows in every case alike.
 *
 * Within a round, each loop's time is the lower decile of its samples (a
 * sample is one pass of the loop, about 100 µs), not their median. These
 * machines are virtual, and their processors are shared with work we cannot
 * see: for stretches of seconds, loops that store as they go (a TLB fill
 * writes a row) run up to twice as slow in many of their samples, while a
 * raw chain of loads slows by a tenth, so a round's medians said 4.2x for
 * the 32-bit miss where the undisturbed samples of the same round said 2.5x,
 * and a run's figure depended on whether it met such a stretch. The
 * disturbance comes and goes within a round, so some samples of each loop
 * escape it: the lower decile of each loop is its cost undisturbed, and the
 * raw loop and the case are read the same way. (Nothing in the machine shows
 * the disturbance: no steal time, and a hog of our own on the other processor
 * does not cause it. Pinned to one processor, a run still meets it.)
 * The loops are plain functions, not closures made once, so the engine
 * compiles them for any arrays and folds none of them in as constants.
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { CR0_PE, CR0_PG, CR4_PAE, CR4_PSE, Mmu } from '../src/hw/mmu.ts';
import { PhysicalMemory } from '../src/hw/phys-memory.ts';
import { PTE_D, PTE_P, PTE_RW } from '../src/hw/pte.ts';
import { FETCH, READ, WRITE, type AccessKind } from '../src/hw/rights.ts';
import { Builder32, BuilderPae, FrameAllocator } from '../src/tools/builder.ts';

const BASE = 0x1000_0000;
/** Where the pages are in physical memory: at 4 MiB, so that the 4 MiB page of the large-page case is the same memory. */
const FRAME0 = 0x400;

/**
 * The access kinds again, as a `const enum` so that the bundler writes the
 * numbers into the loops. (It writes in an imported constant only when the
 * module defining it imports nothing, which rights.ts does not; a module
 * variable would cost both loops a load and a check per access.)
 */
const enum Kind { READ = 0, WRITE = 1, FETCH = 2 }
if (Kind.READ !== READ || Kind.WRITE !== WRITE || Kind.FETCH !== FETCH) throw new Error('bench: access kinds out of step with rights.ts');

/** Where in a cache line the chain keeps the next access's physical address, its linear address, and a write's store. */
const enum Word { NEXT_PHYSICAL = 0, NEXT_LINEAR = 1, STORE = 2 }

type Work = 'hit' | 'miss32' | 'missPae' | 'missDirty' | 'missLarge' | 'floorHit' | 'floorMiss32';
interface CaseSpec {
  label: string;
  work: Work;
  /** Each address loaded from the line before ('chain'), or read from a list ('independent'). */
  loop: 'chain' | 'independent';
  pages: number;
}

/** The cases, in the order they are printed. */
export const MMU_CASES = {
  hit: { label: 'TLB hit', work: 'hit', loop: 'chain', pages: 128 },
  miss32: { label: '32-bit miss (4 KiB page, A and D already set)', work: 'miss32', loop: 'chain', pages: 128 },
  missPae: { label: 'PAE miss (4 KiB page, A and D already set)', work: 'missPae', loop: 'chain', pages: 128 },
  missDirty: { label: '32-bit miss that sets Dirty (every access a write)', work: 'missDirty', loop: 'chain', pages: 128 },
  missLarge: { label: '32-bit miss to a 4 MiB page', work: 'missLarge', loop: 'chain', pages: 128 },
  floorHit: { label: 'TLB hit, hand-fused (no MMU object: the floor)', work: 'floorHit', loop: 'chain', pages: 128 },
  floorMiss32: { label: '32-bit miss, hand-fused (no MMU object: the floor)', work: 'floorMiss32', loop: 'chain', pages: 128 },
  hitL1: { label: 'TLB hit', work: 'hit', loop: 'chain', pages: 8 },
  miss32L1: { label: '32-bit miss (4 KiB page, A and D already set)', work: 'miss32', loop: 'chain', pages: 8 },
  hitIndependent: { label: 'TLB hit', work: 'hit', loop: 'independent', pages: 128 },
  miss32Independent: { label: '32-bit miss (4 KiB page, A and D already set)', work: 'miss32', loop: 'independent', pages: 128 },
  floorHitIndependent: { label: 'TLB hit, hand-fused (no MMU object: the floor)', work: 'floorHit', loop: 'independent', pages: 128 },
} as const satisfies Record<string, CaseSpec>;
export type MmuCase = keyof typeof MMU_CASES;

/** What one case measured in one round: each loop's lower decile, in ns per access. */
interface Round {
  rawNs: number;
  caseNs: number;
}

// The loops.
// Plain functions, not closures: the engine compiles them for any arrays they
// are given, and cannot fold one case's arrays into the code as constants.
// Both kinds of loop sum the page offsets of the addresses they reach, which
// are the same linear and physical, so a raw and a translated loop compute
// the same sum and store the same bytes.

function rawChain(first: number, kinds: Uint8Array, words: Int32Array): number {
  let p = first;
  let s = 0;
  for (let i = 0; i < kinds.length; i++) {
    const w = p >>> 2;
    p = words[w + Word.NEXT_PHYSICAL]!;
    if (kinds[i] === Kind.WRITE) words[w + Word.STORE] = s;
    else s = (s + (p & 0xfff)) | 0;
  }
  return s;
}

function mmuChain(mmu: Mmu, first: number, kinds: Uint8Array, words: Int32Array): number {
  let v = first;
  let s = 0;
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]! as AccessKind;
    const w = mmu.physical(v, kind) >>> 2;
    v = words[w + Word.NEXT_LINEAR]!;
    if (kind === Kind.WRITE) words[w + Word.STORE] = s;
    else s = (s + (v & 0xfff)) | 0;
  }
  return s;
}

/**
 * Every access a write to a page whose Dirty bit is clear, as after an OS
 * wrote the page back: each access clears its page's D again once done, so
 * the page's next access (a hundred or so later) finds it clean. (Clearing
 * it just before the access would measure the processor's recovery from a
 * load that overtook the store before it, not the walk.)
 */
function dirtyChain(mmu: Mmu, first: number, ptes: Uint32Array, words: Int32Array): number {
  let v = first;
  let s = 0;
  for (let i = 0; i < ptes.length; i++) {
    const w = mmu.physical(v, Kind.WRITE) >>> 2;
    v = words[w + Word.NEXT_LINEAR]!;
    words[w + Word.STORE] = s;
    words[ptes[i]!] = words[ptes[i]!]! & ~PTE_D;
  }
  return s;
}

function rawIndependent(paddrs: Uint32Array, kinds: Uint8Array, words: Int32Array): number {
  let s = 0;
  for (let i = 0; i < paddrs.length; i++) {
    const w = paddrs[i]! >>> 2;
    if (kinds[i] === Kind.WRITE) words[w + Word.STORE] = s;
    else s = (s + (words[w + Word.NEXT_PHYSICAL]! & 0xfff)) | 0;
  }
  return s;
}

function mmuIndependent(mmu: Mmu, vaddrs: Uint32Array, kinds: Uint8Array, words: Int32Array): number {
  let s = 0;
  for (let i = 0; i < vaddrs.length; i++) {
    const kind = kinds[i]! as AccessKind;
    const w = mmu.physical(vaddrs[i]!, kind) >>> 2;
    if (kind === Kind.WRITE) words[w + Word.STORE] = s;
    else s = (s + (words[w + Word.NEXT_LINEAR]! & 0xfff)) | 0;
  }
  return s;
}

/*
 * The floor: the work of a TLB hit, or of the fast 32-bit miss and its fill,
 * written into the loop by hand over bare typed arrays, with no MMU object,
 * no methods and no fallback (anything but the common case throws). What a
 * translation with these semantics costs in JavaScript at the least; the
 * MMU's figures are to be read against these as well as against raw. The
 * fill writes what the MMU's does: both privilege levels' keys, the base,
 * the tag and the rights word.
 */

function floorChain(first: number, kinds: Uint8Array, words: Int32Array, rows: Int32Array, meta: Int32Array, mask: number, allows: Uint8Array, user: Uint8Array, pd: number): number {
  let v = first;
  let s = 0;
  for (let i = 0; i < kinds.length; i++) {
    const kind = kinds[i]!;
    const vpn = v >>> 12;
    const slot = vpn & mask;
    const at = slot << 3;
    let pa: number;
    if (rows[at + kind] === vpn) pa = rows[at + 3]! | (v & 0xfff);
    else {
      const pde = words[pd + (v >>> 22)]!;
      if ((pde & 0xa1) !== 0x21) throw new Error('floor: not the common case');
      const pte = words[((pde & 0xffff_f000) >>> 2) + (vpn & 0x3ff)]!;
      if ((pte & 0x21) !== 0x21 || pte < 0) throw new Error('floor: not the common case');
      const rights = (pde & pte & 6) | (pte & 0x40);
      const allowed = allows[rights]!;
      if ((allowed & (1 << kind)) === 0 || meta[slot]! >= 13 << 16) throw new Error('floor: not the common case');
      const base = pte & 0xffff_f000;
      const forUser = user[rights]!;
      rows[at] = allowed & 1 ? vpn : -1;
      rows[at + 1] = allowed & 2 ? vpn : -1;
      rows[at + 2] = allowed & 4 ? vpn : -1;
      rows[at + 3] = base;
      rows[at + 4] = forUser & 1 ? vpn : -1;
      rows[at + 5] = forUser & 2 ? vpn : -1;
      rows[at + 6] = forUser & 4 ? vpn : -1;
      rows[at + 7] = vpn;
      meta[slot] = rights | (12 << 16);
      pa = base | (v & 0xfff);
    }
    const w = pa >>> 2;
    v = words[w + Word.NEXT_LINEAR]!;
    if (kind === Kind.WRITE) words[w + Word.STORE] = s;
    else s = (s + (v & 0xfff)) | 0;
  }
  return s;
}

function floorIndependent(vaddrs: Uint32Array, kinds: Uint8Array, words: Int32Array, rows: Int32Array, mask: number): number {
  let s = 0;
  for (let i = 0; i < vaddrs.length; i++) {
    const kind = kinds[i]!;
    const vaddr = vaddrs[i]!;
    const vpn = vaddr >>> 12;
    const at = (vpn & mask) << 3;
    if (rows[at + kind] !== vpn) throw new Error('floor: a TLB miss');
    const w = (rows[at + 3]! | (vaddr & 0xfff)) >>> 2;
    if (kind === Kind.WRITE) words[w + Word.STORE] = s;
    else s = (s + (words[w + Word.NEXT_LINEAR]! & 0xfff)) | 0;
  }
  return s;
}

/**
 * The accesses: each cache line of the case's pages once, in a shuffled
 * order with no page twice in a row (so a one-entry TLB misses every time),
 * and a program's mix of kinds; at least 4096 of them, going round again
 * over a small set, so the timer's own cost stays small beside the loop's.
 * The same pseudo-random order every run.
 */
function accesses(pages: number, allWrites: boolean): { vaddrs: Uint32Array; kinds: Uint8Array; lines: number } {
  const n = pages * 64;
  const steps = Math.max(n, 4096);
  let seed = 12345;
  const random = (k: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % k;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  // No page twice in a row, the last and the first included (the chain goes round).
  const page = (i: number) => order[(i + n) % n]! % pages;
  for (let i = 0; i < n; i++) {
    if (page(i) !== page(i - 1)) continue;
    let j = (i + 1) % n;
    while (page(j) === page(i) || page(j) === page(i - 1) || page(j - 1) === page(i) || page(j + 1) === page(i)) j = (j + 1) % n;
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let i = 0; i < n; i++) if (page(i) === page(i - 1)) throw new Error('bench: a page twice in a row');
  const vaddrs = new Uint32Array(steps);
  const kinds = new Uint8Array(steps);
  for (let i = 0; i < steps; i++) {
    const line = Math.floor(order[i % n]! / pages);
    vaddrs[i] = BASE + page(i % n) * 0x1000 + line * 64;
    const r = random(100);
    // About 60% reads, 25% writes, 15% instruction fetches.
    kinds[i] = allWrites ? Kind.WRITE : r < 60 ? Kind.READ : r < 85 ? Kind.WRITE : Kind.FETCH;
  }
  return { vaddrs, kinds, lines: n };
}

/** A machine for one case: memory, tables, an MMU, the chain laid in memory, and the accesses made once so A and D are set. */
function machine(which: MmuCase) {
  const spec: CaseSpec = MMU_CASES[which];
  const { work, pages } = spec;
  const memory = new PhysicalMemory(16 << 20);
  const frames = new FrameAllocator(memory, 16);
  const mmu = new Mmu(memory, { tlbSize: work === 'hit' || work === 'floorHit' ? 1024 : 1 });
  const { vaddrs, kinds, lines } = accesses(pages, work === 'missDirty');
  const n = vaddrs.length;
  const ptes = new Uint32Array(n);
  if (work === 'missPae') {
    const space = new BuilderPae(memory, frames);
    for (let p = 0; p < pages; p++) space.map(BASE + p * 0x1000, (FRAME0 + p) * 0x1000, PTE_P | PTE_RW);
    mmu.writeCr4(CR4_PAE);
    mmu.writeCr3(space.cr3);
  } else {
    const space = new Builder32(memory, frames);
    if (work === 'missLarge') space.map4M(BASE, FRAME0 * 0x1000, PTE_P | PTE_RW);
    else for (let p = 0; p < pages; p++) space.map(BASE + p * 0x1000, (FRAME0 + p) * 0x1000, PTE_P | PTE_RW);
    for (let i = 0; i < n; i++) ptes[i] = work === 'missLarge' ? 0 : space.pteAddr(vaddrs[i]!) >>> 2;
    mmu.writeCr4(work === 'missLarge' ? CR4_PSE : 0);
    mmu.writeCr3(space.cr3);
  }
  mmu.writeCr0(CR0_PE | CR0_PG);
  const paddrs = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    paddrs[i] = mmu.physical(vaddrs[i]!, kinds[i]! as AccessKind);
    if ((paddrs[i]! | 0) < 0) throw new Error(`bench ${which}: access ${i} faulted`);
  }
  // The chain: each line names the next, physically for the raw loop and linearly for the translated one.
  const words = new Int32Array(memory.bytes.buffer);
  for (let i = 0; i < lines; i++) {
    words[(paddrs[i]! >>> 2) + Word.NEXT_PHYSICAL] = paddrs[(i + 1) % lines]!;
    words[(paddrs[i]! >>> 2) + Word.NEXT_LINEAR] = vaddrs[(i + 1) % lines]!;
  }
  // The floor's own TLB: a copy of the warm one for hits, one empty entry for misses.
  const rows = work === 'floorHit' ? mmu.tlb.rows.slice() : new Int32Array(8).fill(-1);
  const meta = work === 'floorHit' ? mmu.tlb.meta.slice() : new Int32Array(1).fill(-1);
  // The two tables a fill reads: the supervisor's (in force: the loops run at CPL 0) and the user's.
  mmu.setCpl(3);
  const userAllows = mmu.tlb.allows;
  mmu.setCpl(0);
  return {
    spec, mmu, memory, vaddrs, kinds, paddrs, ptes, rows, meta, userAllows, n, words,
    firstPhysical: paddrs[0]!, firstLinear: vaddrs[0]!, sink: new Int32Array(2), loops: 0,
  };
}
type Machine = ReturnType<typeof machine>;

/**
 * Samples per timer call, however long they take: on a loaded machine a
 * slice of wall time may hold only a few, and a median of a few is not one.
 */
const MIN_SAMPLES = 32;

// Each loop has its own timer, written out, so that each timer calls one
// loop only: a timer shared by two loops is compiled for the first, thrown
// away at the second, and compiled again for both. (Closures made by one
// factory share their compiled code, so a factory would not do.)

function timeRawChain(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[0] = m.sink[0]! ^ rawChain(m.firstPhysical, m.kinds, m.words);
    out.push(Number(process.hrtime.bigint() - t) / m.n);
  } while (performance.now() < end || out.length < MIN_SAMPLES);
}

function timeRawIndependent(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[0] = m.sink[0]! ^ rawIndependent(m.paddrs, m.kinds, m.words);
    out.push(Number(process.hrtime.bigint() - t) / m.n);
  } while (performance.now() < end || out.length < MIN_SAMPLES);
}

function timeMmuChain(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[1] = m.sink[1]! ^ mmuChain(m.mmu, m.firstLinear, m.kinds, m.words);
    out.push(Number(process.hrtime.bigint() - t) / m.n);
    m.loops++;
  } while (performance.now() < end || out.length < MIN_SAMPLES);
}

function timeMmuIndependent(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[1] = m.sink[1]! ^ mmuIndependent(m.mmu, m.vaddrs, m.kinds, m.words);
    out.push(Number(process.hrtime.bigint() - t) / m.n);
    m.loops++;
  } while (performance.now() < end || out.length < MIN_SAMPLES);
}

function timeDirtyChain(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[1] = m.sink[1]! ^ dirtyChain(m.mmu, m.firstLinear, m.ptes, m.words);
    out.push(Number(process.hrtime.bigint() - t) / m.n);
    m.loops++;
  } while (performance.now() < end || out.length < MIN_SAMPLES);
}

function timeFloorChain(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[1] = m.sink[1]! ^ floorChain(m.firstLinear, m.kinds, m.words, m.rows, m.meta, m.meta.length - 1, m.mmu.tlb.allows, m.userAllows, m.mmu.cr3 >>> 2);
    out.push(Number(process.hrtime.bigint() - t) / m.n);
  } while (performance.now() < end || out.length < MIN_SAMPLES);
}

function timeFloorIndependent(m: Machine, ms: number, out: number[]): void {
  const end = performance.now() + ms;
  do {
    const t = process.hrtime.bigint();
    m.sink[1] = m.sink[1]! ^ floorIndependent(m.vaddrs, m.kinds, m.words, m.rows, m.meta.length - 1);
    out.push(Number(process.hrtime.bigint() - t) / m.n);
  } while (performance.now() < end || out.length < MIN_SAMPLES);
}

/** The two timers of a case: its raw loop's and its own. */
function timersOf(spec: CaseSpec): [typeof timeRawChain, typeof timeRawChain] {
  const chain = spec.loop === 'chain';
  const raw = chain ? timeRawChain : timeRawIndependent;
  if (spec.work === 'missDirty') return [raw, timeDirtyChain];
  if (spec.work.startsWith('floor')) return [raw, chain ? timeFloorChain : timeFloorIndependent];
  return [raw, chain ? timeMmuChain : timeMmuIndependent];
}

/**
 * The case's loop must do the raw loop's work: from the same memory, the
 * same sum and the same bytes afterwards. (The Dirty case's loop also clears
 * D bits, so it is checked against a raw loop of all writes; the floors are
 * checked as they run.)
 */
function checkSameWork(m: Machine, which: MmuCase): void {
  if (m.spec.work.startsWith('floor')) return;
  const bytes = m.memory.bytes;
  const before = bytes.slice();
  const chain = m.spec.loop === 'chain';
  const translated = m.spec.work === 'missDirty'
    ? dirtyChain(m.mmu, m.firstLinear, m.ptes, m.words)
    : chain ? mmuChain(m.mmu, m.firstLinear, m.kinds, m.words) : mmuIndependent(m.mmu, m.vaddrs, m.kinds, m.words);
  // The Dirty case leaves D clear where it found it set: put it back, and the rest must match.
  if (m.spec.work === 'missDirty') for (const at of m.ptes) m.words[at] = m.words[at]! | PTE_D;
  const after = bytes.slice();
  bytes.set(before);
  const raw = chain ? rawChain(m.firstPhysical, m.kinds, m.words) : rawIndependent(m.paddrs, m.kinds, m.words);
  if (translated !== raw || Buffer.compare(after, bytes) !== 0) throw new Error(`bench ${which}: the loop does not do the raw loop's work`);
}

/** A round has at least 2 * MIN_SAMPLES samples of each loop: six or more lie below its lower decile. */
const lowerDecile = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 10)]!;
/** BENCH_DEBUG's line for a round. */
const debugRound = (name: string, x: Round) => `${name}: raw ${x.rawNs.toFixed(2)} ns, case ${x.caseNs.toFixed(2)} ns`;

/** The middle value (the upper of the two middle ones for an even count). */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The worker's side: build the case, warm both loops, then time a round whenever asked. */
export function serveMmuCase(): void {
  const which = workerData.mmuCase as MmuCase;
  const m = machine(which);
  const [timeRaw, time] = timersOf(m.spec);
  checkSameWork(m, which);
  const missesBefore = m.mmu.tlb.misses;
  timeRaw(m, 300, []);
  time(m, 300, []);
  parentPort!.on('message', (msg: { slice: number } | 'done') => {
    if (msg === 'done') {
      // Every case must have done what it says: no miss on a hit, a walk on every miss.
      const misses = m.mmu.tlb.misses - missesBefore;
      const expected = m.spec.work === 'hit' || m.spec.work.startsWith('floor') ? 0 : m.loops * m.n;
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
    parentPort!.postMessage({ rawNs: lowerDecile(rawNs), caseNs: lowerDecile(caseNs) } satisfies Round);
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
export async function benchMmu(entry: URL, rounds = 9, names = Object.keys(MMU_CASES) as MmuCase[], slice = 20): Promise<Record<MmuCase, CaseFigures>> {
  const workers = names.map((mmuCase) => new Worker(entry, { workerData: { mmuCase } }));
  const ask = (w: Worker, msg: unknown) => new Promise<Round & { error?: string | null }>((resolve, reject) => {
    // Each question listens for its own answer or failure, and stops listening for the other.
    const answered = (m: Round) => {
      w.off('error', failed);
      resolve(m);
    };
    const failed = (e: Error) => {
      w.off('message', answered);
      reject(e);
    };
    w.once('message', answered);
    w.once('error', failed);
    w.postMessage(msg);
  });
  const seen = new Map<MmuCase, Round[]>(names.map((n) => [n, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < names.length; i++) seen.get(names[i]!)!.push(await ask(workers[i]!, { slice }));
      if (process.env.BENCH_DEBUG) console.log(names.map((n) => debugRound(n, seen.get(n)!.at(-1)!)).join(' | '));
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
