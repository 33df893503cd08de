/*
 * The Guest under our Host: the same kernel, with its pv-ops turned into
 * hypercalls the way lguest's Guest (arch/x86/lguest/boot.c, 2.6.24) turned
 * them. This file is also the Launcher: it makes the Host's Guest and knows
 * where the boot page directory is.
 */
import type { AccessKind } from '../hw/rights.ts';
import {
  hypercall, LHCALL_FLUSH_TLB, LHCALL_LGUEST_INIT, LHCALL_NEW_PGTABLE, LHCALL_SET_PMD, LHCALL_SET_PMD_PAE, LHCALL_SET_PTE, LHCALL_SET_STACK,
} from '../host/hypercalls.ts';
import { initGuest } from '../host/init.ts';
import type { Guest } from '../host/lguest.ts';
import { FAULTED as HOST_FAULTED, guestAccess } from '../host/run.ts';
import { BOOT_PGDIR } from './layout.ts';
import { FAULTED, type GuestFault, type Platform } from './platform.ts';

// #region G-paravirt
export interface LguestPlatformOptions {
  /** A PAE Guest. */
  pae?: boolean;
  /** Host frames for shadow pages and the Switcher. */
  hostPages?: number;
  /** Seed for the Host's pgdir eviction. */
  seed?: number;
}

/** The Guest's pv-ops as lguest's Guest makes them: every page-table change reaches the Host as a hypercall. */
export class LguestPlatform implements Platform {
  readonly name = 'lguest';
  readonly kernelCpl = 1;
  readonly pae: boolean;
  /** The Host's picture of this Guest. */
  readonly g: Guest;
  readonly lastFault: GuestFault = { address: 0, errorCode: 0 };
  /** lguest's `current_cr3`: until the first CR3 write, set_pte needs no flush (nothing is shadowed yet). */
  private currentCr3 = 0;

  constructor(readonly memorySize: number, options: LguestPlatformOptions = {}) {
    this.pae = options.pae ?? false;
    this.g = initGuest({ pages: memorySize / 4096, pgdir: BOOT_PGDIR, hostPages: options.hostPages, seed: options.seed, pae: this.pae });
  }

  // The Guest's RAM is a slice of the Host's; the kernel can name nothing outside it.
  private at(gpa: number, len: number): number {
    if (!(gpa >= 0 && gpa + len <= this.memorySize)) throw new RangeError(`guest-physical 0x${gpa.toString(16)} is outside the Guest`);
    return this.g.memBase + gpa;
  }

  read32(gpa: number): number { return this.g.memory.read32(this.at(gpa, 4)); }
  write32(gpa: number, value: number): void { this.g.memory.write32(this.at(gpa, 4), value); }
  zeroFrame(gpa: number): void { this.g.memory.zeroFrame(this.at(gpa, 4096) / 4096); }
  copyFrame(dst: number, src: number): void { this.g.memory.bytes.copyWithin(this.at(dst, 4096), this.at(src, 4096), this.at(src, 4096) + 4096); }
  inspect32(gpa: number): number { return this.g.memory.read32(this.at(gpa, 4)); }

  /** The kernel's first hypercalls: where lguest_data is, then where the stack is. */
  boot(pgdir: number, stackTop: number, lguestData: number): void {
    if (pgdir !== BOOT_PGDIR) throw new Error(`the Launcher built no page directory at 0x${pgdir.toString(16)}`);
    hypercall(this.g, LHCALL_LGUEST_INIT, lguestData);
    hypercall(this.g, LHCALL_SET_STACK, stackTop, 1);
  }

  access(kind: AccessKind, vaddr: number, cpl: number, value: number): number {
    const v = guestAccess(this.g, kind, vaddr, cpl, value);
    if (v !== HOST_FAULTED) return v;
    this.lastFault.address = this.g.lastFault!.address;
    this.lastFault.errorCode = this.g.lastFault!.errorCode;
    return FAULTED;
  }

  writeCr3(pgdir: number): void {
    this.currentCr3 = pgdir;
    hypercall(this.g, LHCALL_NEW_PGTABLE, pgdir);
  }

  setPteAt(pgdir: number, vaddr: number, ptep: number, pte: number): void {
    this.write32(ptep, pte);
    // Under PAE the entry is two words; our Guest's high words are always zero.
    hypercall(this.g, LHCALL_SET_PTE, pgdir, vaddr, pte, 0);
  }

  /**
   * lguest_set_pte: no address space, no address. The Host cannot know which
   * shadow entry this was, so it must throw them all away. This is M:009.
   */
  setPte(ptep: number, pte: number): void {
    this.write32(ptep, pte);
    if (this.currentCr3) hypercall(this.g, LHCALL_FLUSH_TLB, 1);
  }

  /**
   * 2.6.24's SET_PMD names the page holding the top-level entry and the
   * entry's index in it. Under PAE the PMD is the middle level, and its call
   * makes the Host throw everything away.
   */
  setPmd(pmdp: number, pmd: number): void {
    this.write32(pmdp, pmd);
    if (this.pae) hypercall(this.g, LHCALL_SET_PMD_PAE, pmdp & ~0xfff, (pmdp & 0xfff) / 8);
    else hypercall(this.g, LHCALL_SET_PMD, pmdp & ~0xfff, (pmdp & 0xfff) / 4);
  }

  /** lguest_set_pud: SET_PGD with the 32-byte-aligned PDPT and the entry's index. */
  setPud(pudp: number, pud: number): void {
    this.write32(pudp, pud);
    hypercall(this.g, LHCALL_SET_PMD, pudp & ~0x1f, (pudp & 0x1f) / 8);
  }

  /** "Simply set it to zero: if it was not, it will fault back in." */
  flushTlbSingle(vaddr: number): void { hypercall(this.g, LHCALL_SET_PTE, this.currentCr3, vaddr, 0); }
  flushTlbUser(): void { hypercall(this.g, LHCALL_FLUSH_TLB, 0); }
  flushTlbKernel(): void { hypercall(this.g, LHCALL_FLUSH_TLB, 1); }
}
// #endregion G-paravirt
