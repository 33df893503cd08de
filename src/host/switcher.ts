/*
 * The Switcher: the few pages that carry the processor from the Host to the
 * Guest and back, mapped at the same address in both, and never writable by
 * the Guest (except its own registers page). Every Switcher constant lives
 * here, for both paging widths.
 */
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../hw/pte.ts';
import { newShadowPage, type HostFrames, type Guest, type SwitcherPages } from './lguest.ts';

// #region H010-map-switcher
/**
 * Where the Switcher sits: the top 4 MiB of every address space, one whole
 * top-level entry of a two-level directory (lguest 2.6.24's 0xFFC00000).
 */
export const SWITCHER_ADDR = 0xffc0_0000;
export const SWITCHER_PGD_INDEX = SWITCHER_ADDR >>> 22;
/**
 * Under PAE a top-level entry covers a whole gigabyte, far too much to give
 * away, so the Switcher takes the last middle-level entry instead: the top
 * 2 MiB, entry 511 of the page directory under PDPT entry 3.
 */
export const PAE_SWITCHER_ADDR = 0xffe0_0000;
export const PAE_SWITCHER_PGD_INDEX = 3;
export const PAE_SWITCHER_PMD_INDEX = 511;

/** The lowest Switcher address, for this Guest's paging width. */
export const switcherAddr = (g: Guest): number => (g.pae ? PAE_SWITCHER_ADDR : SWITCHER_ADDR);

/** Where each Switcher page sits in its page table: the code, then this CPU's two pages. */
export const SWITCHER_CODE_INDEX = 0;
export const SWITCHER_REGS_INDEX = 1;
export const SWITCHER_RO_INDEX = 2;
/** The first words of our "Switcher code", so a test can see the page is the Switcher's. */
export const SWITCHER_MAGIC = 0x5717_c4e5;

/** Allocate the Switcher's pages in host memory and put its code in place. */
export function mapSwitcher(frames: HostFrames, write32: (paddr: number, value: number) => void): Omit<SwitcherPages, 'ptePage'> {
  const page = () => {
    const p = frames.alloc();
    if (p < 0) throw new Error('the Host has no pages left for the Switcher');
    return p;
  };
  const code = page();
  write32(code, SWITCHER_MAGIC);
  return { code, roState: page(), regs: page() };
}
// #endregion H010-map-switcher

// #region H480-map-switcher-in-guest
/** What the Switcher's directory entry carries: a kernel page table, no U/S, so user code cannot reach it. */
export const SWITCHER_PGD_FLAGS = PTE_P | PTE_RW | PTE_A | PTE_D;

/**
 * Just before the Guest runs: hook this CPU's Switcher page table into the
 * top of the current shadow, and point its registers entry at this vCPU's
 * registers page. Under PAE the hook is one level down, in the page
 * directory that PDPT entry 3 names, which a brand-new shadow may not have
 * yet.
 */
export function mapSwitcherInGuest(g: Guest): void {
  const s = g.switcher;
  const top = g.pgdirs[g.cpuPgd]!.pgdir;
  let hook = top + SWITCHER_PGD_INDEX * 4;
  if (g.pae) {
    const pdpte = top + PAE_SWITCHER_PGD_INDEX * 8;
    if (!(g.memory.read32(pdpte) & PTE_P)) {
      // A PDPT entry may carry nothing but Present.
      g.memory.write32(pdpte, (newShadowPage(g) | PTE_P) >>> 0);
      g.tlbStale = true;
    }
    hook = ((g.memory.read32(pdpte) & 0xffff_f000) >>> 0) + PAE_SWITCHER_PMD_INDEX * 8;
  }
  g.memory.write32(hook, (s.ptePage | SWITCHER_PGD_FLAGS) >>> 0);
  g.memory.write32(s.ptePage + SWITCHER_REGS_INDEX * (g.pae ? 8 : 4), (s.regs | PTE_P | PTE_A | PTE_RW) >>> 0);
}
// #endregion H480-map-switcher-in-guest

// #region H510-init-pagetables
/** At Host start: one Switcher page table per CPU (we model one CPU). */
export function initPagetables(frames: HostFrames, write32: (paddr: number, value: number) => void, pages: Omit<SwitcherPages, 'ptePage'>, entryBytes: 4 | 8 = 4): SwitcherPages {
  const ptePage = frames.alloc();
  if (ptePage < 0) throw new Error('the Host has no pages left for the Switcher');
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
