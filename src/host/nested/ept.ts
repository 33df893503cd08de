/*
 * The Host's tables: Guest-physical to Host-physical, four levels of
 * eight-byte entries, filled one page at a time as the Guest touches its
 * memory. This is all the paging a nested-paging Host does.
 */
import { EPT_DEPTH, EPT_R, EPT_RAM, EPT_W, EPT_X, type EptViolation } from '../../hw/nested.ts';
import type { PhysicalMemory } from '../../hw/phys-memory.ts';
import { killNestedVm, type NestedVm } from './vm.ts';

// #region N-ept-set
/**
 * Make the Host's entry for Guest-physical `gpa` map Host-physical `hpa`
 * with `rights` (EPT_RAM for memory), making the levels that are missing
 * from `alloc` (a zeroed page, or -1 when there is none: then nothing is
 * changed that matters, and the answer is false). A directory entry gives
 * every right; the leaf decides, as in the Guest's tables.
 */
export function eptSet(memory: PhysicalMemory, eptp: number, gpa: number, hpa: number, rights: number, alloc: () => number): boolean {
  let table = eptp - (eptp % 4096);
  for (let level = 0; level < EPT_DEPTH - 1; level++) {
    const at = table + (Math.floor(gpa / 2 ** (39 - 9 * level)) % 512) * 8;
    let entry = memory.read32(at);
    if (!(entry & EPT_R)) {
      const page = alloc();
      if (page < 0) return false;
      entry = (page | EPT_R | EPT_W | EPT_X) >>> 0;
      memory.write32(at, entry);
      memory.write32(at + 4, 0);
    }
    table = (entry & 0xffff_f000) >>> 0;
  }
  const at = table + (Math.floor(gpa / 4096) % 512) * 8;
  memory.write32(at, ((hpa & 0xffff_f000) | rights) >>> 0);
  memory.write32(at + 4, 0);
  return true;
}
// #endregion N-ept-set

// #region N-ept-violation
/**
 * An EPT violation (KVM's tdp_page_fault). The Guest touched a page of its
 * memory the Host's tables do not map yet: map it, and let the Guest go on.
 * There is no Guest walk to imitate, no table to write-protect, no shadow
 * to find: the Guest's tables are the processor's business now. The one
 * question is whether the address is the Guest's memory at all. If it is
 * not, KVM would hand it to the device model as MMIO; we have no devices,
 * so the Guest is killed.
 */
export function eptViolation(vm: NestedVm, e: EptViolation): void {
  if (vm.dead !== null) killNestedVm(vm, vm.dead);
  vm.stats.exits++;
  vm.stats.eptViolations++;
  const gfn = Math.floor(e.gpa / 4096);
  const what = e.duringWalk ? 'its page walk reached' : 'it touched';
  if (gfn >= vm.pfnLimit) killNestedVm(vm, `outside its memory: ${what} guest-physical 0x${e.gpa.toString(16)}`);
  // We map every page with every right, so a violation is always a page not mapped yet.
  if (e.allowed !== 0) throw new Error(`host bug: EPT violation with rights ${e.allowed} at guest-physical 0x${e.gpa.toString(16)}`);
  if (!mapGuestFrame(vm, gfn)) {
    // Out of pages for tables: empty them, and map again from the top.
    zapAll(vm);
    if (!mapGuestFrame(vm, gfn)) killNestedVm(vm, 'out of memory allocating a nested page table');
  }
  vm.trace?.(`EPT violation: ${what} guest-physical 0x${e.gpa.toString(16)}; mapped to host-physical 0x${(vm.memBase + gfn * 4096).toString(16)}`);
}

/** Guest frame `gfn` is Host frame memBase/4096 + gfn: the one memory slot. */
function mapGuestFrame(vm: NestedVm, gfn: number): boolean {
  return eptSet(vm.memory, vm.ept.eptp, gfn * 4096, vm.memBase + gfn * 4096, EPT_RAM, () => {
    const page = vm.hostFrames.alloc();
    if (page >= 0) {
      vm.tablePages.push(page);
      vm.stats.tablePagesAllocated++;
    }
    return page;
  });
}

/**
 * Out of pages: throw every table below the root away, and let exits
 * refill what the Guest still uses. Taking mappings away means the
 * processor must forget what it derived from them (INVEPT): every TLB
 * entry, every cached nested translation.
 */
export function zapAll(vm: NestedVm): void {
  vm.stats.zapAlls++;
  vm.memory.zeroFrame(vm.ept.eptp / 4096);
  for (const page of vm.tablePages) vm.hostFrames.free(page);
  vm.stats.tablePagesFreed += vm.tablePages.length;
  vm.tablePages.length = 0;
  invept(vm);
  vm.trace?.("out of pages: the Host's tables emptied");
}

/** INVEPT: the processor forgets every translation that came through the Host's tables. */
export function invept(vm: NestedVm): void {
  vm.mmu.tlb.flushAll();
  vm.ept.flushWalkCache();
}
// #endregion N-ept-violation
