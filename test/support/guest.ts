/*
 * A hand-built Guest for host tests: Linux's layout in miniature. Guest memory
 * is mapped at PAGE_OFFSET in the boot page directory; user pages are added
 * per test. The helpers write Guest tables the way the Guest kernel would, and
 * make the hypercalls it would make.
 */
import type { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ, WRITE, FETCH, type AccessKind } from '../../src/hw/rights.ts';
import { hypercall, LHCALL_LGUEST_INIT, LHCALL_NEW_PGTABLE, LHCALL_SET_PTE, LHCALL_SET_STACK } from '../../src/host/hypercalls.ts';
import { initGuest, LGUEST_DATA_KERNEL_ADDRESS } from '../../src/host/init.ts';
import type { Guest } from '../../src/host/lguest.ts';
import { GUEST_KERNEL_CPL, runGuest, type RunResult } from '../../src/host/run.ts';

export const PAGE_OFFSET = 0xc000_0000;
export const LGUEST_DATA = 0x1000;
export const BOOT_PGDIR = 0x2000;
/**
 * The kernel's page tables (shared by every directory) start here, one per
 * 4 MiB of Guest memory; under PAE the kernel's page directory comes first,
 * then one table per 2 MiB.
 */
const KERNEL_PT = 0x3000;

export interface TestGuest {
  g: Guest;
  /** Guest-physical word access, the way the Guest kernel sees its own memory. */
  read(gpa: number): number;
  write(gpa: number, v: number): void;
  /** Allocate a zeroed Guest frame (from the top of Guest memory down). */
  frame(): number;
  /** A new page directory sharing the kernel half. */
  newPgdir(): number;
  /** Set the PTE for `vaddr` in directory `pgdir` (making its page table if needed), in memory only. */
  setPte(pgdir: number, vaddr: number, pte: number, pdeFlags?: number): number;
  /** The PTE for `vaddr` in `pgdir`, read from Guest memory. */
  pte(pgdir: number, vaddr: number): number;
  access(kind: 'read' | 'write' | 'fetch', vaddr: number, cpl?: number, value?: number): RunResult;
  /** The Guest-physical address of the directory entry above `vaddr` in `pgdir` (a PAE page directory entry under PAE), or -1. */
  pdeAt(pgdir: number, vaddr: number): number;
}

export interface BootOptions {
  /** A PAE Guest: three levels of eight-byte entries, shadowed by a PAE Host. */
  pae?: boolean;
  /** Host frames kept for shadow pages (initGuest's default when absent). */
  hostPages?: number;
  /** Set the kernel stack (the default): pinning it makes the Host take faults at boot. */
  stack?: boolean;
}

const KINDS: Record<string, AccessKind> = { read: READ, write: WRITE, fetch: FETCH };

/** A Guest of `pages` pages, booted: LGUEST_INIT made, a one-page stack set (unless `options.stack` is false). */
export function bootGuest(pages = 256, kernelFlags = PTE_P | PTE_RW, seed = 1, options: BootOptions = {}): TestGuest {
  let memory!: PhysicalMemory;
  let base = 0;
  let top = pages;
  const pae = options.pae ?? false;
  const g0 = initGuest({
    pages, pgdir: BOOT_PGDIR, seed, pae, ...(options.hostPages ? { hostPages: options.hostPages } : {}),
    fill: (m, b) => {
      memory = m;
      base = b;
    },
  });
  const read = (gpa: number) => memory.read32(base + gpa);
  const write = (gpa: number, v: number) => memory.write32(base + gpa, v >>> 0);
  const frame = () => {
    const pfn = --top;
    memory.zeroFrame(base / 4096 + pfn);
    return pfn * 4096;
  };
  const inGuest = (e: number) => e & PTE_P && e >>> 12 < pages;
  const frameOf = (e: number) => (e & 0xffff_f000) >>> 0;
  // The kernel half: all of Guest memory at PAGE_OFFSET.
  if (pae) {
    // One page directory for the kernel's gigabyte (PDPT entry 3), shared by every directory.
    write(BOOT_PGDIR + 3 * 8, KERNEL_PT | PTE_P);
    const kernelTables = Math.ceil(pages / 512);
    for (let t = 0; t < kernelTables; t++) write(KERNEL_PT + t * 8, (KERNEL_PT + (t + 1) * 4096) | 0x67);
    for (let pfn = 0; pfn < pages; pfn++) write(KERNEL_PT + 4096 + pfn * 8, pfn * 4096 | kernelFlags);
  } else {
    const kernelTables = Math.ceil(pages / 1024);
    for (let t = 0; t < kernelTables; t++) write(BOOT_PGDIR + ((PAGE_OFFSET >>> 22) + t) * 4, (KERNEL_PT + t * 4096) | 0x67);
    for (let pfn = 0; pfn < pages; pfn++) write(KERNEL_PT + pfn * 4, pfn * 4096 | kernelFlags);
  }
  write(LGUEST_DATA + LGUEST_DATA_KERNEL_ADDRESS, PAGE_OFFSET);
  const size = pae ? 8 : 4;
  const pdeAt = (pgdir: number, vaddr: number) => {
    if (!pae) return pgdir + (vaddr >>> 22) * 4;
    const pdpte = read(pgdir + (vaddr >>> 30) * 8);
    return inGuest(pdpte) ? frameOf(pdpte) + ((vaddr >>> 21) & 0x1ff) * 8 : -1;
  };
  const pteIndex = (vaddr: number) => (pae ? (vaddr >>> 12) & 0x1ff : (vaddr >>> 12) & 0x3ff);
  const t: TestGuest = {
    g: g0, read, write, frame, pdeAt,
    newPgdir() {
      const d = frame();
      if (pae) write(d + 3 * 8, read(BOOT_PGDIR + 3 * 8));
      else for (let i = PAGE_OFFSET >>> 22; i < 1024; i++) write(d + i * 4, read(BOOT_PGDIR + i * 4));
      return d;
    },
    setPte(pgdir, vaddr, pte, pdeFlags = 0x67) {
      // (A hostile test may have left garbage above: the Guest replaces it rather than write outside itself.)
      if (pae) {
        const pdpteAt = pgdir + (vaddr >>> 30) * 8;
        if (!inGuest(read(pdpteAt)) || read(pdpteAt) & 0xffe) write(pdpteAt, frame() | PTE_P);
      }
      const at0 = pdeAt(pgdir, vaddr);
      if (!inGuest(read(at0))) write(at0, frame() | pdeFlags);
      const at = frameOf(read(at0)) + pteIndex(vaddr) * size;
      write(at, pte);
      return at;
    },
    pte(pgdir, vaddr) {
      const at = pdeAt(pgdir, vaddr);
      const pde = at < 0 ? 0 : read(at);
      return inGuest(pde) ? read(frameOf(pde) + pteIndex(vaddr) * size) : 0;
    },
    access: (kind, vaddr, cpl = GUEST_KERNEL_CPL, value = 0) => runGuest(g0, KINDS[kind]!, vaddr, cpl, value),
  };
  hypercall(g0, LHCALL_LGUEST_INIT, LGUEST_DATA);
  // A one-page kernel stack at the top of the kernel's first 4 MiB… of the frame below the directory.
  if (options.stack !== false) hypercall(g0, LHCALL_SET_STACK, PAGE_OFFSET + 0x8000, 1);
  return t;
}

/** The shadow directory entry above `vaddr` in slot `slot` (a PAE page directory entry under PAE; 0 when there is none). */
export function shadowPde(g: Guest, vaddr: number, slot = g.cpuPgd): number {
  if (!g.pae) return g.memory.read32(g.pgdirs[slot]!.pgdir + (vaddr >>> 22) * 4);
  const pdpte = g.memory.read32(g.pgdirs[slot]!.pgdir + (vaddr >>> 30) * 8);
  return pdpte & PTE_P ? g.memory.read32(((pdpte & 0xffff_f000) >>> 0) + ((vaddr >>> 21) & 0x1ff) * 8) : 0;
}

/** The shadow PTE for `vaddr` in slot `slot` (0 when there is none). */
export function shadowPte(g: Guest, vaddr: number, slot = g.cpuPgd): number {
  const spde = shadowPde(g, vaddr, slot);
  if (!(spde & PTE_P)) return 0;
  const index = g.pae ? (vaddr >>> 12) & 0x1ff : (vaddr >>> 12) & 0x3ff;
  return g.memory.read32(((spde & 0xffff_f000) >>> 0) + index * (g.pae ? 8 : 4));
}

export { LHCALL_NEW_PGTABLE, LHCALL_SET_PTE, hypercall };
