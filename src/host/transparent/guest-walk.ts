/*
 * Walking the Guest's own tables. A transparent Host cannot ask the Guest
 * what a virtual address means; it must work it out exactly as the Guest's
 * processor would, from the Guest's CR3, its paging mode, its privilege
 * level, and set the Guest's Accessed and Dirty bits as that processor would.
 */
import { GeneralProtectionFault, type Access } from '../../hw/fault.ts';
import type { TranslateReport } from '../../hw/mmu.ts';
import { BusError } from '../../hw/phys-memory.ts';
import type { AccessKind } from '../../hw/rights.ts';
import { killVm, type Vm } from './vm.ts';

// #region K-guest-walk
const ACCESSES: readonly Access[] = ['read', 'write', 'fetch'];

/**
 * The walk the Guest's processor would make for this access. KVM writes its
 * own software walker for this (paging_tmpl.h's walk_addr); we have one
 * already, the processor model of the first chapters, so the Host keeps a
 * second Mmu holding the Guest's registers over the Guest's memory and asks
 * it, with the walk applied: the Accessed and Dirty bits it sets are the
 * ones the Guest's processor would have set. A table outside the Guest's
 * memory is no table: the Guest is killed.
 */
export function walkGuest(vm: Vm, vaddr: number, kind: AccessKind, cpl: number): TranslateReport {
  const cpu = vm.guestCpu;
  if (cpu.cpl !== cpl) cpu.setCpl(cpl);
  try {
    return cpu.translate(vaddr >>> 0, ACCESSES[kind]!, { apply: true });
  } catch (e) {
    if (e instanceof BusError) killVm(vm, `bad page table entry: it names a table at 0x${e.paddr.toString(16)}, outside the Guest's memory`);
    throw e;
  }
}

/**
 * Load one of the Guest's control registers into the Guest's processor, as
 * its MOV instruction would have; what that processor refuses (a PDPT entry
 * with reserved bits, under PAE; CR0.NW without CD) kills the Guest, where
 * bare hardware would raise #GP.
 */
export function loadGuestRegister(vm: Vm, what: string, load: () => void): void {
  try {
    load();
  } catch (e) {
    if (e instanceof GeneralProtectionFault) killVm(vm, `${e.reason.startsWith('PDPTE') ? 'bad PDPT entry' : 'refused by the processor'} (${what}): ${e.message}`);
    if (e instanceof BusError) killVm(vm, `bad CR3 (${what}): it names memory at 0x${e.paddr.toString(16)}, outside the Guest's`);
    throw e;
  }
}
// #endregion K-guest-walk
