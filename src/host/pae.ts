/*
 * Shadow paging for a PAE Guest, as lguest did from about 2.6.32: three
 * levels of eight-byte entries. A page directory pointer table (PDPT) of
 * four entries, each naming a page directory (the PMD) of 512, each naming a
 * page table of 512. Our Guest memory lies below 4 GiB, so every entry's high
 * word is zero, and the Host insists on it.
 *
 * The parts are the ones we know, in the same order; only the walk is
 * longer. The Switcher moves to the last PMD entry of the last PDPT entry,
 * the top 2 MiB.
 */
import { PF_P, PF_U, PF_W } from '../hw/fault.ts';
import { _PAGE_TABLE, PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../hw/pte.ts';
import { lgread32, lgwrite32 } from './guest-memory.ts';
import { releasePte, trackedSpte } from './gpte-to-spte.ts';
import type { DemandResult } from './demand-page.ts';
import { killGuest, PGDIR_SLOTS, type Guest } from './lguest.ts';
import { findPgdir } from './new-pagetable.ts';
import { SWITCHER_PGD_FLAGS, SWITCHER_REGS_INDEX } from './switcher.ts';

// #region PAE-walk
/** Under PAE the Switcher owns the top 2 MiB: the last entry of the last page directory. */
export const PAE_SWITCHER_ADDR = 0xffe0_0000;
const PMD_SWITCHER = 511;

/** The Guest's PDPT entry for `vaddr` (a Guest-physical address). */
const gpgdAddrPae = (g: Guest, vaddr: number) => g.pgdirs[g.cpuPgd]!.gpgdir + (vaddr >>> 30) * 8;
/** An entry in the 512-entry table named by `entry`, for `vaddr` at the given level. */
const entryAddr = (entry: number, vaddr: number, shift: number) => ((entry & 0xffff_f000) >>> 0) + ((vaddr >>> shift) & 0x1ff) * 8;

/** Read a Guest entry: the low word, once we know the high word is zero. */
function lgreadEntry(g: Guest, addr: number, what: string): number {
  if (lgread32(g, addr + 4) !== 0) killGuest(g, `bad ${what} 0x${lgread32(g, addr + 4).toString(16)}${lgread32(g, addr).toString(16).padStart(8, '0')}: frame above 4 GiB or XD`);
  return lgread32(g, addr);
}

/**
 * The address of the shadow PTE for `vaddr` in slot `slot`, walking the
 * shadow PDPT and PMD, building missing levels when `gpmdFlags` is given
 * (they copy the Guest PMD's flags, as a 2-level shadow PGD does); 0 when a
 * level is missing and nothing may be built.
 */
export function spteAddrPae(g: Guest, slot: number, vaddr: number, gpmdFlags?: number): number {
  if (vaddr >>> 0 >= PAE_SWITCHER_ADDR) killGuest(g, 'attempt to access switcher pages');
  const pdpte = g.pgdirs[slot]!.pgdir + (vaddr >>> 30) * 8;
  let spgd = g.memory.read32(pdpte);
  if (!(spgd & PTE_P)) {
    if (gpmdFlags === undefined) return 0;
    spgd = (newShadowPage(g) | PTE_P) >>> 0; // a PDPTE may carry nothing but P
    g.memory.write32(pdpte, spgd);
    // The processor reads PDPTEs only when CR3 is loaded: it must be loaded again.
    // BEGIN SOLUTION ex12-pae-reload
    g.tlbStale = true;
    // END SOLUTION ex12-pae-reload
    // BEGIN STUB ex12-pae-reload
    // todo('ex12-pae-reload', 'the processor reads PDPTEs only when CR3 is loaded: make the run loop load it again');
    // END STUB ex12-pae-reload
  }
  const spmdAt = entryAddr(spgd, vaddr, 21);
  let spmd = g.memory.read32(spmdAt);
  if (!(spmd & PTE_P)) {
    if (gpmdFlags === undefined) return 0;
    spmd = (newShadowPage(g) | gpmdFlags) >>> 0;
    g.memory.write32(spmdAt, spmd);
  }
  return entryAddr(spmd, vaddr, 12);
}

function newShadowPage(g: Guest): number {
  g.stats.shadowPagesAllocated++;
  return g.hostFrames.alloc();
}
// #endregion PAE-walk

// #region PAE-demand-page
/**
 * demandPage for a PAE Guest: the same decisions as the two-level one, one
 * level deeper. PDPT entries carry no rights, so rights are the AND of the
 * PMD and PTE entries.
 */
export function demandPagePae(g: Guest, vaddr: number, errcode: number): DemandResult {
  const write = (errcode & PF_W) !== 0;
  const user = (errcode & PF_U) !== 0;
  const reflect = (present: boolean): DemandResult => ({ fixed: false, errorCode: (errcode & (PF_W | PF_U)) | (present ? PF_P : 0) });

  const gpgd = lgreadEntry(g, gpgdAddrPae(g, vaddr), 'PDPT entry');
  if (!(gpgd & PTE_P)) return reflect(false);
  // lguest's CHECK_GPGD_MASK: a PDPT entry may have P and nothing else.
  if (gpgd & 0xfff & ~PTE_P || gpgd >>> 12 >= g.pfnLimit) killGuest(g, `bad PDPT entry 0x${(gpgd >>> 0).toString(16)}`);

  const gpmdAt = entryAddr(gpgd, vaddr, 21);
  let gpmd = lgreadEntry(g, gpmdAt, 'page directory entry');
  if (!(gpmd & PTE_P)) return reflect(false);
  if (gpmd & 0xfff & ~_PAGE_TABLE || gpmd >>> 12 >= g.pfnLimit) killGuest(g, `bad page directory entry 0x${(gpmd >>> 0).toString(16)}`);
  if (!(gpmd & PTE_A)) lgwrite32(g, gpmdAt, (gpmd |= PTE_A));

  const gpteAt = entryAddr(gpmd, vaddr, 12);
  let gpte = lgreadEntry(g, gpteAt, 'page table entry');
  if (!(gpte & PTE_P)) return reflect(false);
  const rights = gpmd & gpte;
  if (write && !(rights & PTE_RW)) return reflect(true);
  if (user && !(rights & PTE_US)) return reflect(true);
  if (gpte & PTE_PS || gpte >>> 12 >= g.pfnLimit) killGuest(g, `bad page table entry 0x${(gpte >>> 0).toString(16)}`);

  gpte |= PTE_A;
  if (write) gpte |= PTE_D;
  const spteAt = spteAddrPae(g, g.cpuPgd, vaddr, gpmd & 0xfff);
  releasePte(g, g.memory.read32(spteAt));
  g.memory.write32(spteAt, trackedSpte(g, gpte));
  g.mmu.invlpg(vaddr);
  lgwrite32(g, gpteAt, gpte);
  g.stats.hiddenFaults++;
  return { fixed: true };
}

/** pageWritable under PAE: present and writable in the current shadow, without building anything. */
export function pageWritablePae(g: Guest, vaddr: number): boolean {
  const at = spteAddrPae(g, g.cpuPgd, vaddr);
  return at !== 0 && (g.memory.read32(at) & (PTE_P | PTE_RW)) === (PTE_P | PTE_RW);
}
// #endregion PAE-demand-page

// #region PAE-set
/** SET_PTE's worker under PAE: replace one shadow entry, if its tables exist. The high word must be zero. */
export function doSetPtePae(g: Guest, slot: number, vaddr: number, gpte: number, gpteHi: number): void {
  if (gpteHi !== 0) killGuest(g, `bad page table entry 0x${gpteHi.toString(16)}${(gpte >>> 0).toString(16).padStart(8, '0')}: frame above 4 GiB or XD`);
  const spteAt = spteAddrPae(g, slot, vaddr);
  if (!spteAt) return;
  releasePte(g, g.memory.read32(spteAt));
  let spte = 0;
  if (gpte & PTE_P && gpte & (PTE_A | PTE_D)) {
    if (gpte & PTE_PS || gpte >>> 12 >= g.pfnLimit) killGuest(g, `bad page table entry 0x${(gpte >>> 0).toString(16)}`);
    spte = trackedSpte(g, gpte);
  }
  g.memory.write32(spteAt, spte);
  g.tlbStale = true;
}

/**
 * LHCALL_SET_PGD under PAE: PDPT entry `idx` of the PDPT at `gpdpt` changed.
 * The last entry holds the kernel and the Switcher, and is left alone, as
 * lguest left the Switcher's entry alone.
 */
export function guestSetPgdPae(g: Guest, gpdpt: number, idx: number): void {
  if (!Number.isInteger(idx) || idx < 0 || idx >= 4) killGuest(g, `attempt to set pgd ${idx}/4`);
  if (idx === 3) return;
  const slot = findPgdir(g, gpdpt);
  if (slot < PGDIR_SLOTS) releasePgdPae(g, g.pgdirs[slot]!.pgdir + idx * 8);
}
// #endregion PAE-set

// #region PAE-release
/** Release a shadow PDPT entry: every page table under its PMD page, then the PMD page. */
export function releasePgdPae(g: Guest, spgdAt: number, keepSwitcher = false): void {
  const spgd = g.memory.read32(spgdAt);
  if (!(spgd & PTE_P)) return;
  const pmd = (spgd & 0xffff_f000) >>> 0;
  for (let i = 0; i < 512; i++) {
    if (keepSwitcher && i === PMD_SWITCHER) continue;
    releasePmdPae(g, pmd + i * 8);
  }
  if (keepSwitcher) return; // the kernel's PMD page stays, for the Switcher
  g.hostFrames.free(pmd);
  g.stats.shadowPagesFreed++;
  g.memory.write32(spgdAt, 0);
  g.tlbStale = true;
}

/** Release a shadow PMD entry: every PTE in its page table, then the table. */
function releasePmdPae(g: Guest, spmdAt: number): void {
  const spmd = g.memory.read32(spmdAt);
  if (!(spmd & PTE_P)) return;
  const table = (spmd & 0xffff_f000) >>> 0;
  for (let i = 0; i < 512; i++) releasePte(g, g.memory.read32(table + i * 8));
  g.hostFrames.free(table);
  g.stats.shadowPagesFreed++;
  g.memory.write32(spmdAt, 0);
  g.tlbStale = true;
}

/** The user half of slot `slot`: every PDPT entry below the kernel's. */
export function flushUserMappingsPae(g: Guest, slot: number): void {
  for (let i = 0; i < g.kernelAddress >>> 30; i++) releasePgdPae(g, g.pgdirs[slot]!.pgdir + i * 8);
}

/** Everything in slot `slot` but the Switcher's entry. */
export function releaseSlotPae(g: Guest, slot: number): void {
  const base = g.pgdirs[slot]!.pgdir;
  for (let i = 0; i < 3; i++) releasePgdPae(g, base + i * 8);
  releasePgdPae(g, base + 3 * 8, true);
}
// #endregion PAE-release

// #region PAE-switcher
/**
 * The Switcher under PAE: this CPU's eight-byte Switcher page table, hooked
 * into the last entry of the current shadow's last PMD (made if need be).
 */
export function mapSwitcherInGuestPae(g: Guest): void {
  const s = g.switcher;
  const pdpte = g.pgdirs[g.cpuPgd]!.pgdir + 3 * 8;
  if (!(g.memory.read32(pdpte) & PTE_P)) {
    g.memory.write32(pdpte, (newShadowPage(g) | PTE_P) >>> 0);
    g.tlbStale = true;
  }
  const pmd = (g.memory.read32(pdpte) & 0xffff_f000) >>> 0;
  g.memory.write32(pmd + PMD_SWITCHER * 8, (s.ptePage | SWITCHER_PGD_FLAGS) >>> 0);
  g.memory.write32(s.ptePage + SWITCHER_REGS_INDEX * 8, (s.regs | PTE_P | PTE_A | PTE_RW) >>> 0);
}
// #endregion PAE-switcher
