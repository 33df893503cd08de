/*
 * Page faults: how the processor says "no". The error code it pushes and the
 * address it leaves in CR2 are everything a fault handler (or a hypervisor)
 * gets to go on.
 */

// #region HW-fault
/** Error-code bit 0: 0 = the page was not present, 1 = a protection violation. */
export const PF_P = 1 << 0;
/** Error-code bit 1: the access was a write. */
export const PF_W = 1 << 1;
/** Error-code bit 2: the access came from user mode (CPL 3). */
export const PF_U = 1 << 2;
/** Error-code bit 3: a reserved bit was set in some paging-structure entry. */
export const PF_RSVD = 1 << 3;
/** Error-code bit 4: the access was an instruction fetch (reported only with NXE under PAE/IA-32e, or SMEP). */
export const PF_ID = 1 << 4;

/** The three kinds of memory access a walk is asked to allow. */
export type Access = 'read' | 'write' | 'fetch';

/** Decode an error code the way a kernel log would: "P|W|U". */
export function errorCodeNames(code: number): string {
  const names: string[] = [];
  names.push(code & PF_P ? 'P' : 'not-present');
  if (code & PF_W) names.push('W');
  if (code & PF_U) names.push('U');
  if (code & PF_RSVD) names.push('RSVD');
  if (code & PF_ID) names.push('I/D');
  return names.join('|');
}

/**
 * A page fault (#PF, vector 14) as a typed exception. `address` is what the
 * processor put in CR2; `errorCode` is what it pushed on the stack.
 */
export class PageFault extends Error {
  readonly vector = 14;
  constructor(
    readonly address: number,
    readonly errorCode: number,
  ) {
    super(`#PF at 0x${address.toString(16)}, error code 0x${errorCode.toString(16)} (${errorCodeNames(errorCode)})`);
    this.name = 'PageFault';
  }
}

/**
 * A general-protection fault (#GP, vector 13). The MMU raises it for a
 * non-canonical IA-32e address, a word running past 4 GiB outside IA-32e
 * mode, a PAE PDPTE with reserved bits when CR3 is loaded, and a control
 * register or EFER value the processor refuses.
 */
export class GeneralProtectionFault extends Error {
  readonly vector = 13;
  constructor(readonly reason: string) {
    super(`#GP(0): ${reason}`);
    this.name = 'GeneralProtectionFault';
  }
}
// #endregion HW-fault
