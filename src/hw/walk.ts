/*
 * What every page walk shares, whatever the paging mode: the machine state it
 * reads, the result it leaves behind, and the three ways it can fail.
 */
import { PF_P, PF_RSVD } from './fault.ts';
import type { AccessKind, AccessPolicy, PrivilegeState } from './rights.ts';

// #region HW-walk-common
/** Where a walker reads its entries and sets their Accessed and Dirty bits. */
export interface WalkMemory {
  read32(paddr: number): number;
  write32(paddr: number, value: number): void;
}

/** The state a walker reads. The {@link Mmu} provides it; tests can provide their own. */
export interface WalkMachine {
  /** Physical memory, or, when `translate` explains a walk, a recorder in front of it. */
  readonly memory: WalkMemory;
  readonly cr3: number;
  /** CR4.PSE: a 32-bit PDE with PS=1 maps a 4 MiB page. */
  readonly pse: boolean;
  /** The PAE PDPTE registers, loaded from memory when CR3 was written. */
  readonly pdpteLo: Uint32Array;
  readonly pdpteHi: Uint32Array;
  /** Reserved bits of the high word of 8-byte entries in this mode (bits 62/51:MAXPHYADDR, and 63 without NXE). */
  readonly reservedHi: number;
  /** Reserved bits of a 32-bit 4 MiB PDE (bit 21, and the PSE-36 bits above MAXPHYADDR). */
  readonly reservedPse36: number;
  readonly privilege: PrivilegeState;
  /** The access policy for each access kind, kept up to date as CPL and CR bits change. */
  readonly policy: readonly AccessPolicy[];
}

/** One entry a walk read, for `translate`'s step-by-step explanation. */
export interface WalkStep {
  level: 'PML4E' | 'PDPTE' | 'PDE' | 'PTE';
  index: number;
  /** Physical address of the entry (for a PAE PDPTE: where CR3 loaded it from). */
  entryAddr: number;
  size: 4 | 8;
  before: bigint;
  after: bigint;
}

/** Where a walk leaves its answer; one is reused across walks so the hot path allocates nothing. */
export class WalkResult {
  /** Physical address of the 4 KiB page that holds the linear address. */
  pageBase = 0;
  /** Effective rights (R_* bits) of the walk, for the TLB. */
  rights = 0;
  /** log2 of the size of the page the walk found: 12, 21, 22 or 30. */
  pageShift = 12;
  /** The #PF error code, when the walk failed. */
  errorCode = 0;
  /** Why the walk failed, in words. */
  reason = '';
}

/** Fail for an entry with P=0: error-code bit 0 clear. */
export function notPresent(m: WalkMachine, kind: AccessKind, out: WalkResult, level: string): false {
  out.errorCode = m.policy[kind]!.errorBits;
  out.reason = `${level} not present`;
  return false;
}

/** Fail for a present entry with a reserved bit set: P and RSVD. */
export function reservedBit(m: WalkMachine, kind: AccessKind, out: WalkResult, level: string): false {
  out.errorCode = m.policy[kind]!.errorBits | PF_P | PF_RSVD;
  out.reason = `reserved bit set in ${level}`;
  return false;
}

/** Fail for a present, well-formed path whose rights do not allow the access: P set. */
export function denied(m: WalkMachine, kind: AccessKind, out: WalkResult, rights: number): false {
  out.errorCode = m.policy[kind]!.errorBits | PF_P;
  out.rights = rights;
  out.reason = 'rights';
  return false;
}
// #endregion HW-walk-common
