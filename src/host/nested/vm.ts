/*
 * The nested-paging Host's picture of one Guest. There are no shadows to
 * keep: the Guest's page tables are the ones the processor walks. What the
 * Host keeps instead is one set of tables of its own, from Guest-physical
 * to Host-physical, and it fills them as the Guest first touches each page.
 */
import { Mmu } from '../../hw/mmu.ts';
import { NestedPaging } from '../../hw/nested.ts';
import { PhysicalMemory } from '../../hw/phys-memory.ts';
import { hostFrameAllocator } from '../init.ts';
import { GuestKilled, type HostFrames } from '../lguest.ts';

// #region N-vm
/** What the Host counts. Every trip into it is an exit; the rest say what kind. */
export interface NestedStats {
  exits: number;
  /** Exits for a Guest-physical page the Host's tables did not map yet: filled, and the Guest runs on. */
  eptViolations: number;
  /** MOV to CR0 and CR4, which the Host still intercepts (CR3 and INVLPG it leaves to the Guest). */
  crWrites: number;
  /** Pages of the Host's tables made, and thrown away. */
  tablePagesAllocated: number;
  tablePagesFreed: number;
  /** Times the Host ran out of pages and emptied its tables. */
  zapAlls: number;
}

export interface NestedVm {
  /** The host machine: its memory holds the Host's tables, then the Guest's memory. */
  readonly memory: PhysicalMemory;
  /**
   * The processor, running the Guest with nested paging on. Its control
   * registers are the Guest's own: the Guest loads CR3 itself, and the
   * Host never needs to know.
   */
  readonly mmu: Mmu;
  /** Its second dimension: the Host's tables, and what walking them cost. */
  readonly ept: NestedPaging;
  /** Where the Guest's memory starts in the Host's (KVM's memory slot: one, contiguous). */
  readonly memBase: number;
  readonly pfnLimit: number;
  readonly pae: boolean;
  readonly hostFrames: HostFrames;
  /** The pages of the Host's tables below the root, to give back when they are emptied. */
  readonly tablePages: number[];
  dead: string | null;
  lastFault: { address: number; errorCode: number };
  /** Told what the Host does; null when nobody listens. */
  trace: ((message: string) => void) | null;
  readonly stats: NestedStats;
}

export interface NestedVmOptions {
  /** Guest memory, in 4 KiB pages. */
  pages: number;
  /** Host frames kept for the Host's tables. */
  hostPages?: number;
  /** The Guest's paging width, for its platform to set up (the processor walks either). */
  pae?: boolean;
  /** Entries of the processor's page-walk cache for nested walks (0: none). */
  walkCache?: number;
}

/**
 * Make a Guest: host memory with the Guest's slice at `memBase`, above the
 * Host's own frames, and an empty top level of the Host's tables, so that
 * every first touch of a Guest page is an exit. The processor starts with
 * paging off, as a PC does, but already in the second dimension: even the
 * Guest's first store, with paging off, is translated by the Host's tables.
 */
export function createNestedVm(o: NestedVmOptions): NestedVm {
  const hostPages = o.hostPages ?? 1024;
  const memory = new PhysicalMemory((hostPages + o.pages) * 4096);
  const hostFrames = hostFrameAllocator(memory, 1, hostPages);
  const root = hostFrames.alloc();
  const ept = new NestedPaging(memory, root, { walkCache: o.walkCache ?? 0 });
  const mmu = new Mmu(memory);
  mmu.setNested(ept);
  return {
    memory, mmu, ept, memBase: hostPages * 4096, pfnLimit: o.pages, pae: o.pae ?? false, hostFrames, tablePages: [],
    dead: null, lastFault: { address: 0, errorCode: 0 }, trace: null,
    stats: { exits: 0, eptViolations: 0, crWrites: 0, tablePagesAllocated: 0, tablePagesFreed: 0, zapAlls: 0 },
  };
}

/** Stop the Guest for good, with the first reason. */
export function killNestedVm(vm: NestedVm, reason: string): never {
  if (vm.dead === null) vm.dead = reason;
  throw new GuestKilled(vm.dead);
}
// #endregion N-vm
