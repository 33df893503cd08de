/*
 * Part (iii): the Guest changed an entry and told us. We update our shadow in
 * place, or throw the affected part away to be rebuilt on demand.
 */
import { _PAGE_TABLE, PTE_A, PTE_P } from '../hw/pte.ts';
import { checkGpte } from './demand-page.ts';
import { guestPagetableClearAll, releasePgd } from './flush.ts';
import { releasePte, trackedSpte } from './gpte-to-spte.ts';
import { killGuest, PGDIR_SLOTS, type Guest } from './lguest.ts';
import { cr3Base, findPgdir } from './new-pagetable.ts';
import { lguestAddressOk } from './guest-memory.ts';
import { findSpte, gpgdAddr, gpmdAddr } from './shadow-walk.ts';
import { PAE_SWITCHER_PGD_INDEX, SWITCHER_PGD_INDEX } from './switcher.ts';

// #region H400-set-pgd
/**
 * LHCALL_SET_PMD (2.6.24's name for a top-level entry; SET_PGD later): the
 * Guest changed entry `idx` of page directory `gpgdir`. We drop our copy;
 * the next access through it faults and rebuilds it. lguest's final version
 * killed only for `idx > 1024`, one past the end; we refuse every index that
 * is not an entry. Under PAE there are four entries, and the last holds the
 * kernel and the Switcher.
 */
export function guestSetPgd(g: Guest, gpgdir: number, idx: number): void {
  const entries = g.pae ? 4 : 1024;
  if (!Number.isInteger(idx) || idx < 0 || idx >= entries) killGuest(g, `attempt to set pgd ${idx}/${entries}`);
  // The Switcher's entry is ours: the Guest may not make us touch it.
  if (idx >= (g.pae ? PAE_SWITCHER_PGD_INDEX : SWITCHER_PGD_INDEX)) return;
  const slot = findPgdir(g, cr3Base(g, gpgdir));
  if (slot < PGDIR_SLOTS) releasePgd(g, g.pgdirs[slot]!.pgdir + idx * (g.pae ? 8 : 4));
}
// #endregion H400-set-pgd

// #region PAE-set-pmd
/**
 * LHCALL_SET_PMD under PAE (lguest's number 13): a page directory entry
 * changed. lguest's answer: "For setting a mid-level, we just throw
 * everything away. It's easy."
 */
export function guestSetPmd(g: Guest): void {
  if (!g.pae) killGuest(g, 'SET_PMD from a Guest without PAE');
  guestPagetableClearAll(g);
}
// #endregion PAE-set-pmd

// #region H410-set-pte
/**
 * LHCALL_SET_PTE: the Guest set the entry for `vaddr` in page directory
 * `gpgdir` to `gpte` (and `gpteHi`, the high word of a PAE entry). Kernel
 * mappings are shared by every process, so for a kernel address we update
 * every shadow we keep; for a user address, only the one shadowing that
 * directory (if none does, it will be built lazily).
 */
export function guestSetPte(g: Guest, gpgdir: number, vaddr: number, gpte: number, gpteHi = 0): void {
  vaddr >>>= 0;
  if (vaddr >= g.kernelAddress) {
    // BEGIN SOLUTION ex09-set-pte
    for (let i = 0; i < PGDIR_SLOTS; i++) if (g.pgdirs[i]!.pgdir) doSetPte(g, i, vaddr, gpte, gpteHi);
    // END SOLUTION ex09-set-pte
    // BEGIN STUB ex09-set-pte
    // todo('ex09-set-pte', 'a kernel address is mapped the same in every process: update it in every shadow slot in use');
    // END STUB ex09-set-pte
  } else {
    const slot = findPgdir(g, cr3Base(g, gpgdir));
    if (slot < PGDIR_SLOTS) doSetPte(g, slot, vaddr, gpte, gpteHi);
  }
}
// #endregion H410-set-pte

// #region H420-do-set-pte
/**
 * Replace one shadow entry, if we have the table it lives in. If the Guest's
 * entry is Accessed, the Guest has used the page, so we might as well map it
 * now (Avi Kivity's trick) and save a fault. Otherwise we clear ours and wait
 * for the fault.
 *
 * Four departures from lguest, each because a Guest could see the difference.
 * lguest mapped an entry with Accessed or Dirty; one with Dirty but not
 * Accessed would then never get its Accessed bit, so we want Accessed. It
 * mapped one that was not present, too (a PROT_NONE page keeps Accessed),
 * taking a reference to its frame that release_pte, which sees a shadow entry
 * that is not present, never gave back; we map present entries only. A
 * present entry with a high word kills at once, whether or not we shadow it;
 * of one that is not present we check nothing (a PAE Guest keeps a swap entry
 * in its high word). lguest's comment says an Accessed-but-clean entry goes
 * in read-only, but its code kept the Guest's R/W bit, so writes never set
 * the Guest's Dirty bit; we do what the comment says (trackedSpte). And the
 * Guest may have changed the directory entry above this one in place: on bare
 * hardware the next walk would see it, so our directory entry follows the
 * Guest's now.
 */
export function doSetPte(g: Guest, slot: number, vaddr: number, gpte: number, gpteHi = 0): void {
  if (gpteHi !== 0 && gpte & PTE_P) checkGpte(g, gpte, gpteHi);
  const spteAt = findSpte(g, slot, vaddr);
  if (!spteAt) return;
  releasePte(g, g.memory.read32(spteAt));
  g.memory.write32(spteAt, 0);
  g.tlbStale = true;
  if (!(gpte & PTE_P && gpte & PTE_A)) return;
  checkGpte(g, gpte);
  const gdirFlags = guestDirFlags(g, slot, vaddr);
  // Not present above: the access faults, and the fault is the Guest's.
  if (!(gdirFlags & PTE_P)) return;
  findSpte(g, slot, vaddr, gdirFlags);
  g.memory.write32(spteAt, trackedSpte(g, gpte));
}

/**
 * The flags of the Guest's directory entry above `vaddr` in slot `slot`'s
 * page directory, as it is now: 0 when it is not present or cannot be read.
 * For a kernel address we ask this of every slot, and a slot may shadow a
 * directory the Guest has since freed and reused for something else, which
 * no processor would read. So nothing here kills the Guest, and we take only
 * the rights a directory entry may give (_PAGE_TABLE): garbage can do no harm.
 */
function guestDirFlags(g: Guest, slot: number, vaddr: number): number {
  const peek = (addr: number) => (lguestAddressOk(g, addr, 4) ? g.memory.read32(g.memBase + addr) : 0);
  let at = gpgdAddr(g, vaddr, slot);
  if (g.pae) {
    const gpgd = peek(at);
    if (!(gpgd & PTE_P)) return 0;
    at = gpmdAddr(gpgd, vaddr);
  }
  return peek(at) & _PAGE_TABLE;
}
// #endregion H420-do-set-pte
