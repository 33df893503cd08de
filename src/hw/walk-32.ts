/*
 * The classic two-level walk of 32-bit paging: CR3 names a page directory of
 * 1024 four-byte entries, each naming a page table of 1024 more. This is the
 * walk lguest's Guest and Host both do, and the one shadow paging imitates.
 */
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS } from './pte.ts';
import { R_RW, R_US, WRITE, permits, type AccessKind } from './rights.ts';
import { denied, notPresent, reservedBit, type WalkMachine, type WalkResult } from './walk.ts';

// #region HW-walk-32
/**
 * Walk the 32-bit page tables for `vaddr`. On success fill `out` and return
 * true; on a fault fill `out.errorCode` and return false.
 *
 * Accessed is set in the directory entry as soon as the walk uses it, before
 * the leaf is even looked at; the leaf's Accessed (and Dirty, for a write) is
 * set only once the access is known to be allowed.
 */
export function walk32(m: WalkMachine, vaddr: number, kind: AccessKind, out: WalkResult): boolean {
  // BEGIN SOLUTION ex04-walk
  const mem = m.memory;
  const pdeAddr = ((m.cr3 & 0xffff_f000) >>> 0) + (vaddr >>> 22) * 4;
  const pde = mem.read32(pdeAddr);
  if (!(pde & PTE_P)) return notPresent(m, kind, out, 'PDE');

  if (pde & PTE_PS && m.pse) return leaf4M(m, vaddr, kind, out, pdeAddr, pde);

  // A directory entry earns its Accessed bit just by being used.
  if (!(pde & PTE_A)) mem.write32(pdeAddr, pde | PTE_A);

  const pteAddr = ((pde & 0xffff_f000) >>> 0) + ((vaddr >>> 12) & 0x3ff) * 4;
  const pte = mem.read32(pteAddr);
  if (!(pte & PTE_P)) return notPresent(m, kind, out, 'PTE');

  // Effective rights are the AND of both levels: a read-only directory entry
  // makes its whole 4 MiB read-only, whatever the page tables say.
  const rights = pde & pte & (R_RW | R_US);
  if (!permits(rights, m.policy[kind]!)) return denied(m, kind, out, rights);
  const pteAfter = pte | PTE_A | (kind === WRITE ? PTE_D : 0);
  if (pteAfter !== pte) mem.write32(pteAddr, pteAfter);

  out.pageBase = (pteAfter & 0xffff_f000) >>> 0;
  out.pageShift = 12;
  out.rights = rights | (pteAfter & (PTE_D | PTE_G));
  return true;
  // END SOLUTION ex04-walk
  // BEGIN STUB ex04-walk
  // const mem = m.memory;
  // // Where the two entries for vaddr sit (chapter 2): the PDE in the directory CR3 names, the PTE in the table a PDE names.
  // const pdeAddr = ((m.cr3 & 0xffff_f000) >>> 0) + (vaddr >>> 22) * 4;
  // const pteAddrIn = (pde: number): number => ((pde & 0xffff_f000) >>> 0) + ((vaddr >>> 12) & 0x3ff) * 4;
  // return todo('ex04-walk', 'read the PDE (not present? a 4 MiB page?), mark it Accessed, read the PTE, check the rights of both levels, set Accessed and Dirty, fill out');
  // END STUB ex04-walk
}
// #endregion HW-walk-32

// #region HW-walk-32-large
/**
 * A PDE with PS=1 under CR4.PSE maps 4 MiB directly. Bits 20:13 carry
 * physical-address bits 39:32 (PSE-36); bit 21 is reserved.
 */
function leaf4M(m: WalkMachine, vaddr: number, kind: AccessKind, out: WalkResult, pdeAddr: number, pde: number): boolean {
  // BEGIN SOLUTION ex05-large-page
  if (pde & m.reservedPse36) return reservedBit(m, kind, out, 'PDE');
  const rights = pde & (R_RW | R_US);
  if (!permits(rights, m.policy[kind]!)) return denied(m, kind, out, rights);
  const after = pde | PTE_A | (kind === WRITE ? PTE_D : 0);
  if (after !== pde) m.memory.write32(pdeAddr, after);

  const high = ((pde >>> 13) & 0xff) * 0x1_0000_0000;
  out.pageBase = high + ((pde & 0xffc0_0000) >>> 0) + (vaddr & 0x003f_f000);
  out.pageShift = 22;
  out.rights = rights | (after & (PTE_D | PTE_G));
  return true;
  // END SOLUTION ex05-large-page
  // BEGIN STUB ex05-large-page
  // return todo('ex05-large-page', 'the 4 MiB leaf: reserved bit 21, rights, Accessed and Dirty, and the 4 KiB piece of the page that holds the address (PSE-36 bits too)');
  // END STUB ex05-large-page
}
// #endregion HW-walk-32-large
