/*
 * A Guest of the transparent Host that names memory it does not have, at the
 * very edge: CR3, a PDPT entry, a page table, a page, each at the first
 * frame past the Guest's memory (killed, with a reason that says which) and
 * at the last frame inside it (not killed). And what bare hardware allows
 * that looks as if it might not be: a CR3 outside memory before paging is
 * on, which is only a number until paging uses it.
 */
import { describe, expect, test } from 'vitest';
import { CR0_NW, CR0_PE, CR0_PG, CR0_WP } from '../../src/hw/mmu.ts';
import { PTE_P, PTE_PS } from '../../src/hw/pte.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { guestWriteCr0, guestWriteCr3 } from '../../src/host/transparent/exits.ts';
import { createVm, type Vm } from '../../src/host/transparent/vm.ts';
import { DIR, PDIR, PDPT, poke, PRWU, setPte, smallGuest, USER, userRead, type SmallGuest } from '../support/transparent-guest.ts';

/** 64 pages of Guest memory: frame 0x40 is the first past its end. */
const LIMIT = 0x40;

/** A Guest built with `setup`, and the reason it was killed (null when it lives). */
function build(o: Parameters<typeof smallGuest>[0]): { g: SmallGuest | null; vm: Vm; dead: string | null } {
  let vm: Vm | undefined;
  let g: SmallGuest | null = null;
  try {
    g = smallGuest({ ...o, setup: (s) => { vm = s.vm; o?.setup?.(s); } });
  } catch (e) {
    if (!(e instanceof GuestKilled)) throw e;
  }
  return { g, vm: vm!, dead: vm!.dead };
}

describe('CR3 and the PDPT at the edge of Guest memory', () => {
  test('two-level: CR3 at the first frame past the Guest is refused with its reason; at the last frame inside it is a table', () => {
    const g = smallGuest();
    const shadows = g.vm.shadows.size;
    guestWriteCr3(g.vm, (LIMIT - 1) * 4096);
    expect(g.vm.pageOf.get(g.vm.root)?.gfn).toBe(LIMIT - 1);
    expect(() => guestWriteCr3(g.vm, LIMIT * 4096)).toThrow(GuestKilled);
    expect(g.vm.dead).toBe("bad CR3 0x40000: outside the Guest's memory");
    // Killing the Guest is no reason to throw away its shadows.
    expect(g.vm.stats.zapAlls).toBe(0);
    expect(g.vm.shadows.size).toBe(shadows + 1);
  });

  test('a CR3 outside the Guest before paging is on is only a number: the Guest loads a good one and runs', () => {
    const { g, dead } = build({ setup: ({ vm }) => guestWriteCr3(vm, 0x0fff_f000) });
    expect(dead).toBeNull();
    expect(userRead(g!, USER + 0xffc)).toBe(0x4433_2211);
  });

  test('PAE: a PDPT entry naming a directory past the Guest, or above 4 GiB, is refused with its number; the last frame is a directory', () => {
    const atLimit = build({ pae: true, setup: ({ vm }) => poke(vm, PDPT + 8, (LIMIT * 4096) | PTE_P) });
    expect(atLimit.dead).toBe("bad PDPT entry 1: its page directory is outside the Guest's memory");
    expect(atLimit.vm.stats.zapAlls).toBe(0);
    // Bit 32 is below MAXPHYADDR, so the processor takes the entry; the Host has no such memory.
    const high = build({
      pae: true,
      setup: ({ vm }) => {
        poke(vm, PDPT + 2 * 8, 0x8000 | PTE_P);
        poke(vm, PDPT + 2 * 8 + 4, 1);
      },
    });
    expect(high.dead).toBe("bad PDPT entry 2: its page directory is outside the Guest's memory");
    const last = build({ pae: true, setup: ({ vm }) => poke(vm, PDPT + 3 * 8, ((LIMIT - 1) * 4096) | PTE_P) });
    expect(last.dead).toBeNull();
    expect(userRead(last.g!, USER + 0xffc)).toBe(0x4433_2211);
  });

  test('PAE: what the processor refuses (#GP) or cannot read kills the Guest, naming the instruction', () => {
    // A reserved bit (bit 1) in a present PDPT entry: bare hardware's MOV CR0 raises #GP.
    const reserved = build({ pae: true, setup: ({ vm }) => poke(vm, PDPT, PDIR | PTE_P | 2) });
    expect(reserved.dead).toBe('bad PDPT entry (paging on): #GP(0): PDPTE 0 at 0x7000 has reserved bits set');
    const g = smallGuest({ pae: true, setup: ({ vm }) => poke(vm, 0x8000, PDIR | PTE_P | 2) });
    expect(() => guestWriteCr3(g.vm, 0x8000)).toThrow(GuestKilled);
    expect(g.vm.dead).toBe('bad PDPT entry (CR3 0x8000): #GP(0): PDPTE 0 at 0x8000 has reserved bits set');
    // A PDPT past the Guest's memory: nothing to read the four entries from.
    const out = smallGuest({ pae: true });
    expect(() => guestWriteCr3(out.vm, LIMIT * 4096)).toThrow(GuestKilled);
    expect(out.vm.dead).toBe("bad CR3 (CR3 0x40000): it names memory at 0x40000, outside the Guest's");
  });

  test('a CR0 the processor refuses (NW without CD) kills the Guest, and is not blamed on a PDPT entry', () => {
    const vm = createVm({ pages: 64 });
    guestWriteCr3(vm, PDIR);
    expect(() => guestWriteCr0(vm, CR0_PE | CR0_PG | CR0_WP | CR0_NW)).toThrow(GuestKilled);
    expect(vm.dead).toBe('refused by the processor (paging on): #GP(0): CR0.NW=1 requires CR0.CD=1');
  });

  test('PAE: an address space the Host has seen finds its root entries again at every CR3 load: no exit to use them', () => {
    // A second PDPT in the same page, naming the same directory.
    const g = smallGuest({ pae: true, setup: ({ vm }) => poke(vm, PDPT + 0x20, PDIR | PTE_P) });
    expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
    for (const cr3 of [PDPT + 0x20, PDPT, PDPT + 0x20]) {
      guestWriteCr3(g.vm, cr3);
      const exits = g.vm.stats.exits;
      expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
      expect(g.vm.stats.exits).toBe(exits);
    }
  });
});

describe('page tables and pages at the edge of Guest memory', () => {
  for (const pae of [false, true]) {
    const w = pae ? 'PAE' : 'two-level';
    test(`${w}: a directory entry naming a table past the Guest kills it with the address; the last frame is a table`, () => {
      const g = smallGuest({
        pae,
        setup: ({ vm, e }) => {
          poke(vm, PDIR + 2 * e, ((LIMIT - 1) * 4096) | DIR);
          poke(vm, PDIR + 3 * e, (LIMIT * 4096) | DIR);
        },
      });
      const span = pae ? 0x20_0000 : 0x40_0000;
      expect(userRead(g, 2 * span)).toBe(-1); // an empty table: the Guest's own fault
      expect(() => userRead(g, 3 * span + 0x5000)).toThrow(GuestKilled);
      expect(g.vm.dead).toBe(`bad page table entry: it names a table at 0x${(LIMIT * 4096 + 5 * g.e).toString(16)}, outside the Guest's memory`);
    });

    test(`${w}: a page table entry naming the first frame past the Guest, stored or found, kills it with the frame; the last frame is a page`, () => {
      const g = smallGuest({ pae, setup: ({ vm, e }) => poke(vm, 0x2000 + 0x13 * e, (LIMIT * 4096) | PRWU) });
      // Stored by the Guest (a trapped store, whose shadow is made at once) and used at once.
      setPte(g, 0x12, ((LIMIT - 1) * 4096) | PRWU);
      expect(userRead(g, 0x12ffc)).toBe(0);
      setPte(g, 0x14, (LIMIT * 4096) | PRWU);
      expect(() => userRead(g, 0x14000)).toThrow(GuestKilled);
      expect(g.vm.dead).toBe("bad page table entry: it maps frame 0x40, outside the Guest's memory");
      // Found by a fault, in an entry written before paging.
      const found = smallGuest({ pae, setup: ({ vm, e }) => poke(vm, 0x2000 + 0x13 * e, (LIMIT * 4096) | PRWU) });
      expect(() => userRead(found, 0x13000)).toThrow("bad page table entry: it maps frame 0x40, outside the Guest's memory");
    });
  }

  test('PAE: an entry whose high half names memory above 4 GiB is no shadow: using it kills the Guest with the frame', () => {
    const g = smallGuest({ pae: true });
    setPte(g, 0x12, 0x6000 | PRWU, 1);
    expect(() => userRead(g, 0x12000)).toThrow(GuestKilled);
    expect(g.vm.dead).toBe("bad page table entry: it maps frame 0x100006, outside the Guest's memory");
  });

  test('PAE: a large page, which this Host does not shadow, kills the Guest with the address', () => {
    const g = smallGuest({ pae: true, setup: ({ vm }) => poke(vm, PDIR + 8, 0x0020_0000 | PRWU | PTE_PS) });
    expect(() => userRead(g, 0x0020_1234 & ~3)).toThrow(GuestKilled);
    expect(g.vm.dead).toBe('a large page at 0x201234: this Host shadows 4 KiB pages only');
  });
});

// With paging off CR3 is only a number; MOV CR0 is where a two-level Guest's CR3 is first used, and checked.
test('two-level: a CR3 past the Guest loaded before paging kills the Guest at MOV CR0, with its reason', () => {
  const vm = createVm({ pages: LIMIT });
  guestWriteCr3(vm, LIMIT * 4096);
  expect(vm.dead).toBeNull();
  expect(() => guestWriteCr0(vm, CR0_PG | CR0_PE | CR0_WP)).toThrow("bad CR3 0x40000: outside the Guest's memory");
});
