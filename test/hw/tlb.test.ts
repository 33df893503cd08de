import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PF_P } from '../../src/hw/fault.ts';
import { CR0_WP, CR4_PGE, CR4_PSE, CR4_SMAP } from '../../src/hw/mmu.ts';
import { PTE_G, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';
import { claim } from '../support/claim.ts';
import { faultOf, machine32 } from '../support/machine.ts';

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
  });

  claim('tlb-keeps-rights', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PRW); // supervisor only
    mmu.read8(0x1000);
    mmu.setCpl(3);
    // The cached entry is not trusted blindly: its rights are checked on every use.
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

/* The property: through the TLB, every access answers as a fresh walk would,
 * unless an entry changed without a flush; and a flush always restores that. */
type Op =
  | { op: 'set'; page: number; frame: number; flags: number; invlpg: boolean }
  | { op: 'access'; page: number; kind: AccessKind; cpl: 0 | 1 | 3 }
  | { op: 'cr3' }
  // Control bits that change what the supervisor may do, without a flush.
  | { op: 'policy'; wp: boolean; smap: boolean; ac: boolean };

const PAGES = 8; // four in each of two directory entries
const vaOf = (page: number) => (page >> 2) * 0x40_0000 + (page & 3) * 0x1000;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), page: fc.nat(PAGES - 1), frame: fc.integer({ min: 0x40, max: 0x4f }), flags: fc.nat(7), invlpg: fc.boolean() }),
  fc.record({ op: fc.constant('access' as const), page: fc.nat(PAGES - 1), kind: fc.constantFrom(READ, WRITE, FETCH), cpl: fc.constantFrom(0 as const, 1 as const, 3 as const) }),
  fc.constant({ op: 'cr3' as const }),
  fc.record({ op: fc.constant('policy' as const), wp: fc.boolean(), smap: fc.boolean(), ac: fc.boolean() }),
);
const ACCESS = { [READ]: 'read', [WRITE]: 'write', [FETCH]: 'fetch' } as const;

describe('the TLB against fresh walks', () => {
  claim('tlb-equals-fresh-walk', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const { space, mmu } = machine32({ wp: true });
        for (let p = 0; p < PAGES; p++) space.map(vaOf(p), 0x40000 + p * 0x1000, 0);
        const stale = new Set<number>();
        for (const o of ops) {
          if (o.op === 'set') {
            space.map(vaOf(o.page), o.frame * 0x1000, o.flags);
            if (o.invlpg) mmu.invlpg(vaOf(o.page));
            else stale.add(o.page);
          } else if (o.op === 'cr3') {
            mmu.writeCr3(space.cr3);
            stale.clear();
          } else if (o.op === 'policy') {
            mmu.writeCr0((mmu.cr0 & ~CR0_WP) | (o.wp ? CR0_WP : 0));
            mmu.writeCr4(o.smap ? CR4_SMAP : 0);
            mmu.setAc(o.ac);
          } else {
            mmu.setCpl(o.cpl);
            const fresh = mmu.translate(vaOf(o.page), ACCESS[o.kind]);
            const got = mmu.physical(vaOf(o.page), o.kind);
            if (!stale.has(o.page)) {
              expect(got).toBe(fresh.ok ? fresh.paddr : -1);
              if (!fresh.ok) expect(mmu.lastErrorCode).toBe(fresh.errorCode);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
