/*
 * Write protection: the one rule that keeps the shadows honest without the
 * Guest's help. A Guest frame that holds a page table is mapped read-only in
 * every shadow, so the Guest's next store into it traps.
 */
import { PTE_A, PTE_D, PTE_P, PTE_PCD, PTE_PWT, PTE_RW, PTE_US } from '../../hw/pte.ts';
import { shadowKey, type Vm } from './vm.ts';

// #region K-write-protect
/** Is `gfn` a page table, as far as the Host knows: does it have a shadow page, at either level? */
export function isWriteProtected(vm: Vm, gfn: number): boolean {
  return vm.shadows.has(shadowKey(gfn, 1)) || vm.shadows.has(shadowKey(gfn, 2));
}

/**
 * `gfn` has just become a page table: take the right to write it from every
 * shadow PTE that maps it, wherever that is. The reverse map says where.
 */
export function writeProtect(vm: Vm, gfn: number): void {
  for (const at of vm.rmap.get(gfn) ?? []) {
    const spte = vm.memory.read32(at);
    if (!(spte & PTE_RW)) continue;
    vm.memory.write32(at, (spte & ~PTE_RW) >>> 0);
    // The processor may hold the writable translation: it must forget it.
    vm.tlbStale = true;
  }
}

/** The Guest PTE bits a shadow PTE copies: no Global (the Host runs without PGE), no PAT (we model no memory types). */
const LEAF_FLAGS = PTE_P | PTE_RW | PTE_US | PTE_PWT | PTE_PCD | PTE_D;

/**
 * The shadow PTE for Guest PTE `gpte` (and its high word, under PAE), or 0
 * when there should be none yet: not present, not yet Accessed (the first
 * access must fault so the Host can set Accessed, as lguest does), a frame
 * outside the Guest. It is writable only when the Guest's entry is Dirty
 * (lguest's trick for Dirty, kept) and the frame is no page table.
 * `accessed` says whether a fault made it, or a prefetch after an emulated
 * write (KVM's speculative entry): the processor sets the shadow's Accessed
 * bit when the Guest uses a prefetched entry, and the flood detector reads it.
 */
export function leafSpte(vm: Vm, gpte: number, gpteHi: number, accessed: boolean): number {
  if (!(gpte & PTE_P) || !(gpte & PTE_A) || gpteHi !== 0) return 0;
  const gfn = gpte >>> 12;
  if (gfn >= vm.pfnLimit) return 0;
  let flags = gpte & LEAF_FLAGS;
  if (!(gpte & PTE_D) || isWriteProtected(vm, gfn)) flags &= ~PTE_RW;
  return (vm.memBase + gfn * 4096 + flags + (accessed ? PTE_A : 0)) >>> 0;
}
// #endregion K-write-protect
