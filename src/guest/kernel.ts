/*
 * The Guest kernel's state and its boot: a direct map of lowmem above
 * PAGE_OFFSET, shared by every process; a fixmap page table for kmap; a
 * kernel stack; and the first process. Everything it does to page tables
 * goes through its Platform's pv-ops, so it runs the same on bare hardware
 * and under the Host.
 */
import { PTE_P } from '../hw/pte.ts';
import { Frames } from './frames.ts';
import {
  _KERNPG_TABLE, _PAGE_TABLE, BOOT_PGDIR, FIXMAP_BASE, FIXMAP_PT, FIXMAP_PT_HI, KERNEL_PMD, KERNEL_PT, KERNEL_STACK, LAST_PKMAP, LGUEST_DATA,
  LGUEST_DATA_KERNEL_ADDRESS, MAX_LOWMEM, MMAP_BASE, PAGE_KERNEL, PAGE_OFFSET,
} from './layout.ts';
import type { Platform } from './platform.ts';

// #region G-kernel
/** A user mapping: [start, end), anonymous memory, zero-filled on first touch. */
export interface Vma {
  start: number;
  end: number;
  write: boolean;
}

export interface Process {
  pid: number;
  /** Guest-physical address of its page directory (its CR3). */
  pgdir: number;
  vmas: Vma[];
  /** Where its next mmap goes. */
  mmapNext: number;
}

/** How kmap_atomic tells the Host about its fixmap entry (M:009; see the Mastery chapter). */
export type KmapMode = 'set-pte' | 'set-pte-at';

/** One page fault the kernel's handler received, and what it did about it. */
export interface FaultRecord {
  pid: number;
  address: number;
  errorCode: number;
  outcome: 'zero-fill' | 'cow-copy' | 'cow-reuse' | 'segv';
}

export interface Kernel {
  readonly pv: Platform;
  /** Three-level PAE tables with eight-byte entries, or two levels of four-byte ones. */
  readonly pae: boolean;
  readonly frames: Frames;
  readonly procs: Map<number, Process>;
  current: Process;
  nextPid: number;
  kmapMode: KmapMode;
  /** Persistent kmap slots: how many users each has (1 = mapped, idle), and which frame. */
  readonly pkmap: { count: Uint8Array; frame: Float64Array; last: number };
  /** Every fault delivered to the kernel, in order: part of what the Guest can see. */
  readonly faults: FaultRecord[];
  readonly stats: { kmaps: number; contextSwitches: number };
}

export interface BootOptions {
  /** Limit lowmem (like Linux's `highmem=`), so a small Guest has highmem too. */
  lowmemPages?: number;
  kmapMode?: KmapMode;
}


/**
 * Boot: lay out the kernel's page tables in Guest-physical memory, tell the
 * machine where they are, and make process 1.
 */
export function bootKernel(pv: Platform, options: BootOptions = {}): Kernel {
  const pages = pv.memorySize / 4096;
  const lowmemPages = Math.min(pages, options.lowmemPages ?? pages, MAX_LOWMEM / 4096);
  // A page table covers 4 MiB of 4-byte entries, or 2 MiB of 8-byte ones.
  const e = pv.pae ? 8 : 4;
  const perTable = 4096 / e;
  const kernelPts = Math.ceil(lowmemPages / perTable);
  // Where the kernel's page-directory entries go: the boot directory, or (PAE) the one kernel PMD every process shares.
  const kernelDir = pv.pae ? KERNEL_PMD : BOOT_PGDIR;
  const dirEntry = (vaddr: number) => kernelDir + (pv.pae ? ((vaddr >>> 21) & 0x1ff) * 8 : (vaddr >>> 22) * 4);
  if (pv.pae) pv.write32(BOOT_PGDIR + 3 * 8, KERNEL_PMD | PTE_P);
  // The direct map: every lowmem frame at PAGE_OFFSET + its address, young and dirty from the start.
  for (let t = 0; t < kernelPts; t++) pv.write32(dirEntry(PAGE_OFFSET) + t * e, (KERNEL_PT + t * 4096) | _KERNPG_TABLE);
  for (let pfn = 0; pfn < lowmemPages; pfn++) pv.write32(KERNEL_PT + pfn * e, (pfn * 4096) | PAGE_KERNEL);
  pv.write32(dirEntry(FIXMAP_BASE), FIXMAP_PT | _KERNPG_TABLE);
  if (pv.pae) pv.write32(dirEntry(FIXMAP_BASE) + 8, FIXMAP_PT_HI | _KERNPG_TABLE);
  pv.write32(LGUEST_DATA + LGUEST_DATA_KERNEL_ADDRESS, PAGE_OFFSET);
  pv.boot(BOOT_PGDIR, PAGE_OFFSET + KERNEL_STACK + 4096, LGUEST_DATA);

  const frames = new Frames(pages, lowmemPages, KERNEL_PT / 4096 + kernelPts);
  const k: Kernel = {
    pv, pae: pv.pae, frames, procs: new Map(), current: null!, nextPid: 1, kmapMode: options.kmapMode ?? 'set-pte',
    pkmap: { count: new Uint8Array(LAST_PKMAP), frame: new Float64Array(LAST_PKMAP), last: 0 },
    faults: [], stats: { kmaps: 0, contextSwitches: 0 },
  };
  const init = newProcess(k);
  k.current = init;
  pv.writeCr3(init.pgdir);
  return k;
}

/**
 * A process with an empty user half and the kernel's half shared (pgd_alloc).
 * The kernel's entries are copied, not reported: they name the same page
 * tables as everyone's. Under PAE that is one entry, the kernel's PMD, and
 * the three user PMDs are made now, as Linux preallocates them.
 */
export function newProcess(k: Kernel): Process {
  const pgdir = k.frames.allocKernel();
  k.pv.zeroFrame(pgdir);
  if (k.pae) {
    k.pv.write32(pgdir + 3 * 8, k.pv.read32(BOOT_PGDIR + 3 * 8));
    for (let i = 0; i < 3; i++) {
      const pmd = k.frames.allocKernel();
      k.pv.zeroFrame(pmd);
      k.pv.setPud(pgdir + i * 8, pmd | PTE_P);
    }
  } else {
    for (let i = PAGE_OFFSET >>> 22; i < 1024; i++) k.pv.write32(pgdir + i * 4, k.pv.read32(BOOT_PGDIR + i * 4));
  }
  const p: Process = { pid: k.nextPid++, pgdir, vmas: [], mmapNext: MMAP_BASE };
  k.procs.set(p.pid, p);
  return p;
}

/**
 * The Guest-physical address of the PTE for `vaddr` in `pgdir`, making the
 * page table if `alloc` says so; 0 when there is none.
 */
export function ptePtr(k: Kernel, pgdir: number, vaddr: number, alloc: boolean): number {
  const pdeAt = pdeAddr(k, pgdir, vaddr);
  if (!pdeAt) return 0;
  let pde = k.pv.read32(pdeAt);
  if (!(pde & PTE_P)) {
    if (!alloc) return 0;
    const table = k.frames.allocKernel();
    k.pv.zeroFrame(table);
    pde = table | _PAGE_TABLE;
    k.pv.setPmd(pdeAt, pde);
  }
  return k.pae ? (pde & 0xffff_f000) + ((vaddr >>> 12) & 0x1ff) * 8 : (pde & 0xffff_f000) + ((vaddr >>> 12) & 0x3ff) * 4;
}

/** The page-directory entry for `vaddr`: in `pgdir` itself, or (PAE) in the PMD its PDPT entry names; 0 if there is none. */
export function pdeAddr(k: Kernel, pgdir: number, vaddr: number): number {
  if (!k.pae) return pgdir + (vaddr >>> 22) * 4;
  const pdpte = k.pv.read32(pgdir + (vaddr >>> 30) * 8);
  return pdpte & PTE_P ? (pdpte & 0xffff_f000) + ((vaddr >>> 21) & 0x1ff) * 8 : 0;
}

/** Every user page table of `pgdir`: the address of its directory entry, the table, and the virtual address it starts at. */
export function userTables(k: Kernel, pgdir: number): { pdeAt: number; table: number; base: number }[] {
  const out: { pdeAt: number; table: number; base: number }[] = [];
  const span = k.pae ? 0x20_0000 : 0x40_0000;
  for (let base = 0; base < PAGE_OFFSET; base += span) {
    const pdeAt = pdeAddr(k, pgdir, base);
    const pde = pdeAt ? k.pv.read32(pdeAt) : 0;
    if (pde & PTE_P) out.push({ pdeAt, table: (pde & 0xffff_f000) >>> 0, base });
  }
  return out;
}

/** Bytes per entry, and entries per table. */
export function entryBytes(k: Kernel): 4 | 8 {
  return k.pae ? 8 : 4;
}

/** The VMA holding `vaddr` in `p`, if any. */
export function findVma(p: Process, vaddr: number): Vma | undefined {
  return p.vmas.find((v) => vaddr >= v.start && vaddr < v.end);
}
// #endregion G-kernel
