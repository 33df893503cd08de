/*
 * The shadow pages, found by the Guest table they shadow. This is what makes
 * the transparent Host cheap to switch: a shadow belongs to a Guest table,
 * not to an address space, so every process whose tables reach that table
 * shares it, and a process the Host has seen before finds its shadows still
 * there.
 */
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../hw/pte.ts';
import { gfnOf, rmapAdd, rmapRemove } from './rmap.ts';
import { writeProtect } from './write-protect.ts';
import { entrySize, shadowKey, type ShadowPage, type Vm } from './vm.ts';

// #region K-shadow-cache
/** The Host has no page left for a shadow. Caught where the fault or the CR3 load began: it makes room and tries again. */
export class NoShadowPage extends Error {}

/** The frame an entry names, as an address. */
export const entryFrame = (entry: number): number => (entry & 0xffff_f000) >>> 0;

/** The shadow page of Guest table `gfn` at `level`, if the Host has one. */
export function findShadowPage(vm: Vm, gfn: number, level: 1 | 2): ShadowPage | undefined {
  return vm.shadows.get(shadowKey(gfn, level));
}

/**
 * The shadow page for Guest table `gfn` at `level`: the one already made
 * (by this address space or any other), or a new, empty one, to be filled
 * entry by entry as faults need it. A new one turns the Guest frame into a
 * page table in the Host's eyes: write-protected wherever it is mapped.
 */
export function getShadowPage(vm: Vm, gfn: number, level: 1 | 2): ShadowPage {
  const found = findShadowPage(vm, gfn, level);
  if (found) return found;
  const page = vm.hostFrames.alloc();
  if (page < 0) throw new NoShadowPage();
  const sp: ShadowPage = { gfn, level, page, parents: new Set() };
  vm.shadows.set(shadowKey(gfn, level), sp);
  vm.pageOf.set(page, sp);
  vm.stats.shadowPagesAllocated++;
  vm.trace?.(`new shadow page for the Guest's level-${level} table at frame ${gfn}`);
  writeProtect(vm, gfn);
  return sp;
}

/**
 * Make the shadow directory entry at `at` point to `child` with `flags`,
 * unless it already does (Accessed and Dirty, which the processor sets in
 * our entries, aside). True when the entry changed.
 */
export function linkShadowPage(vm: Vm, at: number, child: ShadowPage, flags: number): boolean {
  const want = (child.page | flags) >>> 0;
  const old = vm.memory.read32(at);
  if (old & PTE_P && entryFrame(old) === child.page && !((old ^ want) & (PTE_P | PTE_RW | PTE_US))) return false;
  if (old & PTE_P) dropEntry(vm, at);
  vm.memory.write32(at, want);
  child.parents.add(at);
  return true;
}

/**
 * Put `spte` (0 for none) into the shadow PTE at `at`, keeping the reverse
 * map right. Taking something away (the frame, or a right) may leave a stale
 * translation in the processor's TLB: it must be flushed. Giving more need
 * not: a cached entry with fewer rights is not a hit.
 */
export function setSpte(vm: Vm, at: number, spte: number): void {
  const old = vm.memory.read32(at);
  if (old === spte) return;
  if (old & PTE_P) {
    rmapRemove(vm, gfnOf(vm, old), at);
    if (!(spte & PTE_P) || entryFrame(old) !== entryFrame(spte) || old & ~spte & (PTE_RW | PTE_US)) vm.tlbStale = true;
  }
  vm.memory.write32(at, spte);
  if (spte & PTE_P) rmapAdd(vm, gfnOf(vm, spte), at);
}

/**
 * Clear the shadow entry at `at`, whatever level it is at: a PTE leaves the
 * reverse map; a directory entry (or a PAE root entry) stops being its
 * child's parent. The child itself stays, shadowing its table for whoever
 * reaches it next.
 */
export function dropEntry(vm: Vm, at: number): void {
  const old = vm.memory.read32(at);
  if (!(old & PTE_P)) return;
  const holder = vm.pageOf.get(entryFrame(at));
  if (holder?.level === 1) rmapRemove(vm, gfnOf(vm, old), at);
  else vm.pageOf.get(entryFrame(old))?.parents.delete(at);
  vm.memory.write32(at, 0);
  vm.tlbStale = true;
}
// #endregion K-shadow-cache

// #region K-zap
/**
 * Throw one shadow page away (kvm_mmu_zap_page): its entries dropped, every
 * entry that pointed at it cleared, its page given back. If it was the root
 * the processor runs on, the root must be found again before the Guest runs.
 * The Guest frame it shadowed is no page table any more, as far as the Host
 * knows; its read-only mappings become writable again at their next write
 * fault.
 */
export function zapShadowPage(vm: Vm, sp: ShadowPage): void {
  const e = entrySize(vm);
  for (let i = 0; i < 4096; i += e) dropEntry(vm, sp.page + i);
  for (const at of sp.parents) vm.memory.write32(at, 0);
  sp.parents.clear();
  vm.shadows.delete(shadowKey(sp.gfn, sp.level));
  vm.pageOf.delete(sp.page);
  vm.hostFrames.free(sp.page);
  vm.stats.shadowPagesFreed++;
  if (vm.root === sp.page) vm.root = 0;
  if (entryFrame(vm.flood.lastSpte) === sp.page) vm.flood.lastSpte = 0;
  vm.tlbStale = true;
  vm.trace?.(`shadow page for the Guest's level-${sp.level} table at frame ${sp.gfn} thrown away`);
}

/** Out of pages: throw every shadow away, to be rebuilt by faults (KVM frees the oldest; we free them all, and count). */
export function zapAll(vm: Vm): void {
  vm.stats.zapAlls++;
  for (const sp of [...vm.shadows.values()]) zapShadowPage(vm, sp);
  if (vm.pae) for (let i = 0; i < 4; i++) dropEntry(vm, vm.paeRoot + i * 8);
  vm.root = 0;
}

/** Hardware sets these in shadow entries as it walks them; they are no right. */
export const WALK_BITS = PTE_A | PTE_D;
// #endregion K-zap
