/*
 * Running the Guest with nested paging: one access at a time on the
 * processor, which walks the Guest's tables itself. The Host hears of it
 * only when the second dimension says no (an EPT violation), and for the
 * two control registers it still keeps to itself.
 */
import { GeneralProtectionFault, PageFault } from '../../hw/fault.ts';
import { EptViolation } from '../../hw/nested.ts';
import { READ, WRITE, type AccessKind } from '../../hw/rights.ts';
import { GuestKilled } from '../lguest.ts';
import { eptViolation } from './ept.ts';
import { killNestedVm, type NestedVm } from './vm.ts';

// #region N-run
/** What `nestedAccess` returns when the access faulted for the Guest (loaded values are never negative). */
export const FAULTED = -1;

/**
 * Run one Guest instruction's worth of work, `run`, taking every EPT
 * violation it causes as an exit: the Host maps the page, and the
 * instruction starts again, as the processor restarts it after a VM entry.
 * Each exit maps a page for good, unless the Host ran out of pages and
 * emptied its tables; twice in one instruction, and it never will finish.
 */
export function untilDone<T>(vm: NestedVm, run: () => T): T {
  if (vm.dead !== null) throw new GuestKilled(vm.dead);
  const zaps = vm.stats.zapAlls;
  for (let exits = 0; ; exits++) {
    try {
      return run();
    } catch (e) {
      if (!(e instanceof EptViolation)) throw e;
      if (vm.stats.zapAlls - zaps > 1) killNestedVm(vm, 'out of memory allocating a nested page table');
      // A walk of n Guest levels touches n + 1 Guest pages, so it exits at most n + 1 times between
      // zaps; 64 leaves room for a zap and still stops a Host that would loop for ever.
      if (exits > 64) throw new Error(`host bug: ${e.message} again after 64 exits`);
      eptViolation(vm, e);
    }
  }
}

/**
 * The Host-physical address a Guest access of `kind` at `vaddr` reaches,
 * exits handled; FAULTED for a page fault of the Guest's, which is in
 * `vm.lastFault`. Before the Guest turns paging on, `vaddr` is
 * Guest-physical, and still goes through the Host's tables.
 */
export function nestedPhysical(vm: NestedVm, kind: AccessKind, vaddr: number, cpl: number): number {
  const mmu = vm.mmu;
  if (mmu.cpl !== cpl) mmu.setCpl(cpl);
  const hpa = untilDone(vm, () => mmu.physical(vaddr >>> 0, kind));
  if (hpa < 0) vm.lastFault = { address: mmu.cr2, errorCode: mmu.lastErrorCode };
  return hpa;
}

/**
 * One Guest access: a load, a store or a fetch of a word at `cpl`. A word
 * that straddles two pages takes the processor's own path for it, both
 * pages translated before a byte moves.
 */
export function nestedAccess(vm: NestedVm, kind: AccessKind, vaddr: number, cpl: number, value = 0): number {
  vaddr >>>= 0;
  if ((vaddr & 0xfff) > 0xffc) return crossingAccess(vm, kind, vaddr, cpl, value);
  const hpa = nestedPhysical(vm, kind, vaddr, cpl);
  if (hpa < 0) return FAULTED;
  if (kind !== WRITE) return vm.memory.read32(hpa);
  vm.memory.write32(hpa, value);
  return value >>> 0;
}

function crossingAccess(vm: NestedVm, kind: AccessKind, vaddr: number, cpl: number, value: number): number {
  const mmu = vm.mmu;
  if (mmu.cpl !== cpl) mmu.setCpl(cpl);
  try {
    return untilDone(vm, () => {
      if (kind === WRITE) {
        mmu.write32(vaddr, value);
        return value >>> 0;
      }
      return kind === READ ? mmu.read32(vaddr) : mmu.fetch32(vaddr);
    });
  } catch (e) {
    // A word running past 4 GiB: the processor's #GP (the segment limit), and our Guest has no handler for it.
    if (e instanceof GeneralProtectionFault) killNestedVm(vm, e.message);
    if (!(e instanceof PageFault)) throw e;
    vm.lastFault = { address: e.address, errorCode: e.errorCode };
    return FAULTED;
  }
}
// #endregion N-run

// #region N-exits
/**
 * MOV to CR0 or CR4. With nested paging the Guest may run in any paging
 * mode the processor has, and switch between them: the Host's tables do not
 * care what the Guest's look like. KVM still intercepts writes to the bits
 * it owns; so do we, to count them, and to catch what the processor
 * refuses: bare hardware would raise #GP, and our Guest has no handler for
 * it, so it is killed.
 */
export function nestedWriteCr0(vm: NestedVm, value: number): void {
  crWrite(vm, `MOV CR0, 0x${(value >>> 0).toString(16)}`, () => vm.mmu.writeCr0(value));
}

export function nestedWriteCr4(vm: NestedVm, value: number): void {
  crWrite(vm, `MOV CR4, 0x${(value >>> 0).toString(16)}`, () => vm.mmu.writeCr4(value));
}

function crWrite(vm: NestedVm, what: string, load: () => void): void {
  if (vm.dead !== null) throw new GuestKilled(vm.dead);
  vm.stats.exits++;
  vm.stats.crWrites++;
  vm.trace?.(`exit: ${what}`);
  guestRegister(vm, what, load);
}

/**
 * MOV to CR3: no exit. The Guest switches address spaces on the processor,
 * which under PAE loads the four PDPT entries through the Host's tables
 * (perhaps exiting to have that page mapped). Nothing of the Host's changes.
 */
export function nestedWriteCr3(vm: NestedVm, value: number): void {
  guestRegister(vm, `MOV CR3, 0x${(value >>> 0).toString(16)}`, () => vm.mmu.writeCr3(value >>> 0));
}

/** INVLPG: no exit either. The processor drops its own TLB entry; the Host has nothing to drop. */
export function nestedInvlpg(vm: NestedVm, vaddr: number): void {
  if (vm.dead !== null) throw new GuestKilled(vm.dead);
  vm.mmu.invlpg(vaddr >>> 0);
}

/** Load a register as the Guest's instruction would; a #GP, which bare hardware would raise, kills the Guest. */
function guestRegister(vm: NestedVm, what: string, load: () => void): void {
  try {
    untilDone(vm, load);
  } catch (e) {
    if (e instanceof GeneralProtectionFault) killNestedVm(vm, `#GP on ${what}: ${e.reason}`);
    throw e;
  }
}
// #endregion N-exits
