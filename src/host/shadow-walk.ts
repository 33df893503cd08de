/*
 * Finding entries: where a virtual address's entry sits in our shadow tables
 * (host-physical addresses) and in the Guest's own (Guest-physical ones), at
 * both paging widths, the way lguest's page_tables.c keeps them side by side.
 * The address helpers only compute; the one step that builds missing shadow
 * levels is findSpte, and it says so in its arguments.
 */
import { PTE_A, PTE_D, PTE_P } from '../hw/pte.ts';
import { killGuest, newShadowPage, type Guest } from './lguest.ts';
import { PAE_SWITCHER_PGD_INDEX, PAE_SWITCHER_PMD_INDEX, SWITCHER_PGD_INDEX } from './switcher.ts';

// #region H320-index-helpers
/** The frame an entry names, as an address (the low twelve bits are flags). */
export const entryFrame = (entry: number): number => (entry & 0xffff_f000) >>> 0;

/**
 * The shadow top-level entry for `vaddr` in slot `i`: a page directory entry,
 * or under PAE a PDPT entry. The Switcher's entry is ours alone: a Guest that
 * makes us reach for it is killed.
 */
export function spgdAddr(g: Guest, i: number, vaddr: number): number {
  const pgdir = g.pgdirs[i]!.pgdir;
  if (g.pae) return pgdir + (vaddr >>> 30) * 8;
  if (vaddr >>> 22 >= SWITCHER_PGD_INDEX) killGuest(g, 'attempt to access switcher pages');
  return pgdir + (vaddr >>> 22) * 4;
}

/** The shadow page-table entry for `vaddr`, in the table that shadow directory entry `sdir` names. */
export function spteAddr(g: Guest, sdir: number, vaddr: number): number {
  if (!(sdir & PTE_P)) throw new Error('spteAddr: shadow directory entry not present');
  return g.pae ? entryFrame(sdir) + ((vaddr >>> 12) & 0x1ff) * 8 : entryFrame(sdir) + ((vaddr >>> 12) & 0x3ff) * 4;
}

/** The Guest's top-level entry for `vaddr` in the current page directory (a Guest-physical address). */
export function gpgdAddr(g: Guest, vaddr: number, slot = g.cpuPgd): number {
  const gpgdir = g.pgdirs[slot]!.gpgdir;
  return g.pae ? gpgdir + (vaddr >>> 30) * 8 : gpgdir + (vaddr >>> 22) * 4;
}

/** The Guest's page-table entry for `vaddr`, in the table its directory entry `gdir` names. */
export function gpteAddr(g: Guest, gdir: number, vaddr: number): number {
  return g.pae ? entryFrame(gdir) + ((vaddr >>> 12) & 0x1ff) * 8 : entryFrame(gdir) + ((vaddr >>> 12) & 0x3ff) * 4;
}
// #endregion H320-index-helpers

// #region PAE-index-helpers
/**
 * The middle level, which only PAE has: the shadow page directory entry
 * for `vaddr` under shadow PDPT entry `spgd`. The Switcher's entry is the
 * last one of the last page directory.
 */
export function spmdAddr(g: Guest, spgd: number, vaddr: number): number {
  if (vaddr >>> 30 === PAE_SWITCHER_PGD_INDEX && ((vaddr >>> 21) & 0x1ff) >= PAE_SWITCHER_PMD_INDEX) killGuest(g, 'attempt to access switcher pages');
  return entryFrame(spgd) + ((vaddr >>> 21) & 0x1ff) * 8;
}

/** The Guest's page directory entry for `vaddr` under its PDPT entry `gpgd`. */
export function gpmdAddr(gpgd: number, vaddr: number): number {
  return entryFrame(gpgd) + ((vaddr >>> 21) & 0x1ff) * 8;
}
// #endregion PAE-index-helpers

// #region H331-find-spte
/**
 * The address of the shadow PTE for `vaddr` in slot `slot`, walking down our
 * tables; 0 when a level is missing. With `gdirFlags` (the flags of the
 * Guest's entry that names the page table) the walk builds what is missing,
 * and brings an existing directory entry's flags up to date: a Guest may
 * loosen or tighten a directory entry in place, and our copy must follow,
 * or an access would fault forever, or succeed where the Guest forbids it.
 * lguest's final find_spte has the allocating half; keeping flags fresh is
 * ours.
 */
export function findSpte(g: Guest, slot: number, vaddr: number, gdirFlags?: number): number {
  const spgdAt = spgdAddr(g, slot, vaddr);
  let sdir = g.memory.read32(spgdAt);
  if (g.pae) {
    // A PDPT entry carries nothing but Present: its rights live one level down.
    if (!(sdir & PTE_P)) {
      if (gdirFlags === undefined) return 0;
      sdir = (newShadowPage(g) | PTE_P) >>> 0;
      g.memory.write32(spgdAt, sdir);
      // The processor reads PDPTEs only when CR3 is loaded: it must be loaded again.
      // BEGIN SOLUTION ex12-pae-reload
      g.tlbStale = true;
      // END SOLUTION ex12-pae-reload
      // BEGIN STUB ex12-pae-reload
      // todo('ex12-pae-reload', 'the processor reads PDPTEs only when CR3 is loaded: make the run loop load it again');
      // END STUB ex12-pae-reload
    }
    const spmdAt = spmdAddr(g, sdir, vaddr);
    sdir = shadowDirEntry(g, spmdAt, gdirFlags);
  } else {
    sdir = shadowDirEntry(g, spgdAt, gdirFlags);
  }
  return sdir & PTE_P ? spteAddr(g, sdir, vaddr) : 0;
}

/** Hardware sets these in the shadows as it walks them: they say nothing about rights. */
const WALK_BITS = PTE_A | PTE_D;

/**
 * The shadow directory entry at `at` (a page directory entry, or a PAE page
 * directory entry): made if missing, its flags set to the Guest's if they
 * differ, when `gdirFlags` is given; as it is otherwise.
 */
function shadowDirEntry(g: Guest, at: number, gdirFlags: number | undefined): number {
  const sdir = g.memory.read32(at);
  if (gdirFlags === undefined) return sdir;
  const flags = gdirFlags & 0xfff;
  if (!(sdir & PTE_P)) {
    const made = (newShadowPage(g) | flags) >>> 0;
    g.memory.write32(at, made);
    return made;
  }
  if ((sdir & 0xfff & ~WALK_BITS) === (flags & ~WALK_BITS)) return sdir;
  const fresh = (entryFrame(sdir) | flags) >>> 0;
  g.memory.write32(at, fresh);
  // The processor may cache the old rights for any page under this entry.
  g.tlbStale = true;
  return fresh;
}
// #endregion H331-find-spte
