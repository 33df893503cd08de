/*
 * A page fault on the shadows: a VM exit. The Guest's own tables decide
 * what it means, and the shadow is brought up to what they say.
 */
import { _PAGE_TABLE, PTE_P, PTE_RW } from '../../hw/pte.ts';
import { WRITE, type AccessKind } from '../../hw/rights.ts';
import { walkGuest } from './guest-walk.ts';
import { loadRoot } from './roots.ts';
import { entryFrame, getShadowPage, linkShadowPage, NoShadowPage, setSpte, zapAll } from './shadow-cache.ts';
import { leafSpte } from './write-protect.ts';
import { entrySize, killVm, type Vm } from './vm.ts';
import type { TranslateReport } from '../../hw/mmu.ts';

// #region K-page-fault
/**
 * What a fault came to: fixed (the Guest runs on, none the wiser), the
 * Guest's own (its handler gets it, from `vm.lastFault`), or a store into a
 * page table, which the Host must do itself: `protected`, with the
 * Guest-physical address it was going to.
 */
export type FaultOutcome = { kind: 'fixed' } | { kind: 'reflected' } | { kind: 'protected'; gpa: number };

const FIXED: FaultOutcome = { kind: 'fixed' };
const REFLECTED: FaultOutcome = { kind: 'reflected' };

/**
 * The Guest faulted at `vaddr` on the shadows. Walk its tables as its
 * processor would: if they forbid the access, the fault is the Guest's, with
 * the error code bare hardware would give. If they allow it, the shadow was
 * merely behind: fill in the whole path at once, and go back. There is no
 * other kind of fault, because the shadows never grant what the Guest's
 * tables do not: the Guest's tables are the truth, the shadows a cache.
 */
export function shadowPageFault(vm: Vm, vaddr: number, kind: AccessKind, cpl: number): FaultOutcome {
  const walk = walkGuest(vm, vaddr, kind, cpl);
  if (!walk.ok) {
    vm.lastFault = { address: vaddr >>> 0, errorCode: walk.errorCode! };
    vm.stats.reflectedFaults++;
    vm.trace?.(`fault at 0x${hex(vaddr)} is the Guest's: error code ${walk.errorCode}`);
    return REFLECTED;
  }
  if (walk.pageSize !== 4096) killVm(vm, `a large page at 0x${hex(vaddr)}: this Host shadows 4 KiB pages only`);
  const gpa = walk.paddr!;
  if (gpa >= vm.pfnLimit * 4096) killVm(vm, `bad page table entry: it maps frame 0x${hex(Math.floor(gpa / 4096))}, outside the Guest's memory`);
  let spteAt: number;
  try {
    spteAt = fillPath(vm, walk);
  } catch (e) {
    if (!(e instanceof NoShadowPage)) throw e;
    // Out of pages for shadows: make room, and try once more from the root.
    zapAll(vm);
    try {
      spteAt = fillPath(vm, walk);
    } catch (e2) {
      if (e2 instanceof NoShadowPage) killVm(vm, 'out of memory allocating a shadow page');
      throw e2;
    }
  }
  // The Guest's tables allow the store, and the walk has set Dirty: if the shadow is still read-only, the page is a page table.
  if (kind === WRITE && !(vm.memory.read32(spteAt) & PTE_RW)) return { kind: 'protected', gpa };
  vm.stats.hiddenFaults++;
  vm.trace?.(`fault at 0x${hex(vaddr)} fixed: shadow PTE 0x${hex(vm.memory.read32(spteAt))}`);
  return FIXED;
}

/**
 * Bring every shadow entry on the way to the walk's page up to date with the
 * Guest's entry it copies, making the shadow pages that are missing, and
 * return where the shadow PTE is. A directory entry copies the Guest's
 * rights (the processor ANDs them with the PTE's, in the shadow as in the
 * Guest), so one shadow page table serves every directory entry that names
 * its Guest table, whatever rights each gives.
 */
function fillPath(vm: Vm, walk: TranslateReport): number {
  if (!vm.root) loadRoot(vm);
  const e = entrySize(vm);
  const [top, ...rest] = walk.steps;
  let steps = walk.steps;
  let table = vm.root;
  if (vm.pae) {
    // The PDPTE, from the Guest's register: point our root's entry at its page directory's shadow.
    const pmd = getShadowPage(vm, entryFrame(low(top!.after)) / 4096, 2);
    if (linkShadowPage(vm, vm.paeRoot + top!.index * 8, pmd, PTE_P)) vm.tlbStale = true;
    table = pmd.page;
    steps = rest;
  }
  const [pde, pte] = steps as [TranslateReport['steps'][number], TranslateReport['steps'][number]];
  const pt = getShadowPage(vm, entryFrame(low(pde.after)) / 4096, 1);
  linkShadowPage(vm, table + pde.index * e, pt, low(pde.after) & _PAGE_TABLE);
  const spteAt = pt.page + pte.index * e;
  setSpte(vm, spteAt, leafSpte(vm, low(pte.after), high(pte.after), true));
  return spteAt;
}

const low = (entry: bigint): number => Number(entry & 0xffff_ffffn);
const high = (entry: bigint): number => Number(entry >> 32n);
const hex = (n: number) => (n >>> 0).toString(16);
// #endregion K-page-fault
