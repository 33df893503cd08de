/*
 * The Host's picture of one Guest (lguest's struct lguest and struct lg_cpu,
 * folded together: our Guest has one virtual CPU), and the way the Host gets
 * rid of a Guest that misbehaves.
 */
import type { Mmu } from '../hw/mmu.ts';
import type { PhysicalMemory } from '../hw/phys-memory.ts';

// #region H030-the-guest
/** lguest keeps four shadow page directories per Guest: enough for a few processes. */
export const PGDIR_SLOTS = 4;

/** One cached shadow page directory: which Guest top-level page it shadows, and where it lives. */
export interface PgDir {
  /** Guest-physical address of the Guest's page directory (its CR3 value). */
  gpgdir: number;
  /** Host-physical address of our shadow page directory; 0 when the slot was never used. */
  pgdir: number;
}

/** Why the Host stopped a Guest. Thrown out of any Host path, caught where the Guest entered. */
export class GuestKilled extends Error {
  constructor(readonly reason: string) {
    super(`guest killed: ${reason}`);
    this.name = 'GuestKilled';
  }
}

/** Counters the book and the benchmarks read. */
export interface HostStats {
  hiddenFaults: number;
  reflectedFaults: number;
  hypercalls: number;
  shadowPagesAllocated: number;
  shadowPagesFreed: number;
  /** Times every shadow was thrown away (guest_pagetable_clear_all). */
  clearAlls: number;
}

/**
 * Everything the Host knows about a Guest. Guest-physical address `a` lives
 * at host-physical `memBase + a`, and only below `pfnLimit` pages.
 */
export interface Guest {
  /** The host machine: its memory holds the Guest's memory, the shadows and the Switcher. */
  readonly memory: PhysicalMemory;
  /** The processor the Guest runs on, in our model. */
  readonly mmu: Mmu;
  readonly memBase: number;
  readonly pfnLimit: number;
  /** The Guest uses PAE page tables (three levels of eight-byte entries), and so do its shadows. */
  readonly pae: boolean;
  /** The Guest's PAGE_OFFSET, told us at LGUEST_INIT: mappings above it are shared by every process. */
  kernelAddress: number;
  readonly pgdirs: PgDir[];
  /** Which slot is the shadow we run on (2.6.24's `lg->pgdidx`; `cpu->cpu_pgd` from 2.6.25). */
  cpuPgd: number;
  /** The Guest kernel stack, which must stay mapped (see H:260). */
  esp1: number;
  stackPages: number;
  /** Set once LGUEST_INIT has run. */
  initialized: boolean;
  /** Guest-physical address of the Guest's lguest_data page, once LGUEST_INIT has named it. */
  lguestData: number | null;
  /** The first reason the Guest was killed; once set, it never runs again. */
  dead: string | null;
  /** The last fault handed to the Guest (its address is also in lguest_data's cr2). */
  lastFault: { address: number; errorCode: number } | null;
  /** Told what the Host does, with the H: number of the code doing it; null when nobody listens. */
  trace: ((h: number, message: string) => void) | null;
  /** The shadow tables changed under the processor's TLB: reload CR3 before the Guest runs. */
  tlbStale: boolean;
  /** lguest picks eviction victims with random(); we use a seeded generator so runs repeat. */
  random: () => number;
  /** Host-private frames for shadow pages. */
  readonly hostFrames: HostFrames;
  readonly switcher: SwitcherPages;
  /** References taken on guest frames by shadow entries (lguest's get_page/put_page). */
  readonly pageRefs: Map<number, number>;
  readonly stats: HostStats;
}

/** The Host's own page allocator: zeroed frames outside Guest memory, given back on free. */
export interface HostFrames {
  /** A zeroed frame's host-physical address, or -1 when none is left. */
  alloc(): number;
  free(paddr: number): void;
}

/** The Switcher's host-physical pages (set up by H:010 and H:510). */
export interface SwitcherPages {
  /** The page of Switcher code, mapped read-only into every Guest. */
  code: number;
  /** This CPU's read-only state page (host CR3, the IDT and GDT descriptors). */
  roState: number;
  /** The vCPU's registers page, the one Switcher page the Guest may write. */
  regs: number;
  /** This CPU's Switcher PTE page, hooked into the top of every shadow before the Guest runs. */
  ptePage: number;
}

/**
 * kill_guest: record the first reason and stop. lguest sets a flag and lets
 * the code "run on as if nothing happened" until the run loop notices; we
 * throw instead, so no Host path ever continues with a bad value.
 */
export function killGuest(g: Guest, reason: string): never {
  if (g.dead === null) g.dead = reason;
  throw new GuestKilled(g.dead);
}

/**
 * A zeroed page for a shadow table. The Host's pages run out long before
 * the Guest's do when a Guest maps every corner of its address space, and
 * that is the Guest's doing: lguest kills it ("out of memory allocating pte
 * page"), and so do we. The Host itself carries on.
 */
export function newShadowPage(g: Guest): number {
  const page = tryShadowPage(g);
  if (page < 0) killGuest(g, 'out of memory allocating a shadow page');
  return page;
}

/** The same, for the one caller that has somewhere else to go: -1 when none is left. */
export function tryShadowPage(g: Guest): number {
  const page = g.hostFrames.alloc();
  if (page >= 0) g.stats.shadowPagesAllocated++;
  return page;
}

/** Give a shadow page back to the Host. */
export function freeShadowPage(g: Guest, page: number): void {
  g.hostFrames.free(page);
  g.stats.shadowPagesFreed++;
}
// #endregion H030-the-guest
