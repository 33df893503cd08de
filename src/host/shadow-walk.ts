/*
 * Finding entries: where a virtual address's entry sits in our shadow tables
 * (host-physical addresses) and in the Guest's own (Guest-physical ones).
 */
import { PTE_P } from '../hw/pte.ts';
import { killGuest, type Guest } from './lguest.ts';

// #region H320-index-helpers
/** The Switcher lives in the top 4 MiB of every address space: the last directory entry. */
export const SWITCHER_ADDR = 0xffc0_0000;
export const SWITCHER_PGD_INDEX = SWITCHER_ADDR >>> 22;

/**
 * The shadow directory entry for `vaddr` in slot `i`. The Switcher's entry is
 * ours alone: a Guest that makes us reach for it is killed.
 */
export function spgdAddr(g: Guest, i: number, vaddr: number): number {
  const index = vaddr >>> 22;
  if (index >= SWITCHER_PGD_INDEX) killGuest(g, 'attempt to access switcher pages');
  return g.pgdirs[i]!.pgdir + index * 4;
}

/** The shadow page-table entry for `vaddr`, under a present shadow directory entry. */
export function spteAddr(spgd: number, vaddr: number): number {
  if (!(spgd & PTE_P)) throw new Error('spteAddr: shadow directory entry not present');
  return ((spgd & 0xffff_f000) >>> 0) + ((vaddr >>> 12) & 0x3ff) * 4;
}

/** The Guest's directory entry for `vaddr` in the current page directory (a Guest-physical address). */
export function gpgdAddr(g: Guest, vaddr: number): number {
  return g.pgdirs[g.cpuPgd]!.gpgdir + (vaddr >>> 22) * 4;
}

/** The Guest's page-table entry for `vaddr`, under the Guest directory entry `gpgd`. */
export function gpteAddr(gpgd: number, vaddr: number): number {
  return ((gpgd & 0xffff_f000) >>> 0) + ((vaddr >>> 12) & 0x3ff) * 4;
}
// #endregion H320-index-helpers
