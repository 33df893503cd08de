import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PF_P } from '../../src/hw/fault.ts';
import { CR0_WP, CR4_PGE, CR4_PSE, CR4_SMAP, CR4_SMEP } from '../../src/hw/mmu.ts';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS, PTE_RW, PTE_US, PTE_XD_HI } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';
import { claim } from '../support/claim.ts';
import { runs } from '../support/budget.ts';
import { cachedPages, faultOf, machine32, machinePae } from '../support/machine.ts';
import { machineIn, MODES, type Mode } from '../support/modes.ts';

const PRW = PTE_P | PTE_RW;

describe('the TLB', () => {
  claim('tlb-stale-without-invlpg', () => {
    const { space, mmu, memory } = machine32();
    memory.write32(0x7000, 111);
    memory.write32(0x8000, 222);
    const pte = space.map(0x1000, 0x7000, PRW);
    expect(mmu.read32(0x1000)).toBe(111);
    memory.write32(pte, 0x8000 | PRW); // remap, but tell no one
    expect(mmu.read32(0x1000)).toBe(111); // the stale translation
    mmu.invlpg(0x1000);
    expect(mmu.read32(0x1000)).toBe(222);
    // Unmapping without INVLPG is worse: the page stays readable.
    memory.write32(pte, 0);
    expect(mmu.read32(0x1000)).toBe(222);
    mmu.invlpg(0x1000);
    expect(faultOf(() => mmu.read32(0x1000)).errorCode & PF_P).toBe(0);
    // A CR3 write makes a change visible too: remap again, read the stale frame, reload CR3.
    memory.write32(pte, 0x7000 | PRW);
    expect(mmu.read32(0x1000)).toBe(111);
    memory.write32(pte, 0x8000 | PRW);
    expect(mmu.read32(0x1000)).toBe(111);
    mmu.writeCr3(mmu.cr3);
    expect(mmu.read32(0x1000)).toBe(222);
  });

  claim('invlpg-drops-one-page', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PRW);
    space.map(0x2000, 0x8000, PRW);
    mmu.read8(0x1000);
    mmu.read8(0x2000);
    mmu.invlpg(0x1fff);
    expect(mmu.tlb.entries().map((e) => e.vpn)).toEqual([2]);
  });

  claim('invlpg-large-page', () => {
    const { space, mmu } = machine32({ cr4: CR4_PSE });
    space.map4M(0x0040_0000, 0x0080_0000, PRW);
    mmu.physical(0x0040_0000, READ);
    mmu.physical(0x0060_0000, READ);
    expect(mmu.tlb.entries().length).toBe(2);
    mmu.invlpg(0x007f_f000); // any address in the 4 MiB page
    expect(mmu.tlb.entries()).toEqual([]);
  });

  claim('cr3-write-and-globals', () => {
    for (const pge of [false, true]) {
      const { space, mmu } = machine32({ cr4: pge ? CR4_PGE : 0 });
      space.map(0xc000_0000, 0x7000, PRW | PTE_G);
      space.map(0x1000, 0x8000, PRW | PTE_US);
      mmu.read8(0xc000_0000);
      mmu.read8(0x1000);
      mmu.writeCr3(space.cr3);
      expect(mmu.tlb.entries().map((e) => e.vpn)).toEqual(pge ? [0xc0000] : []);
    }
  });

  claim('mode-change-flushes-all', () => {
    const { space, mmu } = machine32({ cr4: CR4_PGE });
    space.map(0xc000_0000, 0x7000, PRW | PTE_G);
    mmu.read8(0xc000_0000);
    mmu.writeCr4(0); // turning PGE off flushes even global entries
    expect(mmu.tlb.entries()).toEqual([]);
    mmu.writeCr4(CR4_PGE);
    mmu.read8(0xc000_0000);
    mmu.writeCr0(mmu.cr0 & ~0x8000_0000); // paging off
    expect(mmu.tlb.entries()).toEqual([]);
    // Setting PGE flushes too, and not only the Global pages: a translation cached before it is
    // walked again, from the table as it is now.
    const before = machine32();
    before.space.map(0x1000, 0x7000, PRW);
    expect(before.mmu.physical(0x1000, READ)).toBe(0x7000);
    before.memory.write32(before.space.pteAddr(0x1000), 0x9000 | PRW);
    before.mmu.writeCr4(CR4_PGE);
    expect(before.mmu.physical(0x1000, READ)).toBe(0x9000);
    // Leaving PAE for 32-bit paging flushes everything, PGE untouched.
    const pae = machinePae((s) => s.map(0x1000, 0x7000, PRW | PTE_G), { cr4: CR4_PGE });
    pae.mmu.physical(0x1000, READ);
    expect(cachedPages(pae.mmu)).toEqual([1]);
    pae.mmu.writeCr4(CR4_PGE);
    expect(pae.mmu.mode).toBe('32bit');
    expect(pae.mmu.tlb.entries()).toEqual([]);
  });

  claim('tlb-keeps-rights', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PRW); // supervisor only
    mmu.read8(0x1000);
    mmu.setCpl(3);
    // The translation is still cached at CPL 3 (a change of privilege level flushes nothing)...
    expect(cachedPages(mmu)).toEqual([1]);
    // ...and it is not trusted blindly: its rights are checked on every use.
    expect(faultOf(() => mmu.read8(0x1000)).errorCode).toBe(PF_P | 4);
    // Back at CPL 0 the supervisor may read it again, from the tables.
    mmu.setCpl(0);
    expect(() => mmu.read8(0x1000)).not.toThrow();
  });

  claim('fault-drops-page', () => {
    const { space, mmu, memory } = machine32();
    memory.write8(0x7000, 0xaa);
    memory.write8(0x8000, 0xbb);
    const pte = space.map(0x1000, 0x7000, PRW); // supervisor only
    const other = space.map(0x2000, 0x9000, PRW);
    expect(mmu.read8(0x1000)).toBe(0xaa);
    mmu.read8(0x2000);
    // Both PTEs change behind the TLB: stale entries may go on being used...
    memory.write32(pte, 0x8000 | PRW);
    memory.write32(other, 0);
    expect(mmu.read8(0x1000)).toBe(0xaa);
    // ...until a page fault on the page: the fault must drop its entry.
    mmu.setCpl(3);
    expect(faultOf(() => mmu.read8(0x1000)).errorCode).toBe(PF_P | 4);
    mmu.setCpl(0);
    expect(mmu.read8(0x1000)).toBe(0xbb);
    // Only that page's: the other page's stale entry is still used.
    expect(() => mmu.read8(0x2000)).not.toThrow();
    expect(mmu.tlb.entries().map((e) => e.vpn).sort()).toEqual([1, 2]);
  });

  test('a cached entry is judged by the control bits of the moment: CR0.WP, CR4.SMAP and EFLAGS.AC change no translation, only what it allows', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PTE_P); // read-only, supervisor
    space.map(0x2000, 0x8000, PRW | PTE_US); // a user page
    expect(mmu.physical(0x1000, WRITE)).toBe(0x7000); // WP clear: the supervisor may write
    mmu.writeCr0(mmu.cr0 | CR0_WP);
    expect(mmu.physical(0x1000, WRITE)).toBe(-1);
    expect(mmu.lastErrorCode).toBe(PF_P | 2);
    mmu.writeCr0(mmu.cr0 & ~CR0_WP);
    expect(mmu.physical(0x1000, WRITE)).toBe(0x7000);
    mmu.writeCr4(CR4_SMAP);
    mmu.setAc(true);
    expect(mmu.physical(0x2000, READ)).toBe(0x8000);
    mmu.setAc(false); // SMAP now forbids the supervisor's data accesses to the user page
    expect(mmu.physical(0x2000, READ)).toBe(-1);
    mmu.setCpl(3); // but not the user's
    expect(mmu.physical(0x2000, READ)).toBe(0x8000);
    expect(mmu.physical(0x1000, READ)).toBe(-1);
    mmu.setCpl(0);
    expect(mmu.physical(0x2000, READ)).toBe(-1);
    expect(mmu.physical(0x1000, READ)).toBe(0x7000);
    // Page 1's translation was never dropped; page 2's went with its last fault (a fault drops its page's entry).
    expect(mmu.tlb.entries().map((e) => e.vpn)).toEqual([1]);
  });

  test('the TLB counts walks; a second access to the page does not walk', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PRW);
    mmu.read8(0x1000);
    mmu.read8(0x1004);
    expect(mmu.tlb.misses).toBe(1);
  });
});

/*
 * The property: through the TLB, every access answers as a fresh walk would,
 * unless an entry on its walk changed without a flush. Programs of random
 * steps run in every paging mode: accesses of each kind at each CPL, leaf
 * and directory entries rewritten (with Global, Dirty, Accessed, XD, reserved
 * bits, large pages of every size, frames above 2 and 4 GiB), INVLPG, CR3
 * reloads with CR4.PGE on or off, CR0.WP and EFLAGS.AC flipped under SMEP and
 * SMAP. The model keeps, for each probed page, whether its entries changed
 * since its last flush: INVLPG of the page (or of any page in the same large
 * page) flushes it, and a CR3 write flushes it unless its cached copy may be
 * Global. Every other access must give the fresh walk's address, or its
 * fault, error code and CR2; and after it succeeds, every entry on the walk
 * is Accessed, and the leaf Dirty if it was a write.
 */
interface Layout {
  /** Region bases: each holds four probed pages, all under one directory entry of every level. */
  regions: number[];
  /** The directory levels a program may rewrite (PAE's PDPTEs are registers, loaded only by CR3). */
  dirDepths: number[];
  /** Depths where PS=1 maps a large page, with the frames such a page may have. */
  large: Record<number, number[]>;
  frames: number[];
}
const PROBES = [0, 1, 5, 300]; // page indices within a region: all in one 2 MiB page
const LAYOUT: Record<Mode, Layout> = {
  '32bit': {
    regions: [0x0040_0000, 0x0080_0000, 0xc000_0000], dirDepths: [0],
    large: { 0: [0, 0x0080_0000, 0x8000_0000, 0xffc0_0000] },
    frames: [0x4_0000, 0x4_1000, 0x8000_1000, 0xffff_f000],
  },
  pae: {
    regions: [0x0040_0000, 0x4000_0000, 0xffc0_0000], dirDepths: [1],
    large: { 1: [0x0060_0000, 0x8000_0000, 0x1_0020_0000, 0xff_ffe0_0000] },
    frames: [0x4_0000, 0x4_1000, 0x8000_1000, 0x1_2345_6000, 0xff_ffff_f000],
  },
  ia32e: {
    regions: [0x0040_0000, 0x4000_0000, -(2 ** 30)], dirDepths: [0, 1, 2],
    large: { 1: [0x4000_0000, 0x8000_0000, 0x1_0000_0000, 0xff_c000_0000], 2: [0x0060_0000, 0x8000_0000, 0x1_0020_0000, 0xff_ffe0_0000] },
    frames: [0x4_0000, 0x4_1000, 0x8000_1000, 0x1_2345_6000, 0xff_ffff_f000],
  },
};

type TlbOp =
  | { op: 'access'; region: number; probe: number; kind: AccessKind; cpl: number }
  | { op: 'leaf'; region: number; probe: number; frame: number; flags: number; hi: number; invlpg: boolean }
  | { op: 'dir'; region: number; level: number; flags: number; large: boolean; frame: number; hi: number; invlpg: number | null }
  | { op: 'invlpg'; region: number; probe: number }
  | { op: 'cr3' }
  | { op: 'wp' }
  | { op: 'ac' };

/** Flags of a leaf or directory entry: usually present; any of RW, US, PWT, PCD, A, D, G. */
const entryFlags = fc.tuple(fc.nat(0x1ff), fc.nat(7)).map(([f, n]) => ((n > 0 ? f | PTE_P : f & ~PTE_P) & ~PTE_PS) >>> 0);
/** A high word: usually zero, now and then XD, and rarely a reserved bit (51). */
const highWord = fc.nat(15).map((n) => (n < 10 ? 0 : n < 15 ? PTE_XD_HI : 1 << 19));

const tlbOp: fc.Arbitrary<TlbOp> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('access' as const), region: fc.nat(2), probe: fc.nat(PROBES.length - 1), kind: fc.constantFrom(READ, WRITE, FETCH), cpl: fc.constantFrom(0, 3, 3, 1) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('leaf' as const), region: fc.nat(2), probe: fc.nat(PROBES.length - 1), frame: fc.nat(4), flags: entryFlags, hi: highWord, invlpg: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('dir' as const), region: fc.nat(2), level: fc.nat(2), flags: entryFlags, large: fc.nat(2).map((n) => n === 0), frame: fc.nat(3), hi: highWord, invlpg: fc.option(fc.nat(PROBES.length - 1)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('invlpg' as const), region: fc.nat(2), probe: fc.nat(PROBES.length - 1) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'cr3' as const }) },
  { weight: 1, arbitrary: fc.constantFrom({ op: 'wp' as const }, { op: 'ac' as const }) },
);

const machineArb = fc.record({ pge: fc.boolean(), nxe: fc.boolean(), smep: fc.boolean(), smap: fc.boolean(), tlbSize: fc.constantFrom(8, 1024) });

/** Run one program; the number of accesses checked against a fresh walk. */
function freshWalkProperty(mode: Mode, o: { pge: boolean; nxe: boolean; smep: boolean; smap: boolean; tlbSize: number }, ops: TlbOp[]): number {
  const layout = LAYOUT[mode];
  const m = machineIn(mode, { wp: true, nxe: o.nxe, tlbSize: o.tlbSize, cr4: CR4_PSE | (o.pge ? CR4_PGE : 0) | (o.smep ? CR4_SMEP : 0) | (o.smap ? CR4_SMAP : 0) });
  const { memory, mmu } = m;
  const wide = mode !== '32bit';
  const leaf = m.levels - 1;
  // The probed pages, mapped user and writable, and where each entry of their walks is.
  const pages = layout.regions.flatMap((base, region) => PROBES.map((i) => ({ region, va: base + i * 0x1000 })));
  for (const p of pages) m.map(p.va, layout.frames[0]!, PTE_P | PTE_RW | PTE_US);
  const walkOf = pages.map((p) => Array.from({ length: m.levels }, (_, d) => m.entryAddr(p.va, d)));
  /** The table each directory entry named at the start, where a rewritten entry points unless it maps a large page. */
  const tableOf = new Map(walkOf.flat().map((at) => [at, (memory.read32(at) & 0xffff_f000) >>> 0]));
  mmu.writeCr3(m.root); // PAE: load the PDPTEs, now that their tables are filled
  const stale = pages.map(() => false);
  const mayBeGlobal = pages.map(() => false);
  const write = (at: number, lo: number, hi: number) => {
    memory.write32(at, lo >>> 0);
    if (wide) memory.write32(at + 4, hi >>> 0);
  };
  /** Whether `page`'s walk, as the tables stand, ends in a present large page: then INVLPG of any page in it drops all its pieces. */
  const inLargePage = (page: number) => {
    for (let d = 0; d < leaf; d++) {
      const lo = memory.read32(walkOf[page]![d]!);
      if (!(lo & PTE_P)) return false;
      if (lo & PTE_PS && d in layout.large) return true;
    }
    return false;
  };
  const flush = (page: number) => {
    stale[page] = false;
    mayBeGlobal[page] = false;
  };
  const invlpg = (page: number) => {
    mmu.invlpg(pages[page]!.va);
    flush(page);
  };

  let checked = 0;
  for (const o2 of ops) {
    switch (o2.op) {
      case 'access': {
        const page = o2.region * PROBES.length + o2.probe;
        const va = pages[page]!.va + 0x234;
        mmu.setCpl(o2.cpl);
        const access = (['read', 'write', 'fetch'] as const)[o2.kind];
        const fresh = mmu.translate(va, access);
        // Whatever it finds, a walk now may leave a Global entry behind.
        if (walkOf[page]!.some((at) => memory.read32(at) & PTE_G)) mayBeGlobal[page] = true;
        const got = mmu.physical(va, o2.kind);
        if (stale[page]) break;
        checked++;
        const where = `${mode}: ${access} of ${va.toString(16)} at CPL ${o2.cpl}`;
        expect(got, where).toBe(fresh.ok ? fresh.paddr : -1);
        if (!fresh.ok) {
          expect(mmu.lastErrorCode, where).toBe(fresh.errorCode);
          expect(mmu.cr2, where).toBe(va);
          break;
        }
        // The walk's bits are in memory, whether this access walked or hit.
        for (const [i, step] of fresh.steps.entries()) {
          if (step.level === 'PDPTE' && mode === 'pae') continue; // a register: no Accessed bit
          const lo = memory.read32(step.entryAddr);
          expect(lo & PTE_A, `${where}: Accessed in ${step.level}`).toBe(PTE_A);
          if (i === fresh.steps.length - 1 && o2.kind === WRITE) expect(lo & PTE_D, `${where}: Dirty`).toBe(PTE_D);
        }
        break;
      }
      case 'leaf': {
        const page = o2.region * PROBES.length + o2.probe;
        const frame = layout.frames[o2.frame % layout.frames.length]!;
        write(walkOf[page]![leaf]!, (frame % 2 ** 32) | o2.flags, o2.hi | Math.floor(frame / 2 ** 32));
        if (o2.invlpg) invlpg(page);
        else stale[page] = true;
        break;
      }
      case 'dir': {
        const depth = layout.dirDepths[o2.level % layout.dirDepths.length]!;
        const at = walkOf[o2.region * PROBES.length]![depth]!;
        const frames = layout.large[depth];
        const frame = o2.large && frames ? frames[o2.frame]! : tableOf.get(at)!;
        // Pages of the region unchanged until now are pieces of one large page, if the walk ends in one.
        const pieces = o2.invlpg !== null && inLargePage(o2.region * PROBES.length) ? stale.map((s, q) => !s && pages[q]!.region === o2.region) : [];
        write(at, (frame % 2 ** 32) | o2.flags | (o2.large ? PTE_PS : 0), o2.hi | Math.floor(frame / 2 ** 32));
        // Every page whose walk uses this entry has changed, in every region that shares it.
        for (let q = 0; q < pages.length; q++) if (walkOf[q]![depth] === at) stale[q] = true;
        if (o2.invlpg !== null) {
          // INVLPG of one page drops it, and every piece of the large page it was in.
          invlpg(o2.region * PROBES.length + o2.invlpg);
          pieces.forEach((piece, q) => piece && flush(q));
        }
        break;
      }
      case 'invlpg':
        invlpg(o2.region * PROBES.length + o2.probe);
        break;
      case 'cr3':
        mmu.writeCr3(m.root);
        for (let q = 0; q < pages.length; q++) if (!o.pge || !mayBeGlobal[q]) flush(q);
        break;
      case 'wp':
        mmu.writeCr0(mmu.cr0 ^ CR0_WP);
        break;
      case 'ac':
        mmu.setAc(!mmu.privilege.ac);
        break;
    }
  }
  return checked;
}

describe('the TLB against fresh walks', () => {
  claim('tlb-equals-fresh-walk', () => {
    for (const mode of MODES) {
      let checked = 0;
      fc.assert(fc.property(machineArb, fc.array(tlbOp, { minLength: 20, maxLength: 80, size: 'max' }), (o, ops) => { checked += freshWalkProperty(mode, o, ops); }), { numRuns: runs(150) });
      expect(checked).toBeGreaterThan(runs(2000));
    }
  });
});
