/*
 * Access rights: what a walk found (the effective R/W, U/S and XD of all the
 * entries it used) against what the access wants (its kind, and the
 * processor's CPL, CR0.WP, CR4.SMEP/SMAP, EFLAGS.AC and EFER.NXE).
 *
 * The walk collects rights once; the check runs on every access, from a walk
 * or from the TLB. Keeping the two apart is what lets the TLB cache a walk
 * while CR0.WP or the CPL change underneath it.
 */
import { PTE_D, PTE_G, PTE_RW, PTE_US } from './pte.ts';
import { PF_ID, PF_U, PF_W } from './fault.ts';

// #region HW-rights
/** Writable at every level the walk used (same bit as PTE_RW). */
export const R_RW = PTE_RW;
/** User-accessible at every level (same bit as PTE_US). */
export const R_US = PTE_US;
/** The leaf entry is Dirty: a write through a TLB entry without it must walk again to set D. */
export const R_D = PTE_D;
/** The leaf is Global and CR4.PGE was on: survives a CR3 write. */
export const R_G = PTE_G;
/** Execute-disable at some level, with EFER.NXE on. */
export const R_XD = 1 << 9;

/** Access kinds as small integers, so the hot path can index arrays with them. */
export const READ = 0;
export const WRITE = 1;
export const FETCH = 2;
export type AccessKind = typeof READ | typeof WRITE | typeof FETCH;

/** The parts of processor state that decide whether an access is allowed. */
export interface PrivilegeState {
  cpl: number;
  /** CR0.WP: supervisor writes honour R/W. */
  wp: boolean;
  /** CR4.SMEP: supervisor code may not fetch from user pages. */
  smep: boolean;
  /** CR4.SMAP: supervisor data accesses to user pages fault unless EFLAGS.AC. */
  smap: boolean;
  /** EFLAGS.AC: lifts SMAP for explicit supervisor accesses. */
  ac: boolean;
  /** EFER.NXE: the XD bit exists (else bit 63 is reserved). */
  nxe: boolean;
  /** Whether a fetch fault reports I/D: with NXE under PAE or IA-32e paging, or with SMEP. */
  reportsFetch: boolean;
}

/**
 * An access is allowed when the rights hold every `need` bit and no `forbid`
 * bit. SDM vol. 3 §4.6 reduces to this table:
 *
 * | access | CPL 3 (user)        | CPL 0–2 (supervisor)                               |
 * |--------|---------------------|----------------------------------------------------|
 * | read   | need US             | forbid US if SMAP and not AC                       |
 * | write  | need US and RW      | need RW if CR0.WP; forbid US if SMAP and not AC    |
 * | fetch  | need US; forbid XD  | forbid XD; forbid US if SMEP                       |
 */
export interface AccessPolicy {
  need: number;
  forbid: number;
  /** Error-code bits this access always reports: W, U and I/D. */
  errorBits: number;
}

export function accessPolicy(kind: AccessKind, s: PrivilegeState): AccessPolicy {
  const user = s.cpl === 3;
  // SMAP guards supervisor *data* accesses only; AC lifts it.
  const smapForbids = !user && s.smap && !s.ac ? R_US : 0;
  const errorBits = (user ? PF_U : 0) | (kind === WRITE ? PF_W : 0) | (kind === FETCH && s.reportsFetch ? PF_ID : 0);
  switch (kind) {
    case READ:
      return { need: user ? R_US : 0, forbid: smapForbids, errorBits };
    case WRITE:
      return { need: user ? R_US | R_RW : s.wp ? R_RW : 0, forbid: smapForbids, errorBits };
    case FETCH:
      return { need: user ? R_US : 0, forbid: R_XD | (!user && s.smep ? R_US : 0), errorBits };
  }
}

/** The whole check, used by the walkers and by a TLB hit alike. */
export function permits(rights: number, p: AccessPolicy): boolean {
  // BEGIN SOLUTION ex03-rights
  return (rights & p.need) === p.need && (rights & p.forbid) === 0;
  // END SOLUTION ex03-rights
  // BEGIN STUB ex03-rights
  // return todo('ex03-rights', 'allowed when the rights hold every bit of p.need and none of p.forbid');
  // END STUB ex03-rights
}
// #endregion HW-rights

// #region HW-rights-explain
/** In words, why `rights` do not allow an access under `policy` (for `translate` and the book). */
export function denialReason(rights: number, kind: AccessKind, s: PrivilegeState): string {
  const user = s.cpl === 3;
  if (user && !(rights & R_US)) return 'user access to a supervisor page (U/S=0 at some level)';
  if (kind === FETCH && rights & R_XD) return 'instruction fetch from an execute-disable page (XD=1 at some level)';
  if (!user && kind === FETCH && s.smep && rights & R_US) return 'supervisor fetch from a user page with CR4.SMEP=1';
  if (!user && kind !== FETCH && s.smap && !s.ac && rights & R_US) return 'supervisor data access to a user page with CR4.SMAP=1 and EFLAGS.AC=0';
  if (kind === WRITE && !(rights & R_RW)) {
    return user ? 'user write to a read-only page (R/W=0 at some level)' : 'supervisor write to a read-only page with CR0.WP=1';
  }
  return 'access allowed';
}
// #endregion HW-rights-explain
