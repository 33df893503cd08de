/*
 * The fast miss path against the full walk: the scenarios and the comparison
 * that test/hw/fast-miss.test.ts runs, and that the planted-bug test runs
 * against copies of the MMU with a bug put in. Two MMUs over two copies of
 * the same memory, one with `fastMisses` on and one with it off, run the same
 * random program: accesses of every kind, INVLPG, CR3 reloads, changes of
 * CPL, EFLAGS.AC and control bits, and page-table entries rewritten behind
 * the TLB's back. After every step they must agree on everything a program
 * or a test can see: the result or the exception, CR2, the error code, the
 * miss count, the TLB's contents (every row, hit keys included, and every
 * rights word), and every byte of memory.
 */
import fc from 'fast-check';
import {
  CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, CR4_SMAP, CR4_SMEP, EFER_NXE, Mmu,
} from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';

const FRAMES = 48; // 192 KiB: entries may name frames past the end, and must fail the same way
const PAGE = 4096;

// Where tables live. Two address spaces, so CR3 reloads change something.
const ROOTS = [1, 2]; // page directories, or (PAE) PDPTs at the start of these frames
const PAE_DIRS = [7, 8, 9, 10]; // PAE page directories
const TABLES = [3, 4, 5, 6]; // page tables
const DATA = [11, 12, 13, 40, 47, FRAMES + 5, 0x8_0000, 0x8_0001]; // in memory, past its end, above 2 GiB

// The few indices programs use, so that pages repeat and the TLB both hits and misses.
const PDE_32 = [0, 1, 0x300, 0x3ff];
const PDE_PAE = [0, 1, 0x1ff];
const PTE_IDX = [0, 1, 2, 0x1ff, 0x3ff];

/** Flag bits, most often the common case the fast path takes: P, A and D set. */
const flags = fc.record({
  p: fc.nat(9), a: fc.nat(9), d: fc.nat(9), rw: fc.nat(3), us: fc.nat(3), ps: fc.nat(9), g: fc.nat(3), other: fc.nat(15),
}).map((f) =>
  (f.p > 0 ? PTE_P : 0) | (f.a > 0 ? PTE_A : 0) | (f.d > 1 ? PTE_D : 0) | (f.rw > 0 ? PTE_RW : 0) | (f.us > 0 ? PTE_US : 0) |
  (f.ps === 0 ? PTE_PS : 0) | (f.g === 0 ? PTE_G : 0) |
  // Now and then a bit the fast path ignores or must refuse: PWT, PCD, the PAT bit 12, PSE-36 bits, bit 21.
  (f.other === 0 ? 1 << 3 : f.other === 1 ? 1 << 12 : f.other === 2 ? 1 << 13 : f.other === 3 ? 1 << 21 : 0));

/** A PAE entry's high word: usually zero; sometimes XD, a frame above 4 GiB, or a reserved bit. */
const highWord = fc.nat(19).map((n) =>
  n < 13 ? 0 : n < 16 ? 0x8000_0000 : n === 16 ? 1 : n === 17 ? 1 << 8 : n === 18 ? 1 << 30 : 1 << 19);

const frameFrom = (frames: number[]) => fc.constantFrom(...frames).map((f) => (f * PAGE) >>> 0);

interface Write { addr: number; lo: number; hi: number }

/** An entry write into one of the table slots, pointing where that level usually points. */
function entryWrite(pae: boolean): fc.Arbitrary<Write> {
  const size = pae ? 8 : 4;
  const slot = (frames: number[], indices: number[]) =>
    fc.tuple(fc.constantFrom(...frames), fc.constantFrom(...indices)).map(([f, i]) => f * PAGE + i * size);
  const directory = fc.tuple(
    pae ? slot(PAE_DIRS, PDE_PAE) : slot(ROOTS, PDE_32),
    fc.oneof({ weight: 5, arbitrary: frameFrom(TABLES) }, { weight: 1, arbitrary: frameFrom(DATA) }), flags, highWord,
  ).map(([addr, frame, f, hi]) => ({ addr, lo: (frame | f) >>> 0, hi }));
  const table = fc.tuple(slot(TABLES, PTE_IDX), frameFrom([...DATA, ...TABLES]), flags, highWord)
    .map(([addr, frame, f, hi]) => ({ addr, lo: (frame | (f & ~PTE_PS)) >>> 0, hi }));
  const pdpte = fc.tuple(fc.constantFrom(...ROOTS), fc.nat(3), frameFrom(PAE_DIRS), fc.nat(15))
    .map(([root, i, frame, n]) => ({ addr: root * PAGE + i * 8, lo: (frame | (n === 0 ? 0 : PTE_P) | (n === 1 ? PTE_RW : 0)) >>> 0, hi: 0 }));
  return pae ? fc.oneof(directory, table, pdpte) : fc.oneof(directory, table);
}

type Op =
  | { op: 'physical'; vaddr: number; kind: AccessKind }
  | { op: 'access'; vaddr: number; access: 'read' | 'write' | 'fetch'; value: number }
  | { op: 'invlpg'; vaddr: number }
  | { op: 'cr3'; root: number }
  | { op: 'cpl'; cpl: number }
  | { op: 'ac'; ac: boolean }
  | { op: 'cr0'; wp: boolean }
  | { op: 'cr4'; bits: number }
  | { op: 'efer'; nxe: boolean }
  | { op: 'poke'; write: Write };

function linear(pae: boolean): fc.Arbitrary<number> {
  const top = pae
    ? fc.tuple(fc.nat(3), fc.constantFrom(...PDE_PAE)).map(([i, d]) => i * 2 ** 30 + d * 2 ** 21)
    : fc.constantFrom(...PDE_32).map((d) => d * 2 ** 22);
  return fc.tuple(top, fc.constantFrom(...PTE_IDX), fc.constantFrom(0, 4, 0x7fc, 0xffc))
    .map(([t, p, o]) => t + (p % (pae ? 512 : 1024)) * PAGE + o);
}

function operation(pae: boolean): fc.Arbitrary<Op> {
  const vaddr = linear(pae);
  return fc.oneof(
    { weight: 12, arbitrary: fc.record({ op: fc.constant('physical' as const), vaddr, kind: fc.constantFrom(READ, WRITE, FETCH) }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('access' as const), vaddr, access: fc.constantFrom('read' as const, 'write' as const, 'fetch' as const), value: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('invlpg' as const), vaddr }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('cr3' as const), root: fc.constantFrom(...ROOTS) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('cpl' as const), cpl: fc.constantFrom(0, 3) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('ac' as const), ac: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('cr0' as const), wp: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('cr4' as const), bits: fc.subarray([CR4_PSE, CR4_PGE, CR4_SMEP, CR4_SMAP]).map((b) => b.reduce((x, y) => x | y, 0)) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('efer' as const), nxe: fc.boolean() }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('poke' as const), write: entryWrite(pae) }) },
  );
}

/**
 * Every slot programs use gets an entry, pointing where that level points
 * (so most paths are whole, as in a running system); then `tables` writes a
 * few entries of any kind over them.
 */
function fullTables(pae: boolean): fc.Arbitrary<Write[]> {
  const size = pae ? 8 : 4;
  const entry = (at: number, frames: number[], level: 'dir' | 'table') =>
    fc.tuple(frameFrom(frames), flags, highWord).map(([frame, f, hi]): Write =>
      ({ addr: at, lo: (frame | (level === 'table' ? f & ~PTE_PS : f) | PTE_P) >>> 0, hi }));
  const dirs = pae
    ? PAE_DIRS.flatMap((d) => PDE_PAE.map((i) => entry(d * PAGE + i * size, TABLES, 'dir')))
    : ROOTS.flatMap((r) => PDE_32.map((i) => entry(r * PAGE + i * size, TABLES, 'dir')));
  const tables = TABLES.flatMap((t) => PTE_IDX.map((i) => entry(t * PAGE + i * size, DATA, 'table')));
  const pdptes = pae
    ? ROOTS.flatMap((r) => [0, 1, 2, 3].map((i) => frameFrom(PAE_DIRS).map((d): Write => ({ addr: r * PAGE + i * 8, lo: d | PTE_P, hi: 0 }))))
    : [];
  return fc.tuple(...pdptes, ...dirs, ...tables);
}

export const scenario = fc.boolean().chain((pae) => fc.record({
  pae: fc.constant(pae),
  tlbSize: fc.constantFrom(1, 1, 2, 4, 16, 1024),
  maxPhysAddr: fc.constantFrom(36, 40, 52),
  cr4: fc.subarray([CR4_PSE, CR4_PGE, CR4_SMEP, CR4_SMAP]).map((b) => b.reduce((x, y) => x | y, 0)),
  wp: fc.boolean(),
  nxe: fc.boolean(),
  base: fullTables(pae),
  tables: fc.array(entryWrite(pae), { maxLength: 12 }),
  ops: fc.array(operation(pae), { minLength: 1, maxLength: 80, size: "max" }),
}));
export type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function poke(memory: PhysicalMemory, w: Write, pae: boolean): void {
  if (w.addr + (pae ? 8 : 4) > memory.size) return;
  memory.write32(w.addr, w.lo);
  if (pae) memory.write32(w.addr + 4, w.hi);
}

/** What one step showed: its result or exception, and the state a program or test can read. */
function step(mmu: Mmu, op: Op, pae: boolean): string {
  let result: string;
  try {
    switch (op.op) {
      case 'physical': result = String(mmu.physical(op.vaddr, op.kind)); break;
      case 'access': result = String(mmu.access(op.access, op.vaddr, op.value)); break;
      case 'invlpg': mmu.invlpg(op.vaddr); result = ''; break;
      case 'cr3': mmu.writeCr3(op.root * PAGE); result = ''; break;
      case 'cpl': mmu.setCpl(op.cpl); result = ''; break;
      case 'ac': mmu.setAc(op.ac); result = ''; break;
      case 'cr0': mmu.writeCr0((mmu.cr0 & ~CR0_WP) | (op.wp ? CR0_WP : 0)); result = ''; break;
      case 'cr4': mmu.writeCr4(op.bits | (pae ? CR4_PAE : 0)); result = ''; break;
      case 'efer': mmu.writeEfer(op.nxe ? EFER_NXE : 0); result = ''; break;
      case 'poke': poke(mmu.memory, op.write, pae); result = ''; break;
    }
  } catch (e) {
    result = `${(e as Error).name}: ${(e as Error).message}`;
  }
  return JSON.stringify({ result, cr2: mmu.cr2, errorCode: mmu.lastErrorCode, misses: mmu.tlb.misses, mode: mmu.mode });
}

/** Every TLB row, hit keys included, and every rights word, byte for byte. */
const sameRows = (a: Mmu, b: Mmu) =>
  Buffer.compare(new Uint8Array(a.tlb.rows.buffer), new Uint8Array(b.tlb.rows.buffer)) === 0 &&
  Buffer.compare(new Uint8Array(a.tlb.meta.buffer), new Uint8Array(b.tlb.meta.buffer)) === 0;

// Two memories, zeroed for each scenario: a fresh pair per scenario kept the
// garbage collector busy for most of the test's time.
const memories = [new PhysicalMemory(FRAMES * PAGE), new PhysicalMemory(FRAMES * PAGE)] as const;

function machine(s: Scenario, fastMisses: boolean): Mmu {
  const memory = memories[fastMisses ? 0 : 1];
  memory.bytes.fill(0);
  for (const w of [...s.base, ...s.tables]) poke(memory, w, s.pae);
  const mmu = new Mmu(memory, { tlbSize: s.tlbSize, maxPhysAddr: s.maxPhysAddr, fastMisses });
  mmu.writeEfer(s.nxe ? EFER_NXE : 0);
  mmu.writeCr4(s.cr4 | (s.pae ? CR4_PAE : 0));
  mmu.writeCr3(ROOTS[0]! * PAGE);
  mmu.writeCr0(CR0_PE | CR0_PG | (s.wp ? CR0_WP : 0));
  return mmu;
}

/** Run a scenario on both MMUs: the first step where they differ (or null), and the fast MMU's misses. */
export function firstDifference(s: Scenario): { diff: string | null; misses: number } {
  let full: Mmu;
  try {
    full = machine(s, false);
  } catch {
    return { diff: null, misses: 0 }; // a PDPTE with reserved bits: #GP before paging is on, for both alike
  }
  const fast = machine(s, true);
  for (let i = 0; i < s.ops.length; i++) {
    const a = step(fast, s.ops[i]!, s.pae);
    const b = step(full, s.ops[i]!, s.pae);
    const at = `step ${i} ${JSON.stringify(s.ops[i])}`;
    if (a !== b) return { diff: `${at}:\n  fast ${a}\n  full ${b}`, misses: 0 };
    if (!sameRows(fast, full)) return { diff: `${at}: TLB rows differ:\n  fast ${JSON.stringify(fast.tlb.entries())}\n  full ${JSON.stringify(full.tlb.entries())}`, misses: 0 };
    if (Buffer.compare(fast.memory.bytes, full.memory.bytes) !== 0) return { diff: `${at}: memory differs`, misses: 0 };
  }
  // The rows name wide entries only by a tag; their full-width copies are compared here.
  const [a, b] = [JSON.stringify(fast.tlb.entries()), JSON.stringify(full.tlb.entries())];
  if (a !== b) return { diff: `at the end, TLB entries differ:\n  fast ${a}\n  full ${b}`, misses: 0 };
  return { diff: null, misses: fast.tlb.misses };
}

/** The fast path's method for any other miss, wrapped to count how often an MMU with the fast path falls back to it. */
export function countingFullWalks(): { count: () => number; restore: () => void } {
  const proto = Mmu.prototype as unknown as Record<'physicalMiss', (this: Mmu, vaddr: number, kind: AccessKind) => number>;
  const fullWalk = proto.physicalMiss;
  let n = 0;
  proto.physicalMiss = function (vaddr, kind) {
    if ((this as unknown as { fastMisses: boolean }).fastMisses) n++;
    return fullWalk.call(this, vaddr, kind);
  };
  return { count: () => n, restore: () => { proto.physicalMiss = fullWalk; } };
}


/**
 * Run `runs` scenarios from `seed`: the first difference found (as found,
 * not shrunk: only whether there is one matters here), or null when there is none.
 */
export function searchDifference(runs: number, seed: number): string | null {
  const out = fc.check(fc.property(scenario, (s) => {
    const r = firstDifference(s);
    if (r.diff !== null) throw new Error(r.diff);
  }), { numRuns: runs, seed, endOnFailure: true });
  return out.failed ? String(out.errorInstance ?? out.counterexample) : null;
}
