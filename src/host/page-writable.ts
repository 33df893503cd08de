/*
 * Part (ii): the Guest's kernel stack must always be mapped, because a trap
 * that lands on an unmapped stack cannot be reflected: it double-faults.
 */
import { PF_W } from '../hw/fault.ts';
import { PTE_P, PTE_RW } from '../hw/pte.ts';
import { demandPage } from './demand-page.ts';
import { killGuest, type Guest } from './lguest.ts';
import { spgdAddr, spmdAddr, spteAddr } from './shadow-walk.ts';

// #region H360-page-writable
/**
 * Is `vaddr` present and writable in the current shadow? The quick check
 * before doing real work: a walk of our own tables, building nothing. Like
 * the processor, it wants Present and Writable at every level that carries
 * rights (a PAE PDPT entry carries none).
 */
export function pageWritable(g: Guest, vaddr: number): boolean {
  let sdir = g.memory.read32(spgdAddr(g, g.cpuPgd, vaddr));
  if (!(sdir & PTE_P)) return false;
  if (g.pae) sdir = g.memory.read32(spmdAddr(g, sdir, vaddr));
  if (!(sdir & PTE_P)) return false;
  const spte = g.memory.read32(spteAddr(g, sdir, vaddr));
  return (sdir & spte & (PTE_P | PTE_RW)) === (PTE_P | PTE_RW);
}

/**
 * Make sure `vaddr` is mapped writable, faking a supervisor write fault if it
 * is not. A stack page the Guest's own tables will not let it write kills it.
 */
export function pinPage(g: Guest, vaddr: number): void {
  if (!pageWritable(g, vaddr) && !demandPage(g, vaddr, PF_W).fixed) killGuest(g, `bad stack page 0x${vaddr.toString(16)}`);
}
// #endregion H360-page-writable
