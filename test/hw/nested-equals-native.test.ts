/*
 * Nested paging against bare hardware. The same Guest memory runs on a
 * processor without nested paging and on one with it, where the Host's
 * tables scatter the Guest's frames through Host memory in a random order.
 * The same random program (accesses of every kind at both privilege levels,
 * INVLPG, CR3 reloads, control bits, entries rewritten behind the TLB's
 * back, high words with XD, reserved bits and frames above 4 GiB) must show
 * the same thing on both, step by step: results as Guest-physical
 * addresses, page faults with their CR2 and error code, TLB misses and
 * contents, and every byte of the Guest's memory, Accessed and Dirty bits
 * included. An access the Guest's tables send outside its memory is where
 * the two part (bare hardware reads nothing there, the Host's tables map
 * nothing there): the program ends at it, once both have said so.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { BusError } from '../../src/hw/phys-memory.ts';
import { GeneralProtectionFault, PageFault } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, CR4_SMAP, CR4_SMEP, EFER_LME, EFER_NXE, Mmu } from '../../src/hw/mmu.ts';
import { EptViolation } from '../../src/hw/nested.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';
import { claim } from '../support/claim.ts';
import { nestedMachine, type NestedMachine } from '../support/nested.ts';

const FRAMES = 40;
const PAGE = 4096;
type Mode = '32bit' | 'pae' | 'ia32e';

// Tables at fixed frames; pages at a few, and now and then beyond the Guest's memory (beyond 4 GiB, by the high word).
const ROOTS = [1, 2];
const DIRS = [7, 8, 9, 10];
const PDPTS = [14, 15];
const TABLES = [3, 4, 5, 6];
const DATA = [11, 12, 13, 30, 39];
const OUTSIDE = [45, 0x8_0000];

/** Each level's table frames and the indices programs use there, top level first. */
const SHAPE: Record<Mode, { frames: number[]; indices: number[] }[]> = {
  '32bit': [{ frames: ROOTS, indices: [0, 1, 0x300, 0x3ff] }, { frames: TABLES, indices: [0, 1, 2, 0x3ff] }],
  pae: [{ frames: DIRS, indices: [0, 1, 0x1ff] }, { frames: TABLES, indices: [0, 1, 0x1ff] }],
  ia32e: [{ frames: ROOTS, indices: [0, 0x1ff] }, { frames: PDPTS, indices: [0, 1] }, { frames: DIRS, indices: [0, 1] }, { frames: TABLES, indices: [0, 1, 0x1ff] }],
};
const SHIFTS: Record<Mode, number[]> = { '32bit': [22, 12], pae: [21, 12], ia32e: [39, 30, 21, 12] };
const SIZE = (mode: Mode) => (mode === '32bit' ? 4 : 8);

const flagBits = fc.record({ p: fc.nat(12), a: fc.nat(3), d: fc.nat(3), rw: fc.nat(5), us: fc.nat(7), ps: fc.nat(15), g: fc.nat(5) }).map((f) =>
  (f.p > 0 ? PTE_P : 0) | (f.a > 0 ? PTE_A : 0) | (f.d > 1 ? PTE_D : 0) | (f.rw > 0 ? PTE_RW : 0) | (f.us > 0 ? PTE_US : 0) | (f.ps === 0 && f.g > 0 ? PTE_PS : 0) | (f.g === 0 ? PTE_G : 0));
/** An eight-byte entry's high word: mostly zero; XD, a frame above 4 GiB, a reserved bit. */
const highWord = fc.nat(31).map((n) => (n < 28 ? 0 : n < 30 ? 0x8000_0000 : n === 30 ? 1 : 1 << 30));
const frameOf = (frames: number[]) => fc.oneof({ weight: 50, arbitrary: fc.constantFrom(...frames) }, { weight: 1, arbitrary: fc.constantFrom(...OUTSIDE) });

interface Write { addr: number; lo: number; hi: number }

/** An entry at one of `level`'s slots, naming the next level's tables (or, at the last, a page). */
function entryAt(mode: Mode, level: number): fc.Arbitrary<Write> {
  const shape = SHAPE[mode];
  const next = level + 1 < shape.length ? shape[level + 1]!.frames : DATA;
  return fc.tuple(fc.constantFrom(...shape[level]!.frames), fc.constantFrom(...shape[level]!.indices), frameOf(next), flagBits, highWord)
    .map(([table, index, frame, flags, hi]) => ({
      addr: table * PAGE + index * SIZE(mode),
      lo: ((frame * PAGE) | (level + 1 === shape.length ? flags & ~PTE_PS : flags)) >>> 0,
      hi: mode === '32bit' ? 0 : hi,
    }));
}

const anyEntry = (mode: Mode) => fc.oneof(...SHAPE[mode].map((_, level) => entryAt(mode, level)));

/** A linear address made of the indices programs use (IA-32e's as a signed canonical number). */
function linear(mode: Mode): fc.Arbitrary<number> {
  const parts = SHAPE[mode].map((l) => fc.constantFrom(...l.indices));
  const top = mode === 'pae' ? [fc.nat(3)] : [];
  return fc.tuple(fc.tuple(...top), fc.tuple(...parts), fc.constantFrom(0, 4, 0x7fc, 0xffc)).map(([[pdpt], idx, off]) => {
    let a = (pdpt ?? 0) * 2 ** 30 + off;
    idx.forEach((i, l) => (a += i * 2 ** SHIFTS[mode][l]!));
    return mode === 'ia32e' && a >= 2 ** 47 ? a - 2 ** 48 : a;
  });
}

type Op =
  | { op: 'physical'; vaddr: number; kind: AccessKind }
  | { op: 'access'; vaddr: number; access: 'read' | 'write' | 'fetch'; value: number }
  | { op: 'invlpg'; vaddr: number }
  | { op: 'cr3'; root: number }
  | { op: 'cpl'; cpl: number }
  | { op: 'wp'; wp: boolean }
  | { op: 'cr4'; bits: number }
  | { op: 'nxe'; nxe: boolean }
  | { op: 'poke'; write: Write };

const cr4Bits = fc.subarray([CR4_PSE, CR4_PGE, CR4_SMEP, CR4_SMAP]).map((b) => b.reduce((x, y) => x | y, 0));

function operation(mode: Mode): fc.Arbitrary<Op> {
  const vaddr = linear(mode);
  return fc.oneof(
    { weight: 12, arbitrary: fc.record({ op: fc.constant('physical' as const), vaddr, kind: fc.constantFrom(READ, WRITE, FETCH) }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('access' as const), vaddr, access: fc.constantFrom('read' as const, 'write' as const, 'fetch' as const), value: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('invlpg' as const), vaddr }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('cr3' as const), root: fc.constantFrom(...ROOTS) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('cpl' as const), cpl: fc.constantFrom(0, 3) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('wp' as const), wp: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('cr4' as const), bits: cr4Bits }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('nxe' as const), nxe: fc.boolean() }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('poke' as const), write: anyEntry(mode) }) },
  );
}

const scenario = fc.constantFrom<Mode>('32bit', 'pae', 'ia32e').chain((mode) => fc.record({
  mode: fc.constant(mode),
  // Every slot of every level filled (most paths whole), then some entries of any kind over them.
  base: fc.tuple(...SHAPE[mode].flatMap((l, level) => l.frames.flatMap((f) => l.indices.map((i) => entryAt(mode, level).map((w) => ({ ...w, addr: f * PAGE + i * SIZE(mode), lo: w.lo | PTE_P })))))),
  // PAE's PDPTs: four entries each, naming page directories, P and nothing else (now and then a reserved bit).
  pdpts: fc.array(fc.tuple(fc.constantFrom(...ROOTS), fc.nat(3), fc.constantFrom(...DIRS), fc.nat(40)), { maxLength: 6 }),
  extra: fc.array(anyEntry(mode), { maxLength: 8 }),
  order: fc.shuffledSubarray(Array.from({ length: FRAMES }, (_, i) => i), { minLength: FRAMES, maxLength: FRAMES }),
  walkCache: fc.constantFrom(0, 0, 8),
  cr4: cr4Bits,
  nxe: fc.boolean(),
  ops: fc.array(operation(mode), { minLength: 1, maxLength: 60, size: 'max' }),
}));
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function poke(memory: PhysicalMemory, w: Write, mode: Mode, at = (gpa: number) => gpa): void {
  memory.write32(at(w.addr), w.lo);
  if (mode !== '32bit') memory.write32(at(w.addr + 4), w.hi);
}

function guestMemory(s: Scenario): PhysicalMemory {
  const memory = new PhysicalMemory(FRAMES * PAGE);
  for (const w of [...s.base, ...s.extra]) poke(memory, w, s.mode);
  if (s.mode === 'pae') {
    for (const root of ROOTS) for (let i = 0; i < 4; i++) memory.write32(root * PAGE + i * 8, (DIRS[i]! * PAGE) | PTE_P);
    for (const [root, i, dir, n] of s.pdpts) memory.write32(root * PAGE + i * 8, (dir * PAGE) | (n === 0 ? 0 : PTE_P) | (n === 1 ? PTE_RW : 0));
  }
  return memory;
}

function boot(mmu: Mmu, s: Scenario): void {
  const long = s.mode === 'ia32e';
  mmu.writeEfer((s.nxe ? EFER_NXE : 0) | (long ? EFER_LME : 0));
  mmu.writeCr4(s.cr4 | (s.mode === '32bit' ? 0 : CR4_PAE));
  mmu.writeCr3(ROOTS[0]! * PAGE);
  mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
}

/** What one step showed, in Guest-physical terms; `outside` when the Guest's tables reached beyond its memory. */
function step(mmu: Mmu, op: Op, s: Scenario, gpaOf: (paddr: number) => number, pokeAt: (gpa: number) => number): { seen: string; outside: number | null } {
  let result = '';
  let outside: number | null = null;
  const gpa = (paddr: number) => {
    const g = gpaOf(paddr);
    if (g < 0 || g >= FRAMES * PAGE) outside = paddr;
    return `gpa ${g}`;
  };
  try {
    switch (op.op) {
      case 'physical': {
        const p = mmu.physical(op.vaddr, op.kind);
        result = p < 0 ? 'fault' : gpa(p);
        break;
      }
      case 'access': result = String(mmu.access(op.access, op.vaddr, op.value)); break;
      case 'invlpg': mmu.invlpg(op.vaddr); break;
      case 'cr3': mmu.writeCr3(op.root * PAGE); break;
      case 'cpl': mmu.setCpl(op.cpl); break;
      case 'wp': mmu.writeCr0((mmu.cr0 & ~CR0_WP) | (op.wp ? CR0_WP : 0)); break;
      case 'cr4': mmu.writeCr4(op.bits | (s.mode === '32bit' ? 0 : CR4_PAE)); break;
      case 'nxe': mmu.writeEfer((op.nxe ? EFER_NXE : 0) | (s.mode === 'ia32e' ? EFER_LME : 0)); break;
      case 'poke': poke(mmu.memory, op.write, s.mode, pokeAt); break;
    }
  } catch (e) {
    if (e instanceof BusError || e instanceof EptViolation) return { seen: 'outside', outside: e instanceof EptViolation ? e.gpa : e.paddr };
    if (!(e instanceof PageFault || e instanceof GeneralProtectionFault)) throw e;
    result = e.message;
  }
  const tlb = mmu.tlb.entries().map((t) => `${t.vpn}:${gpaOf(t.pageBase)}:${t.rights}:${t.pageShift}`).join(' ');
  return { seen: JSON.stringify({ result, cr2: mmu.cr2, code: mmu.lastErrorCode, misses: mmu.tlb.misses, tlb }), outside };
}

/** How much the programs exercised, per Guest paging mode: steps compared, pages reached, page faults, walks ended outside. */
const tally = { steps: 0, pages: 0, faults: 0, outside: 0 };
const byMode: Record<Mode, typeof tally> = { '32bit': { ...tally }, pae: { ...tally }, ia32e: { ...tally } };

/** The first step where the two differ, or null. */
function firstDifference(s: Scenario): string | null {
  const t = byMode[s.mode];
  const native = new Mmu(guestMemory(s), { tlbSize: 16 });
  let nested: NestedMachine;
  try {
    boot(native, s);
  } catch (e) {
    if (!(e instanceof GeneralProtectionFault)) throw e;
    return null; // a PDPT entry with reserved bits: #GP before paging is on
  }
  nested = nestedMachine(guestMemory(s), { order: s.order, walkCache: s.walkCache, mmu: { tlbSize: 16 } });
  boot(nested.mmu, s);
  const toHost = (gpa: number) => nested.hostFrame[Math.floor(gpa / PAGE)]! * PAGE + (gpa % PAGE);
  for (let i = 0; i < s.ops.length; i++) {
    const op = s.ops[i]!;
    const a = step(native, op, s, (p) => p, (g) => g);
    const b = step(nested.mmu, op, s, nested.gpaOf, toHost);
    const at = `step ${i} ${JSON.stringify(op)}`;
    if ((a.outside === null) !== (b.outside === null)) return `${at}: outside the Guest's memory on one only:\n  bare   ${a.seen}\n  nested ${b.seen}`;
    // Beyond its memory the two part: bare hardware keeps a TLB entry for nothing, the Host maps nothing. The program ends here.
    if (a.outside !== null) {
      t.outside++;
      return null;
    }
    if (a.seen !== b.seen) return `${at}:\n  bare   ${a.seen}\n  nested ${b.seen}`;
    t.steps++;
    if (a.seen.includes('"result":"gpa ') || (op.op === 'access' && !a.seen.includes('#PF'))) t.pages++;
    if (a.seen.includes('"result":"fault"') || a.seen.includes('#PF')) t.faults++;
    for (let f = 0; f < FRAMES; f++) {
      const h = nested.hostFrame[f]! * PAGE;
      if (Buffer.compare(native.memory.bytes.subarray(f * PAGE, f * PAGE + PAGE), nested.host.bytes.subarray(h, h + PAGE)) !== 0) return `${at}: Guest frame ${f} differs`;
    }
  }
  return null;
}

describe('nested paging against bare hardware', () => {
  claim('nested-walk-equals-native', () => {
    // A fixed seed, so that the counts below, which say the programs got somewhere, are the same on every run.
    fc.assert(fc.property(scenario, (s) => {
      expect(firstDifference(s)).toBeNull();
    }), { numRuns: 160, seed: 14 });
    // Every mode got far: whole walks and faults by the hundred, and some walks out of the Guest's memory.
    for (const mode of ['32bit', 'pae', 'ia32e'] as const) {
      const t = byMode[mode];
      expect(t.pages, mode).toBeGreaterThan(120);
      expect(t.faults, mode).toBeGreaterThan(100);
      expect(t.outside, mode).toBeGreaterThan(5);
    }
    console.log(Object.entries(byMode).map(([m, t]) => `${m}: ${t.steps} steps, ${t.pages} pages reached, ${t.faults} faults, ${t.outside} programs ended outside`).join('; '));
  });
});
