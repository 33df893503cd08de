/*
 * The Guest on a transparent Host (the Mastery chapter "Three ways"): the
 * same kernel, on its native platform, with no hypercalls at all. What
 * changes is only what a real machine would change: the kernel's stores go
 * through the MMU (to its page tables too, through its direct map, where
 * they can trap), and MOV to CR3 and INVLPG are instructions the Host
 * intercepts. This file is also the Launcher: it makes the Host's Guest.
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE } from '../hw/mmu.ts';
import { READ, WRITE, type AccessKind } from '../hw/rights.ts';
import { guestInvlpg, guestWriteCr0, guestWriteCr3, guestWriteCr4 } from '../host/transparent/exits.ts';
import { FAULTED as HOST_FAULTED, vmAccess } from '../host/transparent/run.ts';
import { createVm, type Vm } from '../host/transparent/vm.ts';
import { MAX_LOWMEM, PAGE_OFFSET } from './layout.ts';
import { FAULTED, type GuestFault, type Platform } from './platform.ts';

// #region G-transparent
export interface TransparentPlatformOptions {
  /** A PAE Guest. */
  pae?: boolean;
  /** Host frames for shadow pages. */
  hostPages?: number;
}

/** The Guest's pv-ops as bare hardware has them, on a Host that traps what it must see. */
export class TransparentPlatform implements Platform {
  readonly name = 'transparent';
  /** With the processor's virtualization extensions a Guest kernel runs at ring 0, as on bare hardware. */
  readonly kernelCpl = 0;
  readonly pae: boolean;
  /** The Host's picture of this Guest. */
  readonly vm: Vm;
  readonly lastFault: GuestFault = { address: 0, errorCode: 0 };

  constructor(readonly memorySize: number, options: TransparentPlatformOptions = {}) {
    this.pae = options.pae ?? false;
    this.vm = createVm({ pages: memorySize / 4096, hostPages: options.hostPages, pae: this.pae });
  }

  /**
   * Where the kernel reaches Guest-physical `gpa`: with paging off, the
   * address itself; with paging on, its direct map, as Linux's __va() has it.
   * Page tables live in lowmem, which the direct map covers.
   */
  private kernelVaddr(gpa: number): number {
    if (!this.vm.paging) return gpa;
    if (!(gpa >= 0 && gpa + 4 <= Math.min(MAX_LOWMEM, this.memorySize))) throw new RangeError(`guest kernel: 0x${gpa.toString(16)} is not in the direct map`);
    return PAGE_OFFSET + gpa;
  }

  /** One kernel access through the MMU. The kernel's own mappings never fault for it: a fault is a kernel bug. */
  private kernel(kind: AccessKind, vaddr: number, value = 0): number {
    const v = vmAccess(this.vm, kind, vaddr, this.kernelCpl, value);
    if (v === HOST_FAULTED) throw new Error(`guest kernel oops: fault at 0x${(vaddr >>> 0).toString(16)} (error code ${this.vm.lastFault.errorCode})`);
    return v;
  }

  read32(gpa: number): number { return this.kernel(READ, this.kernelVaddr(gpa)); }
  write32(gpa: number, value: number): void { this.kernel(WRITE, this.kernelVaddr(gpa), value); }

  /**
   * memset of a page, a word at a time through the MMU, for as long as the
   * stores trap (a page the Host still shadows as a table); once one goes
   * through untrapped, the rest of the page takes the same translation and
   * would too, so they are done at once.
   */
  zeroFrame(gpa: number, vaddr = this.kernelVaddr(gpa)): void {
    this.byWords(gpa, (off) => this.kernel(WRITE, vaddr + off, 0), (off) => this.vm.memory.bytes.fill(0, this.vm.memBase + gpa + off, this.vm.memBase + gpa + 4096));
  }

  /** memcpy of a page, the same way: loads through the source's mapping, stores through the destination's. */
  copyFrame(dst: number, src: number, dstVaddr = this.kernelVaddr(dst), srcVaddr = this.kernelVaddr(src)): void {
    const base = this.vm.memBase;
    this.byWords(dst, (off) => this.kernel(WRITE, dstVaddr + off, this.kernel(READ, srcVaddr + off)), (off) => this.vm.memory.bytes.copyWithin(base + dst + off, base + src + off, base + src + 4096));
  }

  private byWords(gpa: number, word: (off: number) => void, rest: (off: number) => void): void {
    if (!this.vm.paging) return rest(0);
    for (let off = 0; off < 4096; off += 4) {
      const exits = this.vm.stats.exits;
      word(off);
      if (this.vm.stats.exits === exits) return rest(off + 4);
    }
  }

  inspect32(gpa: number): number {
    if (!(gpa >= 0 && gpa + 4 <= this.memorySize)) throw new RangeError(`guest-physical 0x${gpa.toString(16)} is outside the Guest`);
    return this.vm.memory.read32(this.vm.memBase + gpa);
  }

  /** Paging on, as bare hardware turns it on: CR4, CR3, then CR0, each a trapped instruction. */
  boot(pgdir: number): void {
    if (this.pae) guestWriteCr4(this.vm, CR4_PAE);
    guestWriteCr3(this.vm, pgdir);
    guestWriteCr0(this.vm, CR0_PE | CR0_PG | CR0_WP);
  }

  access(kind: AccessKind, vaddr: number, cpl: number, value: number): number {
    const v = vmAccess(this.vm, kind, vaddr, cpl, value);
    if (v !== HOST_FAULTED) return v;
    this.lastFault.address = this.vm.lastFault.address;
    this.lastFault.errorCode = this.vm.lastFault.errorCode;
    return FAULTED;
  }

  writeCr3(pgdir: number): void { guestWriteCr3(this.vm, pgdir); }
  // set_pte_at, set_pte, set_pmd, set_pud: on bare hardware, a store. The Host sees it if it traps.
  setPteAt(_pgdir: number, _vaddr: number, ptep: number, pte: number): void { this.write32(ptep, pte); }
  setPte(ptep: number, pte: number): void { this.write32(ptep, pte); }
  setPmd(pmdp: number, pmd: number): void { this.write32(pmdp, pmd); }
  setPud(pudp: number, pud: number): void { this.write32(pudp, pud); }
  flushTlbSingle(vaddr: number): void { guestInvlpg(this.vm, vaddr); }
  // A CR3 reload, as on bare hardware: without Global pages it forgets kernel pages too.
  flushTlbUser(): void { guestWriteCr3(this.vm, this.vm.guestCpu.cr3); }
  flushTlbKernel(): void { guestWriteCr3(this.vm, this.vm.guestCpu.cr3); }
}
// #endregion G-transparent
