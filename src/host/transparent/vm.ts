/*
 * The transparent Host's picture of one Guest (KVM's struct kvm and its
 * vCPU, folded together: one virtual CPU again). The Guest runs its native
 * platform and makes no hypercalls; everything the Host learns, it learns
 * from a trap.
 */
import { Mmu } from '../../hw/mmu.ts';
import { PhysicalMemory } from '../../hw/phys-memory.ts';
import { hostCpu, hostFrameAllocator } from '../init.ts';
import { GuestKilled, type HostFrames } from '../lguest.ts';

// #region K-vm
/**
 * One shadow page: a Host page that shadows one Guest table, in one role.
 * KVM's struct kvm_mmu_page. It belongs to no address space: every address
 * space whose tables reach that Guest table shares it.
 */
export interface ShadowPage {
  /** The Guest frame of the table it shadows. */
  readonly gfn: number;
  /** Its role: 2 for a page directory (under PAE, the middle level), 1 for a page table. */
  readonly level: 1 | 2;
  /** Host-physical address of the shadow page. */
  readonly page: number;
  /** Host-physical addresses of the shadow entries that point at this page: its parents. */
  readonly parents: Set<number>;
}

/** What the Host counts. Every trip into it is an exit; the rest say what kind. */
export interface VmStats {
  exits: number;
  /** Page faults the Host fixed by filling a shadow entry: the Guest never sees them. */
  hiddenFaults: number;
  /** Guest stores into its own page tables, trapped and done by the Host. */
  emulatedWrites: number;
  /** Page faults that were the Guest's, handed to its handler. */
  reflectedFaults: number;
  /** Trapped instructions: MOV to CR3 (a context switch, or a flush) and INVLPG. */
  cr3Loads: number;
  invlpgs: number;
  shadowPagesAllocated: number;
  shadowPagesFreed: number;
  /** Shadow pages dropped because the Guest wrote over its table as if it were data. */
  unshadowed: number;
  /** Times the Host ran out of pages and dropped every shadow. */
  zapAlls: number;
}

export interface Vm {
  /** The host machine: its memory holds the shadows, then the Guest's memory. */
  readonly memory: PhysicalMemory;
  /** The processor, running the Guest on the shadows. */
  readonly mmu: Mmu;
  /**
   * The Guest's own view of the processor: its CR0, CR3, CR4 (and under PAE
   * its PDPTE registers), over its own memory. The Host keeps them, as KVM
   * keeps vcpu->arch.cr3, and walks the Guest's tables with them.
   */
  readonly guestCpu: Mmu;
  readonly memBase: number;
  readonly pfnLimit: number;
  readonly pae: boolean;
  readonly hostFrames: HostFrames;
  /** The shadow pages, by Guest frame and role (KVM's mmu_page_hash). */
  readonly shadows: Map<number, ShadowPage>;
  /** The shadow page each Host page is. */
  readonly pageOf: Map<number, ShadowPage>;
  /** The reverse map: Guest frame → the shadow PTEs (host-physical addresses) that map it. */
  readonly rmap: Map<number, Set<number>>;
  /** What the processor's CR3 holds while the Guest runs; 0 when it must be found again. */
  root: number;
  /** Under PAE, this vCPU's PDPT page (KVM's pae_root): refilled at every CR3 load. */
  readonly paeRoot: number;
  /** The Guest has turned paging on. */
  paging: boolean;
  /** The shadows changed under the processor's TLB: reload CR3 before the Guest runs. */
  tlbStale: boolean;
  /** The last Guest page-table frame written, how often in a row, and the shadow entry that write filled in. */
  readonly flood: { gfn: number; count: number; lastSpte: number };
  dead: string | null;
  lastFault: { address: number; errorCode: number };
  /** Told what the Host does; null when nobody listens. */
  trace: ((message: string) => void) | null;
  readonly stats: VmStats;
}

/** A shadow page's key in the hash: its Guest frame and its level. */
export const shadowKey = (gfn: number, level: number): number => gfn * 4 + level;

/** Bytes per entry, in the Guest's tables and in ours: they have the same shape. */
export const entrySize = (vm: Vm): 4 | 8 => (vm.pae ? 8 : 4);

export interface VmOptions {
  /** Guest memory, in 4 KiB pages. */
  pages: number;
  /** Host frames kept for shadow pages. */
  hostPages?: number;
  pae?: boolean;
}

/**
 * Make a Guest: host memory with the Guest's slice at `memBase`, above the
 * Host's own frames, and nothing shadowed yet. Its processor starts with
 * paging off, as a PC does; the Guest turns it on.
 */
export function createVm(o: VmOptions): Vm {
  const hostPages = o.hostPages ?? 1024;
  const memory = new PhysicalMemory((hostPages + o.pages) * 4096);
  const memBase = hostPages * 4096;
  const pae = o.pae ?? false;
  const hostFrames = hostFrameAllocator(memory, 1, hostPages);
  const paeRoot = pae ? hostFrames.alloc() : 0;
  return {
    memory, mmu: hostCpu(memory, pae), memBase, pfnLimit: o.pages, pae, hostFrames,
    guestCpu: new Mmu(new PhysicalMemory(o.pages * 4096, memory.bytes.subarray(memBase, memBase + o.pages * 4096))),
    shadows: new Map(), pageOf: new Map(), rmap: new Map(), root: 0, paeRoot, paging: false, tlbStale: true,
    flood: { gfn: -1, count: 0, lastSpte: 0 }, dead: null, lastFault: { address: 0, errorCode: 0 }, trace: null,
    stats: { exits: 0, hiddenFaults: 0, emulatedWrites: 0, reflectedFaults: 0, cr3Loads: 0, invlpgs: 0, shadowPagesAllocated: 0, shadowPagesFreed: 0, unshadowed: 0, zapAlls: 0 },
  };
}

/** Stop the Guest for good, with the first reason; nothing of the Host's is left half done. */
export function killVm(vm: Vm, reason: string): never {
  if (vm.dead === null) vm.dead = reason;
  throw new GuestKilled(vm.dead);
}
// #endregion K-vm
