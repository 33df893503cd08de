/**
 * Page-table builders for examples, tests and practice problems: the few
 * lines a kernel would use to map pages, written against physical memory
 * directly so that what they build is exactly what the MMU walks.
 */
import { PAGE_SIZE, type PhysicalMemory } from '../hw/phys-memory.ts';
import { PTE_P, PTE_PS, PTE_RW, PTE_US } from '../hw/pte.ts';

/** Hands out zeroed 4 KiB frames from a range of physical memory, in order. */
export class FrameAllocator {
  private next: number;
  constructor(readonly memory: PhysicalMemory, firstFrame: number, readonly limitFrame = memory.frames) {
    this.next = firstFrame;
  }
  /** A zeroed frame's physical address. */
  alloc(): number {
    if (this.next >= this.limitFrame) throw new Error(`out of frames (limit ${this.limitFrame})`);
    this.memory.zeroFrame(this.next);
    return this.next++ * PAGE_SIZE;
  }
  get used(): number {
    return this.next;
  }
}

/** Directory-entry flags for a page table that leaves rights to the leaves: P|RW|US. */
export const TABLE_FLAGS = PTE_P | PTE_RW | PTE_US;

/** A 32-bit two-level address space under construction. */
export class Builder32 {
  readonly cr3: number;
  constructor(readonly memory: PhysicalMemory, readonly frames: FrameAllocator) {
    this.cr3 = frames.alloc();
  }

  /** The physical address of the PDE for `vaddr`. */
  pdeAddr(vaddr: number): number {
    return this.cr3 + (vaddr >>> 22) * 4;
  }

  /** The physical address of the PTE for `vaddr`, making its page table (with `pdeFlags`) if needed. */
  pteAddr(vaddr: number, pdeFlags = TABLE_FLAGS): number {
    let pde = this.memory.read32(this.pdeAddr(vaddr));
    if (!(pde & PTE_P)) {
      pde = (this.frames.alloc() | pdeFlags) >>> 0;
      this.memory.write32(this.pdeAddr(vaddr), pde);
    }
    return ((pde & 0xffff_f000) >>> 0) + ((vaddr >>> 12) & 0x3ff) * 4;
  }

  /** Map the 4 KiB page at `vaddr` to `paddr` with `flags` (P is not implied). */
  map(vaddr: number, paddr: number, flags: number, pdeFlags = TABLE_FLAGS): number {
    const at = this.pteAddr(vaddr, pdeFlags);
    this.memory.write32(at, ((paddr & 0xffff_f000) | flags) >>> 0);
    return at;
  }

  /** Map a 4 MiB page with a PS=1 directory entry (needs CR4.PSE to mean anything). */
  map4M(vaddr: number, paddr: number, flags: number): number {
    const at = this.pdeAddr(vaddr);
    this.memory.write32(at, ((paddr & 0xffc0_0000) | flags | PTE_PS) >>> 0);
    return at;
  }

  /** The leaf entry for `vaddr` as it stands (0 when there is no page table). */
  pte(vaddr: number): number {
    const pde = this.memory.read32(this.pdeAddr(vaddr));
    if (!(pde & PTE_P)) return 0;
    return this.memory.read32(((pde & 0xffff_f000) >>> 0) + ((vaddr >>> 12) & 0x3ff) * 4);
  }

  pde(vaddr: number): number {
    return this.memory.read32(this.pdeAddr(vaddr));
  }
}

/** A PAE three-level address space under construction: four PDPTEs, 512-entry tables of 8-byte entries. */
export class BuilderPae {
  /** CR3 points at the 32-byte PDPT, which we give a frame of its own. */
  readonly cr3: number;
  constructor(readonly memory: PhysicalMemory, readonly frames: FrameAllocator) {
    this.cr3 = frames.alloc();
  }

  private table(entryAddr: number, flags: number): number {
    let lo = this.memory.read32(entryAddr);
    if (!(lo & PTE_P)) {
      lo = (this.frames.alloc() | flags) >>> 0;
      this.memory.write32(entryAddr, lo);
      this.memory.write32(entryAddr + 4, 0);
    }
    return (lo & 0xffff_f000) >>> 0;
  }

  /** Physical address of the PDE for `vaddr` (PDPTEs carry only P: their other rights bits are reserved). */
  pdeAddr(vaddr: number): number {
    const pd = this.table(this.cr3 + (vaddr >>> 30) * 8, PTE_P);
    return pd + ((vaddr >>> 21) & 0x1ff) * 8;
  }

  pteAddr(vaddr: number, pdeFlags = TABLE_FLAGS): number {
    const pt = this.table(this.pdeAddr(vaddr), pdeFlags);
    return pt + ((vaddr >>> 12) & 0x1ff) * 8;
  }

  /** Map a 4 KiB page; `xd` sets bit 63. */
  map(vaddr: number, paddr: number, flags: number, xd = false, pdeFlags = TABLE_FLAGS): number {
    const at = this.pteAddr(vaddr, pdeFlags);
    this.memory.write32(at, ((paddr & 0xffff_f000) | flags) >>> 0);
    this.memory.write32(at + 4, (xd ? 0x8000_0000 : 0) + Math.floor(paddr / 2 ** 32));
    return at;
  }

  /** Map a 2 MiB page with a PS=1 PDE. */
  map2M(vaddr: number, paddr: number, flags: number, xd = false): number {
    const at = this.pdeAddr(vaddr);
    this.memory.write32(at, ((paddr & 0xffe0_0000) | flags | PTE_PS) >>> 0);
    this.memory.write32(at + 4, (xd ? 0x8000_0000 : 0) + Math.floor(paddr / 2 ** 32));
    return at;
  }
}
