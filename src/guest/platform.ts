/*
 * What the Guest kernel needs from the machine under it, and nothing more:
 * Linux's paravirt_ops for the MMU, plus a way to run one access. The same
 * kernel runs on bare hardware (native.ts) and under our Host (paravirt.ts),
 * which is what lets a test compare the two worlds access by access.
 */
import type { AccessKind } from '../hw/rights.ts';

// #region G-platform
/** What `access` returns when the access page-faulted: the kernel's handler must run. */
export const FAULTED = -1;

/** A page fault as the Guest kernel's handler receives it: the address (CR2) and the error code. */
export interface GuestFault {
  address: number;
  errorCode: number;
}

/**
 * The machine as the Guest kernel sees it. Every change to a page table is
 * reported through one of the pv-ops below, exactly where Linux calls its
 * paravirt hook; on bare hardware most of them are plain stores.
 */
export interface Platform {
  /** Which world this is, for reports. */
  readonly name: 'native' | 'lguest' | 'transparent' | 'nested';
  /** Guest "physical" memory: the kernel's own view of its RAM, in bytes. */
  readonly memorySize: number;
  /** The privilege level the Guest kernel runs at: 0 natively (and under a transparent or nested Host), 1 under lguest. */
  readonly kernelCpl: number;
  /** PAE paging: three levels of eight-byte entries. */
  readonly pae: boolean;

  /** Load or store a word of Guest-physical memory (the kernel writing its own page tables). */
  read32(gpa: number): number;
  write32(gpa: number, value: number): void;
  /**
   * Fill or copy a whole frame of Guest-physical memory (the body of
   * memset/memcpy of a page). The virtual addresses say where the kernel has
   * the frames mapped (a kmap; the direct map when absent), for a platform
   * whose kernel stores go through the MMU.
   */
  zeroFrame(gpa: number, vaddr?: number): void;
  copyFrame(dst: number, src: number, dstVaddr?: number, srcVaddr?: number): void;
  /** A word of Guest-physical memory as an observer sees it (a test, a figure): no MMU, no Host, no side effect. */
  inspect32(gpa: number): number;

  /** Hand the kernel's boot page directory and stack to the machine, and start paging. */
  boot(pgdir: number, stackTop: number, lguestData: number): void;

  /**
   * One word access at a virtual address, at privilege level `cpl`. Returns
   * the word, or FAULTED with the fault in `lastFault`.
   */
  access(kind: AccessKind, vaddr: number, cpl: number, value: number): number;
  readonly lastFault: GuestFault;

  /** write_cr3: switch to page directory `pgdir`. */
  writeCr3(pgdir: number): void;
  /** set_pte_at(mm, addr, ptep, pte): store the entry, and say which address space and address it maps. */
  setPteAt(pgdir: number, vaddr: number, ptep: number, pte: number): void;
  /** set_pte(ptep, pte): store the entry and say nothing else (kmap_atomic's way). */
  setPte(ptep: number, pte: number): void;
  /** set_pmd(pmdp, pmd): store a page-directory entry (the top level of 2-level paging; PAE's middle). */
  setPmd(pmdp: number, pmd: number): void;
  /** set_pud(pudp, pud): store a PAE page-directory-pointer entry. */
  setPud(pudp: number, pud: number): void;
  /** flush_tlb_single(addr): forget one page's translation in the current address space. */
  flushTlbSingle(vaddr: number): void;
  /** flush_tlb_user: forget every user translation (a CR3 reload). */
  flushTlbUser(): void;
  /** flush_tlb_kernel: forget everything, kernel pages too. */
  flushTlbKernel(): void;
}
// #endregion G-platform
