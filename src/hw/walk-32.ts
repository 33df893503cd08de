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
  const mem = m.memory;
  const pdeAddr = ((m.cr3 & 0xffff_f000) >>> 0) + (vaddr >>> 22) * 4;
  const pde = mem.read32(pdeAddr);
  if (!(pde & PTE_P)) return notPresent(m, kind, out, 'PDE');

  if (pde & PTE_PS && m.pse) return leaf4M(m, vaddr, kind, out, pdeAddr, pde);

  // A directory entry earns its Accessed bit just by being used.
  if (!(pde & PTE_A)) mem.write32(pdeAddr, pde | PTE_A);

  // BEGIN SOLUTION ex02-walk
  const pteAddr = ((pde & 0xffff_f000) >>> 0) + ((vaddr >>> 12) & 0x3ff) * 4;
  // END SOLUTION ex02-walk
  // BEGIN STUB ex02-walk
  // const pteAddr: number = todo('ex02-walk', 'the physical address of the PTE: the page table the PDE names, indexed by linear-address bits 21:12');
  // END STUB ex02-walk
  const pte = mem.read32(pteAddr);
  if (!(pte & PTE_P)) return notPresent(m, kind, out, 'PTE');

  // Effective rights are the AND of both levels: a read-only directory entry
  // makes its whole 4 MiB read-only, whatever the page tables say.
  const rights = pde & pte & (R_RW | R_US);
  if (!permits(rights, m.policy[kind]!)) return denied(m, kind, out, rights);
  // BEGIN SOLUTION ex04-dirty
  const pteAfter = pte | PTE_A | (kind === WRITE ? PTE_D : 0);
  // END SOLUTION ex04-dirty
  // BEGIN STUB ex04-dirty
  // const pteAfter: number = todo('ex04-dirty', 'the leaf entry after an allowed access: Accessed always, Dirty only for a write');
  // END STUB ex04-dirty
  if (pteAfter !== pte) mem.write32(pteAddr, pteAfter);

  out.pageBase = (pteAfter & 0xffff_f000) >>> 0;
  out.pageShift = 12;
  out.rights = rights | (pteAfter & (PTE_D | PTE_G));
  return true;
}
// #endregion HW-walk-32

// #region HW-walk-32-large
/**
 * A PDE with PS=1 under CR4.PSE maps 4 MiB directly. Bits 20:13 carry
 * physical-address bits 39:32 (PSE-36); bit 21 is reserved.
 */
function leaf4M(m: WalkMachine, vaddr: number, kind: AccessKind, out: WalkResult, pdeAddr: number, pde: number): boolean {
  if (pde & m.reservedPse36) return reservedBit(m, kind, out, 'PDE');
  const rights = pde & (R_RW | R_US);
  if (!permits(rights, m.policy[kind]!)) return denied(m, kind, out, rights);
  const after = pde | PTE_A | (kind === WRITE ? PTE_D : 0);
  if (after !== pde) m.memory.write32(pdeAddr, after);

  const high = ((pde >>> 13) & 0xff) * 0x1_0000_0000;
  // BEGIN SOLUTION ex05-large-page
  out.pageBase = high + ((pde & 0xffc0_0000) >>> 0) + (vaddr & 0x003f_f000);
  // END SOLUTION ex05-large-page
  // BEGIN STUB ex05-large-page
  // out.pageBase = todo('ex05-large-page', 'the 4 KiB page inside the 4 MiB page: PDE bits 31:22 (and PSE-36 bits 39:32), plus linear-address bits 21:12');
  // END STUB ex05-large-page
  out.pageShift = 22;
  out.rights = rights | (after & (PTE_D | PTE_G));
  return true;
}
// #endregion HW-walk-32-large
