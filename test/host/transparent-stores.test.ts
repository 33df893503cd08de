/*
 * The Guest's stores into its own page tables, under the transparent Host,
 * where they are odd: a few bytes of an entry (the rest of the entry kept),
 * a word across two entries (both shadows follow), an entry not yet
 * Accessed (the first use still sets Accessed in the Guest's entry, as bare
 * hardware does), a frame that becomes a table while the processor still
 * holds a writable translation of it (the next store traps all the same).
 * And what the Host promises about its own work: it flushes the processor's
 * TLB when it takes a right away and not otherwise, a directory shadow it
 * throws away is not made again until the Guest uses it, and the flood
 * detector watches only the entry a store prefetched.
 */
import { describe, expect, test } from 'vitest';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { WRITE } from '../../src/hw/rights.ts';
import { guestInvlpg } from '../../src/host/transparent/exits.ts';
import { vmAccess } from '../../src/host/transparent/run.ts';
import { isWriteProtected } from '../../src/host/transparent/write-protect.ts';
import { DIR, PDIR, PDPT, poke, PRWU, PTAB, setPde, setPte, smallGuest, USER, userRead, word } from '../support/transparent-guest.ts';

const WIDTHS = [false, true];
const name = (pae: boolean) => (pae ? 'PAE' : 'two-level');

describe('a store of part of an entry, or across two', () => {
  for (const pae of WIDTHS) {
    test(`${name(pae)}: a word across two pages whose one part is a few bytes of a table entry stores just those bytes`, () => {
      // 0x12000 maps the page table (kernel only); the page before it, 0x11000, maps frame 0x3000.
      const g = smallGuest({
        pae,
        setup: ({ vm, e }) => {
          poke(vm, PTAB + 0x12 * e, PTAB | PTE_P | PTE_RW | PTE_A | PTE_D);
          poke(vm, PTAB, 0x5a5a_5a00); // entry 0: not present, every byte known
          poke(vm, 0x3ffc, 0x1122_3344);
        },
      });
      const { vm } = g;
      const emulated = vm.stats.emulatedWrites;
      // Three bytes at the end of frame 0x3000, one into the table: the entry's other three bytes stay.
      expect(vmAccess(vm, WRITE, 0x11ffd, 0, 0xdccc_bbaa)).toBe(0xdccc_bbaa);
      expect(word(vm, 0x3ffc)).toBe(0xccbb_aa44);
      expect(word(vm, PTAB)).toBe(0x5a5a_5adc);
      // One byte at the end of frame 0x3000, three into the table: its fourth byte stays.
      expect(vmAccess(vm, WRITE, 0x11fff, 0, 0x6e5c_4a38)).toBe(0x6e5c_4a38);
      expect(word(vm, 0x3ffc)).toBe(0x38bb_aa44);
      expect(word(vm, PTAB)).toBe(0x5a6e_5c4a);
      expect(vm.stats.emulatedWrites - emulated).toBe(2);
      // A table written piecemeal is no table any more; the Guest reads on as before.
      expect(vm.stats.unshadowed).toBeGreaterThan(0);
      expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
    });

    test(`${name(pae)}: a word stored across two entries brings both shadows along`, () => {
      const g = smallGuest({ pae });
      const { vm, e } = g;
      expect(userRead(g, USER + 0x1000)).toBe(0x8877_6655); // entry 0x11's shadow: frame 0x3000
      // The top two bytes of entry 0x10 (zero, and kept so) and the low two of entry 0x11: now frame 0x6000.
      expect(vmAccess(vm, WRITE, g.ptVa + 0x11 * e - 2, 0, 0x6067_0000)).toBe(0x6067_0000);
      expect(word(vm, PTAB + 0x11 * e)).toBe(0x6067);
      guestInvlpg(vm, USER + 0x1000);
      expect(userRead(g, USER + 0x1000)).toBe(0xeeee_eeee);
      expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
    });
  }
});

describe('what the Guest sees of its own entries', () => {
  for (const pae of WIDTHS) {
    test(`${name(pae)}: an entry stored without Accessed gets Accessed at its first use, and Dirty at its first write, as on bare hardware`, () => {
      const g = smallGuest({ pae });
      const { vm, e } = g;
      setPte(g, 0x12, 0x6000 | PTE_P | PTE_RW | PTE_US);
      expect(word(vm, PTAB + 0x12 * e)).toBe(0x6000 | PTE_P | PTE_RW | PTE_US);
      expect(userRead(g, 0x12000)).toBe(0xeeee_eeee);
      expect(word(vm, PTAB + 0x12 * e)).toBe(0x6000 | PTE_P | PTE_RW | PTE_US | PTE_A);
      expect(vmAccess(vm, WRITE, 0x12000, 3, 7)).toBe(7);
      expect(word(vm, PTAB + 0x12 * e)).toBe(0x6000 | PRWU);
    });

    test(`${name(pae)}: a frame that becomes a table while the processor holds a writable translation of it: the next store to it still traps`, () => {
      // 0x12000 maps frame 0x8000 as user data; directory entry 1 will name it as a page table.
      const g = smallGuest({ pae, setup: ({ vm, e }) => poke(vm, PTAB + 0x12 * e, 0x8000 | PRWU) });
      const { vm } = g;
      const far = pae ? 0x0020_0000 : 0x0040_0000;
      expect(vmAccess(vm, WRITE, 0x12000, 3, 0x6000 | PRWU)).toBe(0x6000 | PRWU); // the processor caches 0x12000 writable
      setPde(g, 1, 0x8000 | DIR);
      expect(userRead(g, far)).toBe(0xeeee_eeee); // 0x8000 is a table now: its mappings lose the right to write
      const emulated = vm.stats.emulatedWrites;
      expect(vmAccess(vm, WRITE, 0x12000, 3, 0x3000 | PRWU)).toBe(0x3000 | PRWU);
      expect(vm.stats.emulatedWrites).toBe(emulated + 1);
      guestInvlpg(vm, far);
      expect(userRead(g, far)).toBe(0x8877_6655);
    });
  }
});

describe('the Host flushes the processor when it takes a right away, and only then', () => {
  for (const pae of WIDTHS) {
    test(`${name(pae)}: a hidden fault that takes nothing away keeps the processor's other translations`, () => {
      // 0x12000 maps frame 0x9000 read-only; directory entry 1 will name it as a page table, whose entry 0 maps 0x5000.
      const g = smallGuest({
        pae,
        setup: ({ vm, e }) => {
          poke(vm, PTAB + 0x12 * e, 0x9000 | PTE_P | PTE_US | PTE_A);
          poke(vm, 0x9000, 0x5000 | PRWU);
        },
      });
      const { vm } = g;
      expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
      expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
      // A read-only page, which then becomes a table while mapped only read-only: no right is lost.
      expect(userRead(g, 0x12000)).toBe(0x5000 | PRWU);
      setPde(g, 1, 0x9000 | DIR);
      const far = pae ? 0x0020_0000 : 0x0040_0000;
      expect(userRead(g, far + 0xffc)).toBe(0x4433_2211);
      expect(isWriteProtected(vm, 9)).toBe(true);
      const misses = vm.mmu.tlb.misses;
      expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
      expect(userRead(g, 0x12000)).toBe(0x5000 | PRWU);
      expect(vm.mmu.tlb.misses).toBe(misses);
    });
  }
});

describe('throwing a shadow away', () => {
  test('PAE: a directory whose shadow went is not shadowed again until the Guest uses it: its stores stop trapping', () => {
    // PDPT entry 1 names a second directory, 0x8000, which 0x12000 maps (kernel, writable).
    const g = smallGuest({
      pae: true,
      setup: ({ vm }) => {
        poke(vm, PDPT + 8, 0x8000 | PTE_P);
        poke(vm, PTAB + 0x12 * 8, 0x8000 | PTE_P | PTE_RW | PTE_A | PTE_D);
      },
    });
    const { vm } = g;
    expect(isWriteProtected(vm, 8)).toBe(true); // shadowed at the CR3 load, as the processor loads the PDPTEs
    expect(vmAccess(vm, WRITE, 0x12006, 0, 0)).toBe(0); // a store across two entries: the page is data now
    expect(vm.stats.unshadowed).toBe(1);
    expect(isWriteProtected(vm, 8)).toBe(false);
    expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
    const emulated = vm.stats.emulatedWrites;
    expect(vmAccess(vm, WRITE, 0x12000, 0, 0x1234)).toBe(0x1234);
    expect(vmAccess(vm, WRITE, 0x12008, 0, 0x5678)).toBe(0x5678);
    expect(vm.stats.emulatedWrites).toBe(emulated);
    expect(isWriteProtected(vm, 8)).toBe(false);
    expect(word(vm, 0x8008)).toBe(0x5678);
  });

  test('two-level: the page directory written piecemeal is thrown away, root and all, and found again', () => {
    const g = smallGuest();
    const { vm } = g;
    expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
    expect(vmAccess(vm, WRITE, g.dirVa + 0x106, 0, 0)).toBe(0); // across two entries
    expect(vm.stats.unshadowed).toBe(1);
    expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211);
    expect(vm.pageOf.get(vm.root)?.gfn).toBe(PDIR >>> 12);
  });
});

describe('the flood detector watches the entry a store prefetched, and nothing else', () => {
  for (const pae of WIDTHS) {
    test(`${name(pae)}: a prefetched entry thrown away with its page is not mistaken for a new one at the same place`, () => {
      const g = smallGuest({ pae });
      const { vm, e } = g;
      setPte(g, 0x12, 0x6000 | PRWU); // write 1: prefetched, not yet used
      expect(vmAccess(vm, WRITE, g.ptVa + 0x20 * e + 6, 0, 0)).toBe(0); // write 2, across two entries: the table's shadow goes
      expect(vm.stats.unshadowed).toBe(1);
      // The table is shadowed again (the Host reuses the page it just freed), and entry 0x12 used through a fault.
      expect(userRead(g, 0x12000)).toBe(0xeeee_eeee);
      expect(isWriteProtected(vm, PTAB >>> 12)).toBe(true);
      setPte(g, 0x13, 0x6000 | PRWU); // write 3 in a row, the prefetched entry never used: a flood
      expect(vm.stats.unshadowed).toBe(2);
      expect(isWriteProtected(vm, PTAB >>> 12)).toBe(false);
    });

    test(`${name(pae)}: stores that prefetch nothing (entries not yet Accessed) count toward a flood, whatever the Guest uses between`, () => {
      const g = smallGuest({ pae });
      const { vm } = g;
      const fresh = 0x6000 | PTE_P | PTE_RW | PTE_US;
      setPte(g, 0x12, fresh);
      expect(userRead(g, 0x12000)).toBe(0xeeee_eeee);
      setPte(g, 0x13, fresh);
      expect(userRead(g, 0x13000)).toBe(0xeeee_eeee);
      expect(vm.stats.unshadowed).toBe(0);
      setPte(g, 0x14, fresh);
      expect(vm.stats.unshadowed).toBe(1);
    });
  }

  for (const pae of WIDTHS) {
    test(`${name(pae)}: a store into a frame that is no table any more does not count toward a flood`, () => {
      // 0x11000 and 0x12000 both map the page table: a word across them stores into it twice.
      const g = smallGuest({
        pae,
        setup: ({ vm, e }) => {
          poke(vm, PTAB + 0x11 * e, PTAB | PTE_P | PTE_RW | PTE_A | PTE_D);
          poke(vm, PTAB + 0x12 * e, PTAB | PTE_P | PTE_RW | PTE_A | PTE_D);
        },
      });
      const { vm } = g;
      // The first half (two bytes of the last entry) throws the table's shadow away; the second lands in plain data.
      expect(vmAccess(vm, WRITE, 0x11ffe, 0, 0)).toBe(0);
      expect(vm.stats.unshadowed).toBe(1);
      expect(userRead(g, USER + 0xffc)).toBe(0x4433_2211); // a table again
      setPte(g, 0x13, 0x6000 | PRWU); // the second store to it that counts
      expect(vm.stats.unshadowed).toBe(1);
      expect(isWriteProtected(vm, PTAB >>> 12)).toBe(true);
    });
  }
});
