/*
 * IA-32e ("long mode") paging: four levels of eight-byte entries over a
 * 48-bit linear address. Everything below the PML4 is the PAE walk again.
 */
import { GeneralProtectionFault } from './fault.ts';
import { R_RW, R_US, type AccessKind } from './rights.ts';
import type { WalkMachine, WalkResult } from './walk.ts';
import { PD, PDPT, PML4, PT, walk8 } from './walk-pae.ts';

// #region HW-walk-ia32e
/** 2^48: the size of the IA-32e linear address space. */
const SPAN = 2 ** 48;
const IA32E_LEVELS = [PML4, PDPT, PD, PT];

/**
 * Linear addresses here are JavaScript numbers holding the address as a
 * *signed* 48-bit value: a canonical address is exactly one in [-2^47, 2^47).
 * 0xffff_8000_0000_0000 is therefore written -2^47. Anything else is
 * non-canonical, and the processor answers it with #GP, not #PF.
 */
export function canonicalToUnsigned(vaddr: number): number {
  if (!isCanonical(vaddr)) {
    throw new GeneralProtectionFault(`non-canonical linear address ${vaddr}`);
  }
  return vaddr < 0 ? vaddr + SPAN : vaddr;
}

/** Whether `vaddr` is a canonical address in this signed 48-bit form. */
export function isCanonical(vaddr: number): boolean {
  return Number.isInteger(vaddr) && vaddr >= -(2 ** 47) && vaddr < 2 ** 47;
}

/** Walk the four IA-32e levels for the unsigned 48-bit address `uaddr`. */
export function walkIa32e(m: WalkMachine, uaddr: number, kind: AccessKind, out: WalkResult): boolean {
  const pml4 = m.cr3 - (m.cr3 % 4096);
  return walk8(m, uaddr, kind, out, pml4, IA32E_LEVELS, R_RW | R_US);
}
// #endregion HW-walk-ia32e
