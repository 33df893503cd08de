/*
 * The Switcher: the few pages that carry the processor from the Host to the
 * Guest and back, mapped at the same address in both, and never writable by
 * the Guest (except its own registers page).
 */
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../hw/pte.ts';
import type { HostFrames, Guest, SwitcherPages } from './lguest.ts';
import { mapSwitcherInGuestPae } from './pae.ts';
import { SWITCHER_PGD_INDEX } from './shadow-walk.ts';

// #region H010-map-switcher
/** Where each Switcher page sits in the top 4 MiB: the code, then this CPU's two pages. */
export const SWITCHER_CODE_INDEX = 0;
export const SWITCHER_REGS_INDEX = 1;
export const SWITCHER_RO_INDEX = 2;
/** The first words of our "Switcher code", so a test can see the page is the Switcher's. */
export const SWITCHER_MAGIC = 0x5717_c4e5;

/** Allocate the Switcher's pages in host memory and put its code in place. */
export function mapSwitcher(frames: HostFrames, write32: (paddr: number, value: number) => void): Omit<SwitcherPages, 'ptePage'> {
  const code = frames.alloc();
  write32(code, SWITCHER_MAGIC);
  return { code, roState: frames.alloc(), regs: frames.alloc() };
}
// #endregion H010-map-switcher

// #region H480-map-switcher-in-guest
/** What the Switcher's directory entry carries: a kernel page table, no U/S, so user code cannot reach it. */
export const SWITCHER_PGD_FLAGS = PTE_P | PTE_RW | PTE_A | PTE_D;

/**
 * Just before the Guest runs: hook this CPU's Switcher page table into the
 * top of the current shadow, and point its registers entry at this vCPU's
 * registers page.
 */
export function mapSwitcherInGuest(g: Guest): void {
  if (g.pae) return mapSwitcherInGuestPae(g);
  const s = g.switcher;
  g.memory.write32(g.pgdirs[g.cpuPgd]!.pgdir + SWITCHER_PGD_INDEX * 4, (s.ptePage | SWITCHER_PGD_FLAGS) >>> 0);
  g.memory.write32(s.ptePage + SWITCHER_REGS_INDEX * 4, (s.regs | PTE_P | PTE_A | PTE_RW) >>> 0);
}
// #endregion H480-map-switcher-in-guest

// #region H510-init-pagetables
/** At Host start: one Switcher page table per CPU (we model one CPU). */
export function initPagetables(frames: HostFrames, write32: (paddr: number, value: number) => void, pages: Omit<SwitcherPages, 'ptePage'>, entryBytes: 4 | 8 = 4): SwitcherPages {
  const ptePage = frames.alloc();
  populateSwitcherPtePage(ptePage, write32, pages, entryBytes);
  return { ...pages, ptePage };
}
// #endregion H510-init-pagetables

// #region H520-populate-switcher
/**
 * Fill a Switcher page table: the code read-only, this CPU's registers page
 * writable, its read-only state page read-only. Nothing is user-accessible,
 * and read-only means read-only to the Guest kernel only because the Host
 * runs with CR0.WP set.
 */
export function populateSwitcherPtePage(ptePage: number, write32: (paddr: number, value: number) => void, pages: Omit<SwitcherPages, 'ptePage'>, entryBytes: 4 | 8 = 4): void {
  write32(ptePage + SWITCHER_CODE_INDEX * entryBytes, (pages.code | PTE_P | PTE_A) >>> 0);
  write32(ptePage + SWITCHER_REGS_INDEX * entryBytes, (pages.regs | PTE_P | PTE_A | PTE_RW) >>> 0);
  write32(ptePage + SWITCHER_RO_INDEX * entryBytes, (pages.roState | PTE_P | PTE_A) >>> 0);
}
// #endregion H520-populate-switcher
