/*
 * Part (vii): a new Guest's page tables, and tearing them down.
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, Mmu } from '../hw/mmu.ts';
import { PhysicalMemory } from '../hw/phys-memory.ts';
import { releaseAllPagetables } from './flush.ts';
import { lgread32, lgwrite32 } from './guest-memory.ts';
import { freeShadowPage, killGuest, newShadowPage, PGDIR_SLOTS, type Guest, type HostFrames } from './lguest.ts';
import { PTE_P } from '../hw/pte.ts';
import { entryFrame } from './shadow-walk.ts';
import { initPagetables, mapSwitcher, PAE_SWITCHER_PGD_INDEX, switcherAddr } from './switcher.ts';

// #region H020-host-cpu
/**
 * lguest's adjust_pge, run on every Host CPU when the module loads: CR4.PGE
 * off, because the Host's Global TLB entries would otherwise survive the
 * switch into a Guest's tables. The CR4 write itself flushes the Global
 * entries already cached (SDM 4.10.4.1).
 */
export function adjustPge(mmu: Mmu): void {
  mmu.writeCr4(mmu.cr4 & ~CR4_PGE);
}

/**
 * A Host processor, set up for Guests. It starts as Linux leaves it: paging
 * on, Global pages on, and CR0.WP set, which i386 Linux does itself at boot
 * (head_32.S) and lguest relies on without touching: read-only then means
 * read-only for the Guest kernel too. Our Host has no Linux under it, so we
 * set WP here, where Linux would have. Then lguest's part: PGE off.
 */
export function hostCpu(memory: PhysicalMemory, pae = false): Mmu {
  const mmu = new Mmu(memory);
  mmu.writeCr4(CR4_PGE | (pae ? CR4_PAE : 0));
  mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
  adjustPge(mmu);
  return mmu;
}
// #endregion H020-host-cpu

// #region H500-init-guest-pagetable
export interface GuestOptions {
  /** Guest memory, in 4 KiB pages. */
  pages: number;
  /** Guest-physical address of the boot page directory the Launcher built. */
  pgdir: number;
  /** Host frames kept for shadow pages and the Switcher. */
  hostPages?: number;
  /** Seed for the eviction choice in new_pgdir (lguest: random()). */
  seed?: number;
  /** A PAE Guest (three-level tables), shadowed with PAE tables; see the PAE chapter. */
  pae?: boolean;
  /** Lay the Guest's memory out in `memory` instead of a fresh host. */
  fill?: (memory: PhysicalMemory, memBase: number) => void;
}

/**
 * Make a Guest: host memory with the Guest's slice at `memBase` above the
 * Host's own frames, the Switcher, and slot 0 shadowing the boot page
 * directory with a blank shadow.
 */
export function initGuest(o: GuestOptions): Guest {
  const hostPages = o.hostPages ?? 1024;
  const memory = new PhysicalMemory((hostPages + o.pages) * 4096);
  const memBase = hostPages * 4096;
  o.fill?.(memory, memBase);
  const hostFrames = hostFrameAllocator(memory, 1, hostPages);
  const write32 = (p: number, v: number) => memory.write32(p, v);
  const switcher = initPagetables(hostFrames, write32, mapSwitcher(hostFrames, write32), o.pae ? 8 : 4);
  const g: Guest = {
    memory, mmu: hostCpu(memory, o.pae), memBase, pfnLimit: o.pages, pae: o.pae ?? false, kernelAddress: 0,
    pgdirs: Array.from({ length: PGDIR_SLOTS }, () => ({ gpgdir: 0, pgdir: 0 })),
    cpuPgd: 0, esp1: 0, stackPages: 0, initialized: false, lguestData: null, dead: null, lastFault: null, trace: null, tlbStale: true,
    random: mulberry32(o.seed ?? 1), hostFrames, switcher, pageRefs: new Map(),
    stats: { hiddenFaults: 0, reflectedFaults: 0, hypercalls: 0, shadowPagesAllocated: 0, shadowPagesFreed: 0, clearAlls: 0 },
  };
  g.pgdirs[0] = { gpgdir: o.pgdir, pgdir: newShadowPage(g) };
  return g;
}

/**
 * Tear a Guest's shadows down, every page given back: what releasing leaves
 * (under PAE, the kernel's page directory, kept for the Switcher), then each
 * slot's top page.
 */
export function freeGuestPagetable(g: Guest): void {
  releaseAllPagetables(g);
  for (const p of g.pgdirs) {
    if (!p.pgdir) continue;
    const kernelPmd = g.pae ? g.memory.read32(p.pgdir + PAE_SWITCHER_PGD_INDEX * 8) : 0;
    if (kernelPmd & PTE_P) freeShadowPage(g, entryFrame(kernelPmd));
    freeShadowPage(g, p.pgdir);
    p.pgdir = 0;
  }
}

/** Zeroed host frames from [first, limit), reused after free; -1 when none is left. */
export function hostFrameAllocator(memory: PhysicalMemory, first: number, limit: number): HostFrames {
  let next = first;
  const free: number[] = [];
  return {
    alloc() {
      const pfn = free.pop() ?? (next < limit ? next++ : -1);
      if (pfn < 0) return -1;
      memory.zeroFrame(pfn);
      return pfn * 4096;
    },
    free(paddr) {
      free.push(paddr / 4096);
    },
  };
}

/** A small seeded PRNG (mulberry32): the same Guest run gives the same evictions on any machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b_79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
// #endregion H500-init-guest-pagetable

// #region H508-guest-data-init
/** Our lguest_data page: the Guest's PAGE_OFFSET, then what the Host writes back. */
export const LGUEST_DATA_KERNEL_ADDRESS = 0;
export const LGUEST_DATA_RESERVE_MEM = 4;
export const LGUEST_DATA_CR2 = 8;
/** Its size: the three words above. (lguest's has more: the interrupt state, the time, the async hypercall ring.) */
export const LGUEST_DATA_SIZE = 12;

/**
 * At LGUEST_INIT: learn where the Guest kernel lives, and tell it what it
 * may not use: everything from the Switcher up (4 MiB, or 2 MiB under PAE).
 * The kernel must start on a top-level boundary (4 MiB, or 1 GiB under PAE),
 * as every Linux PAGE_OFFSET does: flushing the user half releases whole
 * top-level entries, and one that held both halves would leave user pages
 * the Guest flushed still mapped. lguest checked only the Switcher.
 */
export function pageTableGuestDataInit(g: Guest, lguestData: number): void {
  g.kernelAddress = lgread32(g, lguestData + LGUEST_DATA_KERNEL_ADDRESS) >>> 0;
  lgwrite32(g, lguestData + LGUEST_DATA_RESERVE_MEM, 2 ** 32 - switcherAddr(g));
  const topLevel = g.pae ? 2 ** 30 : 2 ** 22;
  if (g.kernelAddress >= switcherAddr(g) || g.kernelAddress % topLevel !== 0) killGuest(g, `bad kernel address 0x${g.kernelAddress.toString(16)}`);
}
// #endregion H508-guest-data-init
