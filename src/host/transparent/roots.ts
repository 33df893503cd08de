/*
 * The root of the shadows: what the processor's CR3 holds while the Guest
 * runs, found again at every CR3 load the Guest makes.
 */
import { PTE_P } from '../../hw/pte.ts';
import { dropEntry, entryFrame, getShadowPage, linkShadowPage, NoShadowPage, zapAll } from './shadow-cache.ts';
import { killVm, type Vm } from './vm.ts';

// #region K-roots
/**
 * Find the shadow root for the Guest's CR3 (KVM's mmu_alloc_roots). With
 * two-level paging the root is the shadow page of the Guest's page
 * directory, looked up by its frame: an address space the Host has seen
 * before finds its shadow as it left it, however many others ran since.
 * Under PAE the processor takes the top level from four PDPTE registers,
 * loaded at the CR3 load, never from memory afterwards; so the root is the
 * vCPU's own PDPT page, refilled now from the Guest's four registers, each
 * entry pointing at the shared shadow of a Guest page directory.
 */
export function loadRoot(vm: Vm): void {
  try {
    findRoot(vm);
  } catch (e) {
    if (!(e instanceof NoShadowPage)) throw e;
    zapAll(vm);
    try {
      findRoot(vm);
    } catch (e2) {
      if (e2 instanceof NoShadowPage) killVm(vm, 'out of memory allocating a shadow page');
      throw e2;
    }
  }
  vm.tlbStale = true;
}

function findRoot(vm: Vm): void {
  const cpu = vm.guestCpu;
  if (!vm.pae) {
    const gfn = cpu.cr3 >>> 12;
    if (gfn >= vm.pfnLimit) killVm(vm, `bad CR3 0x${(cpu.cr3 >>> 0).toString(16)}: outside the Guest's memory`);
    vm.root = getShadowPage(vm, gfn, 2).page;
    return;
  }
  for (let i = 0; i < 4; i++) {
    const at = vm.paeRoot + i * 8;
    const lo = cpu.pdpteLo[i]!;
    if (!(lo & PTE_P)) {
      dropEntry(vm, at);
      continue;
    }
    const gfn = entryFrame(lo) / 4096;
    if (cpu.pdpteHi[i] !== 0 || gfn >= vm.pfnLimit) killVm(vm, `bad PDPT entry ${i}: its page directory is outside the Guest's memory`);
    // A PDPT entry carries nothing but Present.
    linkShadowPage(vm, at, getShadowPage(vm, gfn, 2), PTE_P);
  }
  vm.root = vm.paeRoot;
}
// #endregion K-roots
