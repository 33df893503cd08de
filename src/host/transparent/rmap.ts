/*
 * The reverse map: for each Guest frame, every shadow PTE that maps it. A
 * shadow-paging Host needs to answer "who maps this page?" whenever a page
 * becomes a page table (to take away the right to write it), and shadow
 * entries can be found no other way: many address spaces, many virtual
 * addresses, one frame.
 */
import type { Vm } from './vm.ts';

// #region K-rmap
/** The Guest frame a present shadow PTE maps. */
export const gfnOf = (vm: Vm, spte: number): number => (spte >>> 12) - vm.memBase / 4096;

/** A shadow PTE at host-physical `spteAt` now maps Guest frame `gfn`. */
export function rmapAdd(vm: Vm, gfn: number, spteAt: number): void {
  let set = vm.rmap.get(gfn);
  if (!set) vm.rmap.set(gfn, (set = new Set()));
  set.add(spteAt);
}

/** It maps it no longer. */
export function rmapRemove(vm: Vm, gfn: number, spteAt: number): void {
  const set = vm.rmap.get(gfn);
  if (!set?.delete(spteAt)) throw new Error(`host bug: no reverse-map entry for the shadow PTE at 0x${spteAt.toString(16)} (frame ${gfn})`);
  if (set.size === 0) vm.rmap.delete(gfn);
}
// #endregion K-rmap
