/*
 * Part (iii): the Guest changed an entry and told us. We update our shadow in
 * place, or throw the affected part away to be rebuilt on demand.
 */
import { PTE_A, PTE_D, PTE_P } from '../hw/pte.ts';
import { checkGpte } from './demand-page.ts';
import { releasePte, trackedSpte } from './gpte-to-spte.ts';
import { releasePgd } from './flush.ts';
import { killGuest, PGDIR_SLOTS, type Guest } from './lguest.ts';
import { findPgdir } from './new-pagetable.ts';
import { doSetPtePae, guestSetPgdPae } from './pae.ts';
import { SWITCHER_PGD_INDEX, spgdAddr, spteAddr } from './shadow-walk.ts';

// #region H400-set-pgd
/**
 * LHCALL_SET_PMD (2.6.24's name for a top-level entry): the Guest changed
 * entry `idx` of page directory `gpgdir`. We drop our copy; the next access
 * through it faults and rebuilds it. lguest's final version killed only for
 * `idx > 1024`, one past the end; we refuse every index that is not an entry.
 */
export function guestSetPgd(g: Guest, gpgdir: number, idx: number): void {
  if (g.pae) return guestSetPgdPae(g, gpgdir, idx);
  if (!Number.isInteger(idx) || idx < 0 || idx >= 1024) killGuest(g, `attempt to set pgd ${idx}/1024`);
  // The Switcher's entry is ours: the Guest may not make us touch it.
  if (idx >= SWITCHER_PGD_INDEX) return;
  const slot = findPgdir(g, gpgdir);
  if (slot < PGDIR_SLOTS) releasePgd(g, g.pgdirs[slot]!.pgdir + idx * 4);
}
// #endregion H400-set-pgd

// #region H410-set-pte
/**
 * LHCALL_SET_PTE: the Guest set the entry for `vaddr` in page directory
 * `gpgdir` to `gpte`. Kernel mappings are shared by every process, so for a
 * kernel address we update every shadow we keep; for a user address, only
 * the one shadowing that directory (if none does, it will be built lazily).
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
    const slot = findPgdir(g, gpgdir);
    if (slot < PGDIR_SLOTS) doSetPte(g, slot, vaddr, gpte, gpteHi);
  }
}
// #endregion H410-set-pte

// #region H420-do-set-pte
/**
 * Replace one shadow entry. If the Guest has Accessed or Dirty set, it has
 * used the page, so we might as well map it now (Avi Kivity's trick) and save
 * a fault. Otherwise we clear ours and wait for the fault.
 *
 * lguest's comment says an Accessed-but-clean entry goes in read-only, but its
 * code kept the Guest's R/W bit, so writes to such a page never set the
 * Guest's Dirty bit. We do what the comment says.
 */
export function doSetPte(g: Guest, slot: number, vaddr: number, gpte: number, gpteHi = 0): void {
  if (g.pae) return doSetPtePae(g, slot, vaddr, gpte, gpteHi);
  const spgd = g.memory.read32(spgdAddr(g, slot, vaddr));
  if (!(spgd & PTE_P)) return;
  const spteAt = spteAddr(spgd, vaddr);
  releasePte(g, g.memory.read32(spteAt));
  let spte = 0;
  if (gpte & PTE_P && gpte & (PTE_A | PTE_D)) {
    checkGpte(g, gpte);
    spte = trackedSpte(g, gpte);
  }
  g.memory.write32(spteAt, spte);
  g.tlbStale = true;
}
// #endregion H420-do-set-pte
