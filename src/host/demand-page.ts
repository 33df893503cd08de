/*
 * Part (i) of the page-table code: a Guest page fault, and whether we can fix
 * it without the Guest ever knowing.
 */
import { PF_P, PF_U, PF_W } from '../hw/fault.ts';
import { _PAGE_TABLE, PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../hw/pte.ts';
import { lgread32, lgwrite32 } from './guest-memory.ts';
import { releasePte, trackedSpte } from './gpte-to-spte.ts';
import { killGuest, type Guest } from './lguest.ts';
import { demandPagePae } from './pae.ts';
import { gpgdAddr, gpteAddr, spgdAddr, spteAddr } from './shadow-walk.ts';

// #region H330-demand-page
/** A fault we fixed (the Guest never sees it), or the error code the Guest's handler must get. */
export type DemandResult = { fixed: true } | { fixed: false; errorCode: number };

/**
 * The Guest faulted at `vaddr` with `errcode`. Look the address up in the
 * Guest's own tables: if they allow the access, copy the entry into the
 * shadow and say so; if not, the fault is the Guest's.
 */
export function demandPage(g: Guest, vaddr: number, errcode: number): DemandResult {
  if (g.pae) return demandPagePae(g, vaddr, errcode);
  const write = (errcode & PF_W) !== 0;
  const user = (errcode & PF_U) !== 0;
  // What the Guest's handler sees is the fault its own tables would have raised natively.
  const reflect = (present: boolean): DemandResult => ({ fixed: false, errorCode: (errcode & (PF_W | PF_U)) | (present ? PF_P : 0) });

  const gpgdAt = gpgdAddr(g, vaddr);
  let gpgd = lgread32(g, gpgdAt);
  g.trace?.(330, `demandPage: the Guest's PDE for 0x${(vaddr >>> 0).toString(16)} is 0x${(gpgd >>> 0).toString(16)}`);
  if (!(gpgd & PTE_P)) return reflect(false);
  checkGpgd(g, gpgd);
  // A processor marks a directory entry Accessed as soon as a walk uses it; so do we.
  if (!(gpgd & PTE_A)) lgwrite32(g, gpgdAt, (gpgd |= PTE_A));

  const gpteAt = gpteAddr(gpgd, vaddr);
  let gpte = lgread32(g, gpteAt);
  g.trace?.(330, `demandPage: the Guest's PTE is 0x${(gpte >>> 0).toString(16)}`);
  if (!(gpte & PTE_P)) return reflect(false);
  // Rights are the AND of both levels, as the hardware has them. lguest checked
  // only the PTE, and a stricter directory entry made the Guest refault forever.
  const rights = gpgd & gpte;
  // BEGIN SOLUTION ex08-demand-page
  if (write && !(rights & PTE_RW)) return reflect(true);
  if (user && !(rights & PTE_US)) return reflect(true);
  // END SOLUTION ex08-demand-page
  // BEGIN STUB ex08-demand-page
  // todo('ex08-demand-page', 'reflect a write the entries do not allow, and a user access to a supervisor page');
  // END STUB ex08-demand-page
  checkGpte(g, gpte);

  // The shadow directory entry copies the Guest's flags; its page table is ours.
  const spgdAt = spgdAddr(g, g.cpuPgd, vaddr);
  let spgd = g.memory.read32(spgdAt);
  if (!(spgd & PTE_P)) {
    spgd = (g.hostFrames.alloc() | (gpgd & 0xfff)) >>> 0;
    g.memory.write32(spgdAt, spgd);
    g.stats.shadowPagesAllocated++;
  }

  // Do what the processor would have done to the Guest's entry.
  gpte |= PTE_A;
  if (write) gpte |= PTE_D;

  const spteAt = spteAddr(spgd, vaddr);
  releasePte(g, g.memory.read32(spteAt));
  // The trick: a clean page is shadowed read-only, even when the Guest's entry
  // is writable, so the first write faults again and we can set Dirty.
  g.memory.write32(spteAt, trackedSpte(g, gpte));
  // The processor may hold the old, read-only translation.
  g.mmu.invlpg(vaddr);

  lgwrite32(g, gpteAt, gpte);
  g.trace?.(330, `demandPage: Guest PTE now 0x${(gpte >>> 0).toString(16)}, shadow PTE 0x${(g.memory.read32(spteAt) >>> 0).toString(16)}`);
  g.stats.hiddenFaults++;
  return { fixed: true };
}
// #endregion H330-demand-page

// #region H330-checks
/**
 * A Guest page-table entry we will copy must name a frame inside the Guest,
 * and must not be a large page (we shadow 4 KiB pages only). lguest's code,
 * which its journey does not show; we weave it here because demandPage calls it.
 */
export function checkGpte(g: Guest, gpte: number): void {
  if (gpte & PTE_PS || gpte >>> 12 >= g.pfnLimit) killGuest(g, `bad page table entry 0x${(gpte >>> 0).toString(16)}`);
}

/** A Guest directory entry may carry only the flags Linux gives one, and must name a Guest frame. */
export function checkGpgd(g: Guest, gpgd: number): void {
  if (gpgd & ~0xffff_f000 & ~_PAGE_TABLE || gpgd >>> 12 >= g.pfnLimit) {
    killGuest(g, `bad page directory entry 0x${(gpgd >>> 0).toString(16)}`);
  }
}
// #endregion H330-checks
