/*
 * The instructions the Host intercepts. An unmodified Guest turns paging on,
 * switches address spaces and flushes its TLB with the instructions bare
 * hardware has for it; under a shadow-paging Host each of them traps.
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE } from '../../hw/mmu.ts';
import { GuestKilled } from '../lguest.ts';
import { loadGuestRegister } from './guest-walk.ts';
import { loadRoot } from './roots.ts';
import { killVm, type Vm } from './vm.ts';

// #region K-exits
/** Every trap into the Host is an exit; a Guest the Host has killed gets no more. */
function exit(vm: Vm, what: string): void {
  if (vm.dead !== null) throw new GuestKilled(vm.dead);
  vm.stats.exits++;
  vm.trace?.(`exit: ${what}`);
}

/**
 * MOV to CR4, before paging is on. Our shadows have the Guest's own shape,
 * so the paging width is the VM's, fixed when it was made; and we offer
 * nothing else (no large pages, no Global pages).
 */
export function guestWriteCr4(vm: Vm, value: number): void {
  exit(vm, `MOV CR4, 0x${(value >>> 0).toString(16)}`);
  if (vm.paging || value & ~CR4_PAE || ((value & CR4_PAE) !== 0) !== vm.pae) {
    killVm(vm, `unsupported CR4 0x${(value >>> 0).toString(16)}: this Host runs ${vm.pae ? 'PAE' : 'two-level'} paging, set before paging is on, and nothing else`);
  }
  vm.guestCpu.writeCr4(value);
}

/**
 * MOV to CR0: paging on, once, with write protection (the Guest's kernel
 * must not write through read-only entries, in its tables or ours).
 */
export function guestWriteCr0(vm: Vm, value: number): void {
  exit(vm, `MOV CR0, 0x${(value >>> 0).toString(16)}`);
  const need = CR0_PE | CR0_PG | CR0_WP;
  if (vm.paging || (value & need) !== need) killVm(vm, `unsupported CR0 0x${(value >>> 0).toString(16)}: paging goes on once, with PE and WP`);
  loadGuestRegister(vm, 'paging on', () => vm.guestCpu.writeCr0(value));
  vm.paging = true;
  loadRoot(vm);
}

/**
 * MOV to CR3: a context switch, or a flush of the TLB. The Guest's
 * processor takes the value (and under PAE its four PDPT entries); then the
 * Host finds the shadow root for it. Nothing is thrown away: the shadows
 * never disagree with the Guest's tables, whichever address space is
 * running.
 */
export function guestWriteCr3(vm: Vm, value: number): void {
  exit(vm, `MOV CR3, 0x${(value >>> 0).toString(16)}`);
  vm.stats.cr3Loads++;
  loadGuestRegister(vm, `CR3 0x${(value >>> 0).toString(16)}`, () => vm.guestCpu.writeCr3(value >>> 0));
  if (vm.paging) loadRoot(vm);
}

/**
 * INVLPG: the Guest changed an entry and wants the old translation gone. Our
 * shadow changed with it, when the store into the table trapped; all that is
 * left is the processor's copy. (KVM later let leaf tables go out of sync,
 * write-protecting fewer pages, and then INVLPG became the moment to
 * resynchronise; ours are never out of sync.)
 */
export function guestInvlpg(vm: Vm, vaddr: number): void {
  exit(vm, `INVLPG 0x${(vaddr >>> 0).toString(16)}`);
  vm.stats.invlpgs++;
  vm.mmu.invlpg(vaddr >>> 0);
}
// #endregion K-exits
