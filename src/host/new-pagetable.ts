/*
 * Part (iv): the Guest switched page tables (a context switch). We keep a few
 * shadows so that switching back is cheap.
 */
import { flushUserMappings } from './flush.ts';
import { newShadowPage, PGDIR_SLOTS, type Guest } from './lguest.ts';
import { pinStackPages } from './stack.ts';

// #region H430-new-pagetable
/** Which slot shadows Guest page directory `gpgdir`, or PGDIR_SLOTS when none does. */
export function findPgdir(g: Guest, gpgdir: number): number {
  // BEGIN SOLUTION ex09-pgdir-cache
  for (let i = 0; i < PGDIR_SLOTS; i++) if (g.pgdirs[i]!.pgdir && g.pgdirs[i]!.gpgdir === gpgdir) return i;
  return PGDIR_SLOTS;
  // END SOLUTION ex09-pgdir-cache
  // BEGIN STUB ex09-pgdir-cache
  // return todo('ex09-pgdir-cache', 'the slot in use that shadows gpgdir, or PGDIR_SLOTS when none does');
  // END STUB ex09-pgdir-cache
}

/**
 * What the processor takes from a CR3 value: the page directory's address
 * (bits 31:12), or under PAE the PDPT's (bits 31:5, 32-byte aligned). The
 * low bits are cache controls. A Guest that hands us an unaligned value gets
 * what the hardware would give it, not a directory read from the middle of
 * a page. (lguest took the value as it came.)
 */
export const cr3Base = (g: Guest, cr3: number): number => (cr3 & (g.pae ? 0xffff_ffe0 : 0xffff_f000)) >>> 0;

/**
 * LHCALL_NEW_PGTABLE: the Guest loaded CR3 with `gpgdir`. Use the shadow we
 * have for it, or make one; a brand-new shadow has no kernel mappings yet, so
 * the stack must be pinned before the Guest runs. The directory itself is not
 * read here: a bad address kills the Guest at its first fault, when we read
 * through it.
 */
export function guestNewPagetable(g: Guest, gpgdir: number): void {
  gpgdir = cr3Base(g, gpgdir);
  let slot = findPgdir(g, gpgdir);
  let blank = false;
  if (slot === PGDIR_SLOTS) ({ slot, blank } = newPgdir(g, gpgdir));
  g.cpuPgd = slot;
  g.tlbStale = true;
  if (blank) pinStackPages(g);
}
// #endregion H430-new-pagetable

// #region H435-new-pgdir
/**
 * Take a slot for `gpgdir`: a random victim, as lguest does (no LRU). A slot
 * used before keeps its kernel half, which is the same in every process, and
 * loses its user half, which is not.
 */
export function newPgdir(g: Guest, gpgdir: number): { slot: number; blank: boolean } {
  const slot = Math.floor(g.random() * PGDIR_SLOTS) % PGDIR_SLOTS;
  const pgdir = g.pgdirs[slot]!;
  let blank = false;
  if (!pgdir.pgdir) {
    pgdir.pgdir = newShadowPage(g);
    blank = true;
  }
  pgdir.gpgdir = gpgdir;
  flushUserMappings(g, slot);
  return { slot, blank };
}
// #endregion H435-new-pgdir
