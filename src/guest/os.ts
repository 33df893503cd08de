/*
 * The Guest operating system as a program sees it: loads, stores and
 * fetches at user level, and a handful of system calls. Behind it, the
 * kernel of kernel.ts on whatever Platform it was booted on.
 */
import { FETCH, READ, WRITE, type AccessKind } from '../hw/rights.ts';
import { doPageFault } from './fault.ts';
import { bootKernel, findVma, ptePtr, type BootOptions, type Kernel } from './kernel.ts';
import { kernelAccess, kernelWriteFrame, kmap, kunmap } from './kmap.ts';
import { exit, fork, mmap, mmapAt, munmap, switchTo } from './mm.ts';
import { FAULTED, type Platform } from './platform.ts';
import { PTE_P, PTE_RW } from '../hw/pte.ts';

// #region G-user-access
/**
 * One access by the current process, at CPL 3. A fault goes to the kernel's
 * handler; if it fixes it, the access runs again, and if not the process gets
 * SIGSEGV, which our programs survive: the access returns FAULTED.
 */
export function userAccess(k: Kernel, kind: AccessKind, vaddr: number, value = 0): number {
  for (let tries = 0; tries < 3; tries++) {
    const v = k.pv.access(kind, vaddr, 3, value);
    if (v !== FAULTED) return v;
    if (!doPageFault(k, k.pv.lastFault.address, k.pv.lastFault.errorCode)) return FAULTED;
  }
  throw new Error(`guest kernel bug: the fault at 0x${vaddr.toString(16)} was fixed twice and came back`);
}
// #endregion G-user-access

// #region G-os
/** A booted Guest, with its system calls as methods. */
export class GuestOs {
  readonly k: Kernel;
  /** Frames the kernel holds a persistent kmap of (with a reference, so they outlive munmap), and where. */
  readonly held: { frame: number; vaddr: number }[] = [];

  constructor(readonly pv: Platform, options: BootOptions = {}) {
    this.k = bootKernel(pv, options);
  }

  get pid(): number { return this.k.current.pid; }
  get pids(): number[] { return [...this.k.procs.keys()]; }

  read(vaddr: number): number { return userAccess(this.k, READ, vaddr); }
  write(vaddr: number, value: number): number { return userAccess(this.k, WRITE, vaddr, value); }
  fetch(vaddr: number): number { return userAccess(this.k, FETCH, vaddr); }

  mmap(pages: number, write = true): number { return mmap(this.k, pages, write); }
  mmapAt(vaddr: number, pages: number, write = true): void { mmapAt(this.k, vaddr, pages, write); }
  munmap(vaddr: number, pages: number): void { munmap(this.k, vaddr, pages); }
  fork(): number { return fork(this.k); }
  switchTo(pid: number): void { switchTo(this.k, pid); }
  exit(pid: number, next: number): void { exit(this.k, pid, next); }

  /**
   * The kernel stores `value` into the current process's page at `vaddr`
   * through kmap, as read() fills a buffer. Only a page already mapped
   * writable and not shared is written; returns whether it was.
   */
  kernelWrite(vaddr: number, value: number): boolean {
    const pte = this.currentPte(vaddr);
    if ((pte & (PTE_P | PTE_RW)) !== (PTE_P | PTE_RW)) return false;
    const frame = (pte & 0xffff_f000) >>> 0;
    if (this.k.frames.count(frame) !== 1) return false;
    kernelWriteFrame(this.k, frame, vaddr & 0xfff, value);
    return true;
  }

  /** The kernel keeps a mapping of the current process's page at `vaddr` (a driver holding a buffer). */
  kernelHold(vaddr: number): boolean {
    const pte = this.currentPte(vaddr);
    if (!(pte & PTE_P)) return false;
    const frame = (pte & 0xffff_f000) >>> 0;
    this.k.frames.get(frame);
    this.held.push({ frame, vaddr: kmap(this.k, frame) });
    return true;
  }

  /** Read a word of held buffer `i` through its kmap, from whichever process is running now. */
  kernelReadHeld(i: number, offset: number): number {
    return kernelAccess(this.k, READ, this.held[i]!.vaddr + (offset & 0xffc));
  }

  /** The current process's PTE for `vaddr` inside one of its mappings (0 when there is none). */
  private currentPte(vaddr: number): number {
    const ptep = findVma(this.k.current, vaddr) ? ptePtr(this.k, this.k.current.pgdir, vaddr, false) : 0;
    return ptep ? this.pv.read32(ptep) : 0;
  }

  /** Let go of held buffer `i`. */
  kernelRelease(i: number): void {
    const [h] = this.held.splice(i, 1);
    kunmap(this.k, h!.frame);
    this.k.frames.put(h!.frame);
  }
}
// #endregion G-os
