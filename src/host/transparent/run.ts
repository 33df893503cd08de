/*
 * Running the Guest: one access at a time on the shadows, with every page
 * fault a VM exit the Host handles.
 */
import { Mmu } from '../../hw/mmu.ts';
import { WRITE, type AccessKind } from '../../hw/rights.ts';
import { GuestKilled } from '../lguest.ts';
import { emulateWrite } from './emulate.ts';
import { shadowPageFault } from './page-fault.ts';
import { loadRoot } from './roots.ts';
import { killVm, type Vm } from './vm.ts';

// #region K-run
/** What `vmAccess` returns when the access faulted for the Guest (loaded values are never negative). */
export const FAULTED = -1;

/**
 * Run one Guest access (a load, a store or a fetch of a word at `cpl`) on
 * the shadows, handling the exits it causes, until it completes or faults
 * for the Guest (the fault in `vm.lastFault`). Before the Guest turns paging
 * on, an address is Guest-physical.
 */
export function vmAccess(vm: Vm, kind: AccessKind, vaddr: number, cpl: number, value = 0): number {
  if (vm.dead !== null) throw new GuestKilled(vm.dead);
  vaddr >>>= 0;
  if (!vm.paging) return physicalAccess(vm, kind, vaddr, value);
  if ((vaddr & 0xfff) > 0xffc) return crossingAccess(vm, kind, vaddr, cpl, value);
  const mmu = vm.mmu;
  // A fault fixes the whole path at once; two in a row is a Guest whose table changed under the walk.
  for (let tries = 0; tries < 4; tries++) {
    enterGuest(vm, cpl);
    const paddr = mmu.physical(vaddr, kind);
    if (paddr >= 0) {
      if (kind !== WRITE) return vm.memory.read32(paddr);
      vm.memory.write32(paddr, value);
      return value >>> 0;
    }
    vm.stats.exits++;
    const out = shadowPageFault(vm, vaddr, kind, cpl);
    if (out.kind === 'reflected') return FAULTED;
    if (out.kind === 'protected') {
      emulateWrite(vm, out.gpa, value, 4);
      return value >>> 0;
    }
  }
  throw new Error(`host bug: access at 0x${vaddr.toString(16)} still faults after four fixes`);
}

/**
 * Before the Guest runs on the shadows: the root found (again, if a zap
 * took it), CR3 loaded if the shadows changed under the TLB, the Guest's
 * privilege level. There is no Switcher to map: in KVM the processor's
 * virtualization extensions switch worlds, and nothing of the Host's lives
 * in the Guest's address space.
 */
function enterGuest(vm: Vm, cpl: number): void {
  if (!vm.root) loadRoot(vm);
  const mmu = vm.mmu;
  if (vm.tlbStale || mmu.cr3 !== vm.root) {
    mmu.writeCr3(vm.root);
    vm.tlbStale = false;
  }
  if (mmu.cpl !== cpl) mmu.setCpl(cpl);
}
// #endregion K-run

// #region X-transparent-odd-accesses
// unwoven: accesses before paging, and the rare word that straddles two pages, each part resolved as the aligned path resolves one.
function physicalAccess(vm: Vm, kind: AccessKind, gpa: number, value: number): number {
  if (gpa + 4 > vm.pfnLimit * 4096) killVm(vm, `access to 0x${gpa.toString(16)} with paging off, outside the Guest's memory`);
  if (kind !== WRITE) return vm.memory.read32(vm.memBase + gpa);
  vm.memory.write32(vm.memBase + gpa, value);
  return value >>> 0;
}

/**
 * A word across two pages: both translations first (the first page's fault
 * first, as the processor checks them), then the bytes, each part to the
 * host frame, or to the Host's emulation if it lands in a page table.
 */
function crossingAccess(vm: Vm, kind: AccessKind, vaddr: number, cpl: number, value: number): number {
  // Past 4 GiB the word does not wrap to 0: our processor raises #GP, and our Guest has no handler for it.
  const gp = Mmu.segmentLimitFault(vaddr, 4);
  if (gp) killVm(vm, gp.message);
  const first = 4096 - (vaddr & 0xfff);
  const parts = [{ va: vaddr, n: first }, { va: vaddr + first, n: 4 - first }];
  let where: { host: number } | { gpa: number } | undefined;
  const resolved: ({ host: number } | { gpa: number })[] = [];
  const zapsBefore = vm.stats.zapAlls;
  for (let tries = 0; resolved.length < 2; tries++) {
    // Each page's shadow pushed the other's out: this Host cannot hold both at once.
    if (vm.stats.zapAlls - zapsBefore > 1) killVm(vm, 'out of memory allocating a shadow page');
    if (tries >= 8) throw new Error(`host bug: access at 0x${vaddr.toString(16)} still faults after eight tries`);
    enterGuest(vm, cpl);
    const part = parts[resolved.length]!;
    const paddr = vm.mmu.physical(part.va, kind);
    if (paddr >= 0) where = { host: paddr };
    else {
      vm.stats.exits++;
      const out = shadowPageFault(vm, part.va, kind, cpl);
      if (out.kind === 'reflected') return FAULTED;
      // Fixing the second part may have changed the first's shadow: resolve both again.
      if (out.kind === 'fixed') {
        resolved.length = 0;
        continue;
      }
      where = { gpa: out.gpa };
    }
    resolved.push(where);
  }
  let result = 0;
  let shift = 0;
  resolved.forEach((w, i) => {
    const n = parts[i]!.n;
    const bits = Math.floor((value >>> 0) / 2 ** shift) % 2 ** (8 * n);
    if (kind === WRITE) {
      if ('gpa' in w) emulateWrite(vm, w.gpa, bits, n);
      else for (let b = 0; b < n; b++) vm.memory.write8(w.host + b, (bits >>> (8 * b)) & 0xff);
    } else {
      const at = 'gpa' in w ? vm.memBase + w.gpa : w.host;
      for (let b = 0; b < n; b++) result += vm.memory.read8(at + b) * 2 ** (shift + 8 * b);
    }
    shift += 8 * n;
  });
  return kind === WRITE ? value >>> 0 : result;
}
// #endregion X-transparent-odd-accesses
