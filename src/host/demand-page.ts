/*
 * Part (i) of the page-table code: a Guest page fault, and whether we can fix
 * it without the Guest ever knowing. Both paging widths: a PAE Guest has one
 * more level to read on the way down, and nothing else changes.
 */
import { PF_P, PF_U, PF_W } from '../hw/fault.ts';
import { _PAGE_TABLE, PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../hw/pte.ts';
import { lgread32, lgwrite32 } from './guest-memory.ts';
import { releasePte, trackedSpte } from './gpte-to-spte.ts';
import { killGuest, type Guest } from './lguest.ts';
import { findSpte, gpgdAddr, gpmdAddr, gpteAddr } from './shadow-walk.ts';

// #region H330-demand-page
/** A fault we fixed (the Guest never sees it), or the error code the Guest's handler must get. */
export type DemandResult = { fixed: true } | { fixed: false; errorCode: number };

/**
 * The Guest faulted at `vaddr` with `errcode`. Look the address up in the
 * Guest's own tables: if they allow the access, copy the entry into the
 * shadow and say so; if not, the fault is the Guest's.
 */
export function demandPage(g: Guest, vaddr: number, errcode: number): DemandResult {
  // BEGIN SOLUTION ex08-demand-page
  const write = (errcode & PF_W) !== 0;
  const user = (errcode & PF_U) !== 0;
  // What the Guest's handler sees is the fault its own tables would have raised natively.
  const reflect = (present: boolean): DemandResult => ({ fixed: false, errorCode: (errcode & (PF_W | PF_U)) | (present ? PF_P : 0) });

  // The Guest's entry that names the page table: its page directory entry.
  // Under PAE, gdirAddr reads the PDPT entry above it on the way.
  const gdirAt = gdirAddr(g, vaddr);
  if (gdirAt < 0) return reflect(false);
  let gdir = readGuestEntry(g, gdirAt, 'page directory entry');
  g.trace?.(330, `demandPage: the Guest's PDE for 0x${(vaddr >>> 0).toString(16)} is 0x${(gdir >>> 0).toString(16)}`);
  if (!(gdir & PTE_P)) return reflect(false);
  if (g.pae) checkGpmd(g, gdir);
  else checkGpgd(g, gdir);
  // A processor marks a directory entry Accessed as soon as a walk uses it; so do we.
  if (!(gdir & PTE_A)) lgwrite32(g, gdirAt, (gdir |= PTE_A));

  const gpteAt = gpteAddr(g, gdir, vaddr);
  let gpte = readGuestEntry(g, gpteAt, 'page table entry');
  g.trace?.(330, `demandPage: the Guest's PTE is 0x${(gpte >>> 0).toString(16)}`);
  if (!(gpte & PTE_P)) return reflect(false);
  // Rights are the AND of both levels, as the hardware has them. lguest checked
  // only the PTE, and a stricter directory entry made the Guest refault forever.
  const rights = gdir & gpte;
  if (write && !(rights & PTE_RW)) return reflect(true);
  if (user && !(rights & PTE_US)) return reflect(true);
  checkGpte(g, gpte);

  // Our directory entry copies the Guest's flags (made, or brought up to date); its page table is ours.
  const spteAt = findSpte(g, g.cpuPgd, vaddr, gdir);

  // Do what the processor would have done to the Guest's entry.
  gpte |= PTE_A;
  if (write) gpte |= PTE_D;

  releasePte(g, g.memory.read32(spteAt));
  // The trick: a clean page is shadowed read-only, even when the Guest's entry
  // is writable, so the first write faults again and we can set Dirty.
  g.memory.write32(spteAt, trackedSpte(g, gpte));
  // Drop any translation of this page the processor holds (chapter 6 says
  // when it would; pinPage calls us without a fault).
  g.mmu.invlpg(vaddr);

  lgwrite32(g, gpteAt, gpte);
  g.trace?.(330, `demandPage: Guest PTE now 0x${(gpte >>> 0).toString(16)}, shadow PTE 0x${(g.memory.read32(spteAt) >>> 0).toString(16)}`);
  g.stats.hiddenFaults++;
  return { fixed: true };
  // END SOLUTION ex08-demand-page
  // BEGIN STUB ex08-demand-page
  // // What the error code says about the access.
  // const write = (errcode & PF_W) !== 0;
  // const user = (errcode & PF_U) !== 0;
  // return todo('ex08-demand-page', "look vaddr up in the Guest's tables (gdirAddr, readGuestEntry, gpteAddr): reflect the faults that are the Guest's, with the error code its own tables would raise; fix the rest in the shadow (findSpte, trackedSpte), as the processor would have set the Guest's bits");
  // END STUB ex08-demand-page
}
// #endregion H330-demand-page

// #region H330-checks
/**
 * Where the Guest's entry naming the page table for `vaddr` lives, in slot
 * `slot`'s page directory: the page directory entry itself (two levels), or
 * under PAE the page directory entry below the PDPT entry, which we read and
 * check on the way. -1 when the PDPT entry is not present.
 */
export function gdirAddr(g: Guest, vaddr: number, slot = g.cpuPgd): number {
  const gpgdAt = gpgdAddr(g, vaddr, slot);
  if (!g.pae) return gpgdAt;
  const gpgd = readGuestEntry(g, gpgdAt, 'PDPT entry');
  if (!(gpgd & PTE_P)) return -1;
  checkGpgd(g, gpgd);
  return gpmdAddr(gpgd, vaddr);
}

/**
 * Read a Guest entry. A PAE entry is eight bytes, and our Guests live below
 * 4 GiB without XD, so a present entry's high word must be zero: we read the
 * low word once we know it is. A non-present entry's other bits are the
 * Guest's own business (Linux keeps a swapped-out page's swap entry there)
 * and no processor reads them: the caller sees Present clear and reflects
 * the fault.
 */
export function readGuestEntry(g: Guest, addr: number, what: string): number {
  const lo = lgread32(g, addr);
  const hi = g.pae ? lgread32(g, addr + 4) : 0;
  if (hi !== 0 && lo & PTE_P) killGuest(g, `bad ${what} 0x${hex(hi)}${hex(lo).padStart(8, '0')}: frame above 4 GiB or XD`);
  return lo;
}

/**
 * A Guest page-table entry we will copy must name a frame inside the Guest,
 * and bit 7 must be clear. In a PTE bit 7 is PAT, a memory type we do not
 * model; lguest's code calls it _PAGE_PSE, as if it meant a large page, and
 * refuses it too. We shadow 4 KiB pages only. (lguest 2.6.24 also refused
 * PWT; later versions did not, and neither do we.)
 */
export function checkGpte(g: Guest, gpte: number, gpteHi = 0): void {
  if (gpteHi !== 0 || gpte & PTE_PS || gpte >>> 12 >= g.pfnLimit) {
    killGuest(g, `bad page table entry 0x${gpteHi ? hex(gpteHi) + hex(gpte).padStart(8, '0') : hex(gpte)}`);
  }
}

/**
 * A Guest top-level entry: a page directory entry may carry only the flags
 * Linux gives one (_PAGE_TABLE), and a PAE PDPT entry nothing but Present
 * (lguest's CHECK_GPGD_MASK); either must name a Guest frame.
 */
export function checkGpgd(g: Guest, gpgd: number): void {
  const allowed = g.pae ? PTE_P : _PAGE_TABLE;
  if (gpgd & 0xfff & ~allowed || gpgd >>> 12 >= g.pfnLimit) killGuest(g, `bad ${g.pae ? 'PDPT' : 'page directory'} entry 0x${hex(gpgd)}`);
}

/** A PAE Guest's page directory entry: the rule a two-level directory entry follows. */
export function checkGpmd(g: Guest, gpmd: number): void {
  if (gpmd & 0xfff & ~_PAGE_TABLE || gpmd >>> 12 >= g.pfnLimit) killGuest(g, `bad page directory entry 0x${hex(gpmd)}`);
}

const hex = (n: number) => (n >>> 0).toString(16);
// #endregion H330-checks
