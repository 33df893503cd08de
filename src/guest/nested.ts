/*
 * The Guest on a nested-paging Host (the Mastery chapter "Three ways"): the
 * same kernel on the same native platform as on the transparent Host,
 * making the same stores and the same CR3 loads. Only the machine under it
 * differs, and the Guest cannot tell. This file is also the Launcher: it
 * makes the Host's Guest.
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE } from '../hw/mmu.ts';
import { READ, WRITE, type AccessKind } from '../hw/rights.ts';
import { FAULTED as HOST_FAULTED, nestedAccess, nestedInvlpg, nestedPhysical, nestedWriteCr0, nestedWriteCr3, nestedWriteCr4 } from '../host/nested/run.ts';
import { createNestedVm, type NestedVm } from '../host/nested/vm.ts';
import { MAX_LOWMEM, PAGE_OFFSET } from './layout.ts';
import { FAULTED, type GuestFault, type Platform } from './platform.ts';

// #region G-nested
export interface NestedPlatformOptions {
  /** A PAE Guest. */
  pae?: boolean;
  /** Host frames for the Host's tables. */
  hostPages?: number;
  /** Entries of the processor's page-walk cache for nested walks (0: none). */
  walkCache?: number;
}

/** The Guest's pv-ops as bare hardware has them, on a processor that walks the Host's tables after the Guest's. */
export class NestedPlatform implements Platform {
  readonly name = 'nested';
  readonly kernelCpl = 0;
  readonly pae: boolean;
  /** The Host's picture of this Guest. */
  readonly vm: NestedVm;
  readonly lastFault: GuestFault = { address: 0, errorCode: 0 };

  constructor(readonly memorySize: number, options: NestedPlatformOptions = {}) {
    this.pae = options.pae ?? false;
    this.vm = createNestedVm({ pages: memorySize / 4096, hostPages: options.hostPages, pae: this.pae, walkCache: options.walkCache });
  }

  /** Where the kernel reaches Guest-physical `gpa`: the address itself with paging off; its direct map with paging on. */
  private kernelVaddr(gpa: number): number {
    if (this.vm.mmu.mode === 'off') return gpa;
    if (!(gpa >= 0 && gpa + 4 <= Math.min(MAX_LOWMEM, this.memorySize))) throw new RangeError(`guest kernel: 0x${gpa.toString(16)} is not in the direct map`);
    return PAGE_OFFSET + gpa;
  }

  /** Where a kernel access lands in the Host's memory. Its own mappings never fault for it: a fault is a kernel bug. */
  private kernelPage(kind: AccessKind, vaddr: number): number {
    const hpa = nestedPhysical(this.vm, kind, vaddr, this.kernelCpl);
    if (hpa === HOST_FAULTED) throw new Error(`guest kernel oops: fault at 0x${(vaddr >>> 0).toString(16)} (error code ${this.vm.lastFault.errorCode})`);
    return hpa - (hpa % 4096);
  }

  read32(gpa: number): number { return this.vm.memory.read32(this.kernelPage(READ, this.kernelVaddr(gpa)) + (gpa % 4096)); }
  write32(gpa: number, value: number): void { this.vm.memory.write32(this.kernelPage(WRITE, this.kernelVaddr(gpa)) + (gpa % 4096), value); }

  /**
   * memset of a page. Nothing traps a store here, page tables included, so
   * the processor's one translation of the first store serves the whole
   * page: the fill is one stroke on the Host page it found.
   */
  zeroFrame(gpa: number, vaddr = this.kernelVaddr(gpa)): void {
    const page = this.kernelPage(WRITE, vaddr);
    this.vm.memory.bytes.fill(0, page, page + 4096);
  }

  /** memcpy of a page, the same way: the source's page for reading, the destination's for writing. */
  copyFrame(dst: number, src: number, dstVaddr = this.kernelVaddr(dst), srcVaddr = this.kernelVaddr(src)): void {
    const from = this.kernelPage(READ, srcVaddr);
    const to = this.kernelPage(WRITE, dstVaddr);
    this.vm.memory.bytes.copyWithin(to, from, from + 4096);
  }

  inspect32(gpa: number): number {
    if (!(gpa >= 0 && gpa + 4 <= this.memorySize)) throw new RangeError(`guest-physical 0x${gpa.toString(16)} is outside the Guest`);
    return this.vm.memory.read32(this.vm.memBase + gpa);
  }

  /** Paging on, as bare hardware turns it on: CR4 and CR0 trapped, CR3 not. */
  boot(pgdir: number): void {
    if (this.pae) nestedWriteCr4(this.vm, CR4_PAE);
    nestedWriteCr3(this.vm, pgdir);
    nestedWriteCr0(this.vm, CR0_PE | CR0_PG | CR0_WP);
  }

  access(kind: AccessKind, vaddr: number, cpl: number, value: number): number {
    const v = nestedAccess(this.vm, kind, vaddr, cpl, value);
    if (v !== HOST_FAULTED) return v;
    this.lastFault.address = this.vm.lastFault.address;
    this.lastFault.errorCode = this.vm.lastFault.errorCode;
    return FAULTED;
  }

  writeCr3(pgdir: number): void { nestedWriteCr3(this.vm, pgdir); }
  // set_pte_at, set_pte, set_pmd, set_pud: stores, which nothing traps.
  setPteAt(_pgdir: number, _vaddr: number, ptep: number, pte: number): void { this.write32(ptep, pte); }
  setPte(ptep: number, pte: number): void { this.write32(ptep, pte); }
  setPmd(pmdp: number, pmd: number): void { this.write32(pmdp, pmd); }
  setPud(pudp: number, pud: number): void { this.write32(pudp, pud); }
  flushTlbSingle(vaddr: number): void { nestedInvlpg(this.vm, vaddr); }
  flushTlbUser(): void { nestedWriteCr3(this.vm, this.vm.mmu.cr3); }
  flushTlbKernel(): void { nestedWriteCr3(this.vm, this.vm.mmu.cr3); }
}
// #endregion G-nested
