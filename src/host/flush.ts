/*
 * Part (v): throwing shadows away, a part at a time or all at once, so that
 * they cannot say anything the Guest's tables no longer do.
 */
import { PTE_P } from '../hw/pte.ts';
import { releasePte } from './gpte-to-spte.ts';
import { PGDIR_SLOTS, type Guest } from './lguest.ts';
import { SWITCHER_PGD_INDEX } from './shadow-walk.ts';
import { flushUserMappingsPae, releaseSlotPae } from './pae.ts';
import { pinStackPages } from './stack.ts';

// #region H440-flush-user
/** LHCALL_FLUSH_TLB(0): the Guest flushed its user mappings; we drop the current shadow's user half. */
export function guestPagetableFlushUser(g: Guest): void {
  flushUserMappings(g, g.cpuPgd);
}
// #endregion H440-flush-user

// #region H445-flush-user-mappings
/** Release every shadow directory entry below the kernel's in slot `slot`. */
export function flushUserMappings(g: Guest, slot: number): void {
  if (g.pae) return flushUserMappingsPae(g, slot);
  const base = g.pgdirs[slot]!.pgdir;
  for (let i = 0; i < g.kernelAddress >>> 22; i++) releasePgd(g, base + i * 4);
}
// #endregion H445-flush-user-mappings

// #region H450-release-pgd
/** Release one shadow directory entry: every entry of its page table, then the page, then the entry. */
export function releasePgd(g: Guest, spgdAt: number): void {
  const spgd = g.memory.read32(spgdAt);
  if (!(spgd & PTE_P)) return;
  const table = (spgd & 0xffff_f000) >>> 0;
  for (let i = 0; i < 1024; i++) releasePte(g, g.memory.read32(table + i * 4));
  g.hostFrames.free(table);
  g.stats.shadowPagesFreed++;
  // Zero the entry so that it can never be released twice.
  g.memory.write32(spgdAt, 0);
  g.tlbStale = true;
}
// #endregion H450-release-pgd

// #region H470-clear-all
/** Release every shadow directory entry of every slot (the Switcher's excepted). */
export function releaseAllPagetables(g: Guest): void {
  for (let slot = 0; slot < PGDIR_SLOTS; slot++) {
    const base = g.pgdirs[slot]!.pgdir;
    if (!base) continue;
    if (g.pae) releaseSlotPae(g, slot);
    else for (let i = 0; i < SWITCHER_PGD_INDEX; i++) releasePgd(g, base + i * 4);
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
