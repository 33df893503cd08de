/*
 * Part (v): throwing shadows away, a part at a time or all at once, so that
 * they cannot say anything the Guest's tables no longer do. Both widths:
 * under PAE a top-level entry names a page directory, one level more to
 * release.
 */
import { PTE_P } from '../hw/pte.ts';
import { releasePte } from './gpte-to-spte.ts';
import { freeShadowPage, PGDIR_SLOTS, type Guest } from './lguest.ts';
import { entryFrame } from './shadow-walk.ts';
import { pinStackPages } from './stack.ts';
import { PAE_SWITCHER_PGD_INDEX, PAE_SWITCHER_PMD_INDEX, SWITCHER_PGD_INDEX } from './switcher.ts';

// #region H440-flush-user
/** LHCALL_FLUSH_TLB(0): the Guest flushed its user mappings; we drop the current shadow's user half. */
export function guestPagetableFlushUser(g: Guest): void {
  flushUserMappings(g, g.cpuPgd);
}
// #endregion H440-flush-user

// #region H445-flush-user-mappings
/** Release every shadow top-level entry below the kernel's in slot `slot`. */
export function flushUserMappings(g: Guest, slot: number): void {
  const base = g.pgdirs[slot]!.pgdir;
  const shift = g.pae ? 30 : 22;
  for (let i = 0; i < g.kernelAddress >>> shift; i++) releasePgd(g, base + i * (g.pae ? 8 : 4));
}
// #endregion H445-flush-user-mappings

// #region H450-release-pgd
/**
 * Release one shadow top-level entry: everything under it, then its page,
 * then the entry. Two levels: the page is a page table. Under PAE it is a
 * page directory, whose entries each name a page table (releasePmd).
 */
export function releasePgd(g: Guest, spgdAt: number): void {
  // BEGIN SOLUTION ex09-release-pgd
  const spgd = g.memory.read32(spgdAt);
  if (!(spgd & PTE_P)) return;
  const page = entryFrame(spgd);
  if (g.pae) for (let i = 0; i < 512; i++) releasePmd(g, page + i * 8);
  else releasePtes(g, page);
  freeShadowPage(g, page);
  // Zero the entry so that it can never be released twice.
  g.memory.write32(spgdAt, 0);
  g.tlbStale = true;
  // END SOLUTION ex09-release-pgd
  // BEGIN STUB ex09-release-pgd
  // const spgd = g.memory.read32(spgdAt);
  // if (!(spgd & PTE_P)) return;
  // todo('ex09-release-pgd', 'drop what the page under this entry holds (a page table, or under PAE a page directory), give the page back, and leave nothing that could be released twice or still be used');
  // END STUB ex09-release-pgd
}

/** Drop the references held by every entry of a shadow page table. */
function releasePtes(g: Guest, table: number): void {
  // BEGIN SOLUTION ex09-release-pgd
  // The page as words (an entry's low word under PAE): most entries are empty, and a clear-all reads thousands.
  const words = g.memory.frameWords(table);
  const step = g.pae ? 2 : 1;
  for (let i = 0; i < words.length; i += step) if (words[i]! & PTE_P) releasePte(g, words[i]!);
  // END SOLUTION ex09-release-pgd
  // BEGIN STUB ex09-release-pgd
  // const size = g.pae ? 8 : 4;
  // todo('ex09-release-pgd', `drop the reference each of the ${4096 / size} entries of this shadow page table holds (releasePte)`);
  // END STUB ex09-release-pgd
}
// #endregion H450-release-pgd

// #region PAE-release-pmd
/** Under PAE, release one shadow page directory entry: its page table's entries, then the table. */
export function releasePmd(g: Guest, spmdAt: number): void {
  // BEGIN SOLUTION ex09-release-pgd
  const spmd = g.memory.read32(spmdAt);
  if (!(spmd & PTE_P)) return;
  releasePtes(g, entryFrame(spmd));
  freeShadowPage(g, entryFrame(spmd));
  g.memory.write32(spmdAt, 0);
  g.tlbStale = true;
  // END SOLUTION ex09-release-pgd
  // BEGIN STUB ex09-release-pgd
  // const spmd = g.memory.read32(spmdAt);
  // if (!(spmd & PTE_P)) return;
  // todo('ex09-release-pgd', 'the same one level down: the page table under this PAE page directory entry, its page, and the entry');
  // END STUB ex09-release-pgd
}
// #endregion PAE-release-pmd

// #region H470-clear-all
/**
 * Release every shadow entry of every slot, except the Switcher's. Two
 * levels: every directory entry below the Switcher's. Under PAE the Switcher
 * shares PDPT entry 3 with the kernel, so that entry stays and we empty its
 * page directory below the Switcher's entry instead, as lguest's PAE code did.
 */
export function releaseAllPagetables(g: Guest): void {
  for (let slot = 0; slot < PGDIR_SLOTS; slot++) {
    const base = g.pgdirs[slot]!.pgdir;
    if (!base) continue;
    // Only the present entries are released; the page is read as words, since most are empty.
    if (g.pae) {
      const spgd = g.memory.read32(base + PAE_SWITCHER_PGD_INDEX * 8);
      const pmd = spgd & PTE_P ? g.memory.frameWords(entryFrame(spgd)) : null;
      for (let k = 0; pmd && k < PAE_SWITCHER_PMD_INDEX; k++) if (pmd[k * 2]! & PTE_P) releasePmd(g, entryFrame(spgd) + k * 8);
    }
    const top = g.pae ? PAE_SWITCHER_PGD_INDEX : SWITCHER_PGD_INDEX;
    const size = g.pae ? 8 : 4;
    const words = g.memory.frameWords(base);
    for (let i = 0; i < top; i++) if (words[(i * size) >>> 2]! & PTE_P) releasePgd(g, base + i * size);
  }
}

/**
 * LHCALL_FLUSH_TLB(1): a kernel mapping changed and the Guest cannot say
 * which, so we throw everything away, and pin the stack again before the
 * Guest runs. This is the expensive path that M:009 is about.
 */
export function guestPagetableClearAll(g: Guest): void {
  g.stats.clearAlls++;
  g.trace?.(470, 'clear_all: every shadow page table of every slot thrown away');
  releaseAllPagetables(g);
  pinStackPages(g);
}
// #endregion H470-clear-all
