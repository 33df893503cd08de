/*
 * The transparent Host out of pages for shadows. At a CR3 load, at a page
 * fault, and in the middle of a word that straddles two pages, the Host
 * throws every shadow away (zapAll), counts it, and tries once more; if even
 * an empty Host cannot hold what one access needs, the Guest is killed with
 * a reason. Nothing but a GuestKilled leaves the Host, the Guest sees the
 * values bare hardware would give, and the Host writes nothing outside its
 * shadow pages: not its own frame 0, not the Guest's first word.
 */
import { describe, expect, test } from 'vitest';
import { READ } from '../../src/hw/rights.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { guestWriteCr0, guestWriteCr3 } from '../../src/host/transparent/exits.ts';
import { vmAccess } from '../../src/host/transparent/run.ts';
import { entryFrame } from '../../src/host/transparent/shadow-cache.ts';
import type { Vm } from '../../src/host/transparent/vm.ts';
import { CR0_PE, CR0_PG, CR0_WP } from '../../src/hw/mmu.ts';
import { PTE_P } from '../../src/hw/pte.ts';
import { DIR, PDPT, poke, PRWU, PTAB, smallGuest, USER, userRead, word } from '../support/transparent-guest.ts';

const OOM = 'out of memory allocating a shadow page';

/** Host frame 0 is no shadow page and nobody's table: the Host must never write it. */
const hostFrameZeroClean = (vm: Vm) => vm.memory.bytes.subarray(0, 4096).every((b) => b === 0);

/** A word the Guest keeps at Guest-physical 0, just past the Host's last frame: it looks like a present entry. */
const GUEST_WORD_0 = 0x1234_5001;

describe('out of shadow pages at a CR3 load', () => {
  test('the Host makes room (one zapAll, counted) and the Guest runs on, its memory untouched', () => {
    // Two frames for shadows: the root and one page table.
    const g = smallGuest({
      hostPages: 3,
      setup: ({ vm }) => {
        poke(vm, 0, GUEST_WORD_0);
        poke(vm, 0x8000, PTAB | DIR); // a second address space, sharing the page table
      },
    });
    const { vm } = g;
    expect(vm.stats).toMatchObject({ shadowPagesAllocated: 1, shadowPagesFreed: 0, zapAlls: 0 });
    expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
    expect(vm.stats).toMatchObject({ shadowPagesAllocated: 2, shadowPagesFreed: 0, zapAlls: 0 });
    // The new root needs a third page: both go, the new root takes one.
    guestWriteCr3(vm, 0x8000);
    expect(vm.stats).toMatchObject({ shadowPagesAllocated: 3, shadowPagesFreed: 2, zapAlls: 1 });
    expect(vm.pageOf.get(vm.root)?.gfn).toBe(8);
    expect(vmAccess(vm, READ, USER + 0xffc, 3)).toBe(0x4433_2211);
    expect(vm.stats).toMatchObject({ shadowPagesAllocated: 4, shadowPagesFreed: 2, zapAlls: 1 });
    expect(vm.dead).toBeNull();
    expect(word(vm, 0)).toBe(GUEST_WORD_0);
    expect(hostFrameZeroClean(vm)).toBe(true);
  });

  test('a Host with no page for the root kills the Guest at the MOV CR0 that needs it, with a reason, after one zapAll', () => {
    let vm: Vm | undefined;
    expect(() => smallGuest({ hostPages: 1, setup: (g) => { vm = g.vm; } })).toThrow(GuestKilled);
    expect(vm!.dead).toBe(OOM);
    expect(vm!.stats.zapAlls).toBe(1);
    // One frame is enough for the root.
    expect(smallGuest({ hostPages: 2 }).vm.stats.zapAlls).toBe(0);
  });

  test('under PAE, a root whose second directory finds no page kills the Guest at MOV CR0, after one zapAll', () => {
    let vm: Vm | undefined;
    // The PDPT page and one frame for shadows: the first directory's shadow fits, the second's never does.
    expect(() => smallGuest({ pae: true, hostPages: 3, setup: (g) => { vm = g.vm; poke(g.vm, PDPT + 8, 0x8000 | PTE_P); } })).toThrow(OOM);
    expect(vm!.dead).toBe(OOM);
    expect(vm!.stats.zapAlls).toBe(1);
    expect(() => guestWriteCr0(vm!, CR0_PG | CR0_PE | CR0_WP)).toThrow(OOM);
  });
});

describe('out of shadow pages at a page fault', () => {
  /** PDE 1 (PAE: PDPT entry 1) reaches a second page table, at 0x9000, whose entry 0 maps 0x6000. */
  function secondTable(pae: boolean) {
    return (g: { vm: Vm; e: number }) => {
      const { vm } = g;
      poke(vm, 0, GUEST_WORD_0);
      if (pae) {
        poke(vm, PDPT + 8, 0x8000 | PTE_P);
        poke(vm, 0x8000, 0x9000 | DIR);
      } else poke(vm, 0x1000 + 4, 0x9000 | DIR);
      poke(vm, 0x9000, 0x6000 | PRWU);
    };
  }

  for (const pae of [false, true]) {
    const far = pae ? 0x4000_0000 : 0x0040_0000;
    test(`${pae ? 'PAE' : 'two-level'}: the Host makes room and the access completes in one exit, writing nothing outside its shadows`, () => {
      // Two-level: the root and one table fit. PAE: the PDPT page, both directories' shadows, one table.
      const g = smallGuest({ pae, hostPages: pae ? 5 : 3, setup: secondTable(pae) });
      const { vm } = g;
      expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
      const before = { ...vm.stats };
      expect(userRead(g, far)).toBe(0xeeee_eeee);
      expect(vm.stats.zapAlls - before.zapAlls).toBe(1);
      expect(vm.stats.exits - before.exits).toBe(1);
      expect(vm.stats.hiddenFaults - before.hiddenFaults).toBe(1);
      expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
      expect(vm.dead).toBeNull();
      expect(word(vm, 0)).toBe(GUEST_WORD_0);
      expect(hostFrameZeroClean(vm)).toBe(true);
      if (pae) {
        // Every root entry names a live shadow page.
        for (let i = 0; i < 2; i++) expect(vm.pageOf.has(entryFrame(vm.memory.read32(vm.paeRoot + i * 8)))).toBe(true);
      }
    });
  }

  test('a Host that cannot hold the root and one table kills the Guest with a reason, after one zapAll', () => {
    const g = smallGuest({ hostPages: 2 });
    expect(() => userRead(g, USER)).toThrow(GuestKilled);
    expect(g.vm.dead).toBe(OOM);
    expect(g.vm.stats.zapAlls).toBe(1);
    expect(hostFrameZeroClean(g.vm)).toBe(true);
  });
});

describe('out of shadow pages in the middle of a word across two pages', () => {
  /** 0x007ffffe straddles PDE 1 (table 0x8000, its last entry maps 0x5000) and PDE 2 (table 0x9000, entry 0 maps 0x3000). */
  const tables = ({ vm }: { vm: Vm }) => {
    poke(vm, 0x1000 + 4, 0x8000 | DIR);
    poke(vm, 0x1000 + 8, 0x9000 | DIR);
    poke(vm, 0x8000 + 0x3ff * 4, 0x5000 | PRWU);
    poke(vm, 0x9000, 0x3000 | PRWU);
  };
  const STRADDLE = 0x007f_fffe;

  test('each half pushing the other out (two zaps in one access) kills the Guest with a reason', () => {
    // Two frames: the root and one table; this word needs two tables.
    const g = smallGuest({ hostPages: 3, setup: tables });
    expect(() => userRead(g, STRADDLE)).toThrow(GuestKilled);
    expect(g.vm.dead).toBe(OOM);
    expect(g.vm.stats.zapAlls).toBe(2);
  });

  test('one zap in an access is room enough: the Guest lives, and each half costs one exit', () => {
    const g = smallGuest({ hostPages: 4, setup: tables }); // the root and two tables
    const { vm } = g;
    expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
    expect(userRead(g, 0x007f_f000)).toBe(0);
    let before = { ...vm.stats };
    // The first half is in the shadows; the second needs a table: a zap; then the first needs its table again.
    expect(userRead(g, STRADDLE)).toBe(0x6655_4433);
    expect(vm.stats.zapAlls - before.zapAlls).toBe(1);
    expect(vm.stats.exits - before.exits).toBe(2);
    // Another zap, for USER's table; then the straddling word again, with zaps already counted before it.
    expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
    before = { ...vm.stats };
    expect(before.zapAlls).toBe(2);
    expect(userRead(g, STRADDLE)).toBe(0x6655_4433);
    expect(vm.stats.zapAlls - before.zapAlls).toBe(1);
    expect(vm.dead).toBeNull();
  });
});
