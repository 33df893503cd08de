/*
 * Nested paging in the MMU: what a TLB miss costs in memory references, in
 * each paging mode of the Guest's; what an EPT violation is and is not; and
 * what a page-walk cache for nested walks saves.
 */
import { describe, expect } from 'vitest';
import { thrownBy } from '../support/machine.ts';
import { PageFault } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PSE, EFER_LME } from '../../src/hw/mmu.ts';
import { EPT_R, EPT_X, EptViolation, refsPerMiss, type NestedRef } from '../../src/hw/nested.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE } from '../../src/hw/rights.ts';
import { Builder32, BuilderPae, FrameAllocator } from '../../src/tools/builder.ts';
import { claim } from '../support/claim.ts';
import { nestedMachine, type NestedMachine } from '../support/nested.ts';

const USER = PTE_P | PTE_RW | PTE_US;

/** A 32-bit Guest of 1 MiB: pages at 0x08048000 (frame 5), 0x08049000 (frame 6) and, already Dirty, 0x0804a000 (frame 7); a 4 MiB page at 0x40000000. */
function guest32(o: Parameters<typeof nestedMachine>[1] = {}) {
  const memory = new PhysicalMemory(1 << 20);
  const space = new Builder32(memory, new FrameAllocator(memory, 16));
  space.map(0x0804_8000, 0x5000, USER);
  space.map(0x0804_9000, 0x6000, USER);
  space.map(0x0804_a000, 0x7000, USER | PTE_A | PTE_D);
  space.map4M(0x4000_0000, 0, USER);
  memory.write32(0x5abc, 0x1234_5678);
  const m = nestedMachine(memory, o);
  m.mmu.writeCr4(CR4_PSE);
  m.mmu.writeCr3(space.cr3);
  m.mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
  return { ...m, space };
}

/** A PAE Guest: the same page, and a 2 MiB page at 0x40000000. */
function guestPae() {
  const memory = new PhysicalMemory(1 << 20);
  const space = new BuilderPae(memory, new FrameAllocator(memory, 16));
  space.map(0x0804_8000, 0x5000, USER);
  space.map2M(0x4000_0000, 0, USER);
  const m = nestedMachine(memory);
  m.mmu.writeCr4(CR4_PAE);
  m.mmu.writeCr3(space.cr3);
  return { ...m, space, enable: () => m.mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP) };
}

/** An IA-32e Guest, built by hand: PML4 at 0x10000, PDPT 0x11000, PD 0x12000, PT 0x13000; a 4 KiB, a 2 MiB and a 1 GiB page. */
function guestIa32e() {
  const memory = new PhysicalMemory(1 << 20);
  const table = USER | PTE_A;
  memory.write32(0x10000, 0x11000 | table); // PML4E 0
  memory.write32(0x11000, 0x12000 | table); // PDPTE 0: 0 to 1 GiB
  memory.write32(0x11008, 0 | USER | PTE_PS); // PDPTE 1: a 1 GiB page at 1 GiB
  memory.write32(0x12000 + 0x40 * 8, 0x13000 | table); // PDE 0x40: 0x08000000
  memory.write32(0x12000 + 0x41 * 8, 0 | USER | PTE_PS); // PDE 0x41: a 2 MiB page at 0x08200000
  memory.write32(0x13000 + 0x48 * 8, 0x5000 | USER); // PTE 0x48: 0x08048000
  const m = nestedMachine(memory);
  m.mmu.writeCr4(CR4_PAE);
  m.mmu.writeEfer(EFER_LME);
  m.mmu.writeCr3(0x10000);
  m.mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
  return m;
}

/** The references one access makes, as (dimension, level) pairs, and how many. */
function refsOf(m: NestedMachine, access: () => unknown): { refs: number; seen: NestedRef[] } {
  const seen: NestedRef[] = [];
  m.ept.onRef = (r) => seen.push(r);
  const before = m.ept.walkRefs;
  access();
  m.ept.onRef = null;
  return { refs: m.ept.walkRefs - before, seen };
}

/** A word of the Guest's memory, where the Host keeps it. */
const guestWord = (m: NestedMachine, gpa: number) => m.host.read32(m.hostFrame[gpa >>> 12]! * 4096 + (gpa & 0xfff));

const shape = (seen: NestedRef[]) => seen.map((r) => (r.dimension === 'guest' ? r.level : 'h')).join(' ');

describe('nested paging', () => {
  claim('nested-refs-per-miss', () => {
    // Two levels of Guest tables over four of the Host's: (2+1)(4+1) − 1 = 14.
    const m = guest32();
    const miss = refsOf(m, () => expect(m.mmu.read32(0x0804_8abc)).toBe(0x1234_5678));
    expect(miss.refs).toBe(14);
    expect(refsPerMiss(2)).toBe(14);
    // Four for the Host's entries on the way to the page directory, the PDE, four on the way to the page table, the PTE, four for the page.
    expect(shape(miss.seen)).toBe('h h h h PDE h h h h PTE h h h h');
    // The Guest-physical addresses translated: the PDE's, the PTE's, the byte's.
    const pdeAt = m.space.pdeAddr(0x0804_8000);
    const pteAt = m.space.pteAddr(0x0804_8000);
    expect([0, 4, 5, 9, 10].map((i) => miss.seen[i]!.gpa)).toEqual([pdeAt, pdeAt, pteAt, pteAt, 0x5abc]);
    // A hit costs nothing, as it always did.
    expect(refsOf(m, () => m.mmu.read32(0x0804_8ab0)).refs).toBe(0);
    // A 4 MiB page: one Guest level, (1+1)(4+1) − 1 = 9.
    expect(refsOf(m, () => m.mmu.read32(0x4000_5abc)).refs).toBe(9);
    expect(refsPerMiss(1)).toBe(9);

    // PAE: the PDPT entries are registers, loaded through the Host's tables when CR3 is (four entries, five references each).
    const p = guestPae();
    const load = refsOf(p, p.enable);
    expect([load.refs, p.ept.refs]).toEqual([0, 20]);
    expect(refsOf(p, () => p.mmu.read32(0x0804_8abc)).refs).toBe(14);
    expect(refsOf(p, () => p.mmu.read32(0x4000_5abc)).refs).toBe(9);

    // IA-32e, four levels over four: the 24 of Bhargava and others (2008). Large pages take a level off each.
    const l = guestIa32e();
    const four = refsOf(l, () => l.mmu.read32(0x0804_8abc));
    expect(four.refs).toBe(24);
    expect(refsPerMiss(4)).toBe(24);
    expect(shape(four.seen)).toBe('h h h h PML4E h h h h PDPTE h h h h PDE h h h h PTE h h h h');
    expect(refsOf(l, () => l.mmu.read32(0x0820_1abc)).refs).toBe(refsPerMiss(3));
    expect(refsOf(l, () => l.mmu.read32(0x4000_1abc)).refs).toBe(refsPerMiss(2));
    // Every miss so far was a whole walk: the counters agree with the formula overall.
    expect(l.ept.walkRefs / l.ept.walks).toBe((24 + 19 + 14) / 3);
  });

  claim('nested-ept-violation', () => {
    // The Guest's page table (frame 17) is not in the Host's tables: the walk stops there, and the processor exits with its address.
    const m = guest32({ unmapped: [17, 6] });
    const pteAt = m.space.pteAddr(0x0804_8000);
    expect(pteAt >>> 12).toBe(17);
    const exit = (f: () => unknown): EptViolation => thrownBy(EptViolation, f);
    let e = exit(() => m.mmu.physical(0x0804_8abc, READ));
    expect([e.gpa, e.kind, e.duringWalk, e.linear, e.allowed]).toEqual([pteAt, READ, true, 0x0804_8abc, 0]);
    // Not a page fault: the Guest's CR2 and error code are untouched, and the TLB holds nothing.
    expect([m.mmu.cr2, m.mmu.lastErrorCode, m.mmu.tlb.entries().length]).toEqual([0, 0, 0]);
    // Through the access path too it is an exit, never a #PF.
    expect(exit(() => m.mmu.read32(0x0804_8abc))).not.toBeInstanceOf(PageFault);
    // The page at the end (frame 6) unmapped: the exit names the byte, and says it was no table.
    const n = guest32({ unmapped: [6] });
    e = exit(() => n.mmu.physical(0x0804_9123, WRITE));
    expect([e.gpa, e.kind, e.duringWalk]).toEqual([0x6123, WRITE, false]);

    // A page the Host maps read and execute only: reads go, and the TLB copy they leave (of a Guest entry already
    // Dirty, which would let a store through on bare hardware) never lets a write through.
    const r = guest32({ rights: new Map([[7, EPT_R | EPT_X]]) });
    expect(r.mmu.read32(0x0804_aabc)).toBe(0);
    expect(r.mmu.physical(0x0804_aabc, FETCH)).toBeGreaterThan(0);
    expect(r.mmu.tlb.misses).toBe(1);
    e = exit(() => r.mmu.physical(0x0804_aabc, WRITE));
    expect([e.gpa, e.kind, e.duringWalk, e.allowed]).toEqual([0x7abc, WRITE, false, EPT_R | EPT_X]);
    // And without execute, no fetch.
    const x = guest32({ rights: new Map([[7, EPT_R]]) });
    expect(x.mmu.read32(0x0804_aabc)).toBe(0);
    expect(exit(() => x.mmu.physical(0x0804_aabc, FETCH)).kind).toBe(FETCH);

    // A fault in the Guest's own tables is the Guest's: a #PF with bare hardware's error code, and no exit.
    const g = guest32();
    expect(g.mmu.physical(0x0900_0000, READ)).toBe(-1);
    expect([g.mmu.cr2, g.mmu.lastErrorCode]).toEqual([0x0900_0000, 0]);
    g.mmu.setCpl(3);
    expect(g.mmu.physical(0x0804_8000, READ)).toBeGreaterThan(0);
    // Accessed and Dirty land in the Guest's entries, in the Host page that holds them.
    g.mmu.write32(0x0804_8000, 1);
    expect(guestWord(g, g.space.pteAddr(0x0804_8000)) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });

  claim('nested-walk-cache', () => {
    // A cache of 16 Guest-physical → Host-physical translations beside the TLB.
    const m = guest32({ walkCache: 16 });
    expect(refsOf(m, () => m.mmu.read32(0x0804_8abc)).refs).toBe(14);
    // The next page: the same directory and table, whose translations are cached; only the new page is walked.
    const next = refsOf(m, () => m.mmu.read32(0x0804_9000));
    expect(shape(next.seen)).toBe('PDE PTE h h h h');
    expect([next.refs, m.ept.cacheHits, m.ept.refsSaved]).toEqual([6, 2, 8]);
    // A CR3 reload empties the TLB but not the cache: the first page again costs two references.
    m.mmu.writeCr3(m.mmu.cr3);
    expect(refsOf(m, () => m.mmu.read32(0x0804_8abc)).refs).toBe(2);
    // INVEPT's part: flushed, the cache saves nothing.
    m.ept.flushWalkCache();
    m.mmu.writeCr3(m.mmu.cr3);
    expect(refsOf(m, () => m.mmu.read32(0x0804_8abc)).refs).toBe(14);
  });
});
