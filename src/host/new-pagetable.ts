/*
 * Part (iv): the Guest switched page tables (a context switch). We keep a few
 * shadows so that switching back is cheap.
 */
import { flushUserMappings } from './flush.ts';
import { PGDIR_SLOTS, tryShadowPage, type Guest } from './lguest.ts';
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
 * have for it, or make one. The directory itself is not read here: a bad
 * address kills the Guest at its first fault, when we read through it.
 *
 * Whichever shadow we run on must map the stack before the Guest runs. A
 * brand-new one has no kernel mappings yet; one used before may have lost
 * them to a flush of everything, which pins the stack only in the shadow in
 * use at the time. lguest pinned a blank shadow only, so a Guest that
 * flushed everything and then switched back to another process ran on a
 * shadow without its stack. Pinning a page that is mapped costs one walk of
 * our tables.
 */
export function guestNewPagetable(g: Guest, gpgdir: number): void {
  gpgdir = cr3Base(g, gpgdir);
  let slot = findPgdir(g, gpgdir);
  if (slot === PGDIR_SLOTS) slot = newPgdir(g, gpgdir);
  g.cpuPgd = slot;
  g.tlbStale = true;
  pinStackPages(g);
}
// #endregion H430-new-pagetable

// #region H435-new-pgdir
/**
 * Take a slot for `gpgdir`: a random victim, as lguest does (no LRU). A slot
 * used before keeps its kernel half, which is the same in every process
 * (unless a flush of everything has taken it since), and loses its user
 * half, which is not. A slot never used needs a page for its directory; with
 * none left, lguest takes the current slot instead, which has one: the Guest
 * goes on, caching one address space fewer, rather than dying for it.
 */
export function newPgdir(g: Guest, gpgdir: number): number {
  let slot = Math.floor(g.random() * PGDIR_SLOTS) % PGDIR_SLOTS;
  if (!g.pgdirs[slot]!.pgdir) {
    const page = tryShadowPage(g);
    if (page < 0) slot = g.cpuPgd;
    else g.pgdirs[slot]!.pgdir = page;
  }
  const pgdir = g.pgdirs[slot]!;
  pgdir.gpgdir = gpgdir;
  flushUserMappings(g, slot);
  return slot;
}
// #endregion H435-new-pgdir
