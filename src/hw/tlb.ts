/*
 * The translation lookaside buffer: the processor's memory of walks it has
 * already done. It is why page tables are fast, and why changing one is
 * subtle: the processor goes on using what it remembers until told to forget.
 */
import { PAGE_SHIFT } from './phys-memory.ts';
import { R_G } from './rights.ts';

// #region HW-tlb
/** A snapshot of one TLB entry, for figures and tests. */
export interface TlbEntry {
  /** Linear page number (linear address >> 12, unsigned). */
  vpn: number;
  /** Physical address of the 4 KiB page. */
  pageBase: number;
  rights: number;
  /** log2 of the size of the page the walk found (a 4 MiB page is cached 4 KiB at a time). */
  pageShift: number;
}

/**
 * A direct-mapped TLB: entry `vpn % size` remembers one translation. Large
 * pages are cached as the 4 KiB pieces that were used, which the SDM allows
 * (§4.10.2.3); INVLPG of any address in a large page drops all its pieces.
 * The arrays are public because the MMU's hot path reads them directly.
 */
export class Tlb {
  readonly mask: number;
  /** Linear page number held by each entry; -1 when empty. */
  readonly tag: Float64Array;
  /** Physical address of the page each entry maps. */
  readonly base: Float64Array;
  /** Effective rights (R_* bits) each entry grants. */
  readonly rights: Uint16Array;
  readonly shift: Uint8Array;
  /** Entries currently holding a piece of a large page: INVLPG must search when nonzero. */
  private largeCount = 0;
  hits = 0;
  misses = 0;

  constructor(readonly size = 1024) {
    if (size <= 0 || (size & (size - 1)) !== 0) throw new RangeError(`TLB size must be a power of two, got ${size}`);
    this.mask = size - 1;
    this.tag = new Float64Array(size).fill(-1);
    this.base = new Float64Array(size);
    this.rights = new Uint16Array(size);
    this.shift = new Uint8Array(size);
  }

  /** Remember a walk's result for linear page `vpn`. */
  insert(vpn: number, pageBase: number, rights: number, pageShift: number): void {
    const slot = vpn % this.size;
    if (this.tag[slot] !== -1 && this.shift[slot]! > PAGE_SHIFT) this.largeCount--;
    this.tag[slot] = vpn;
    this.base[slot] = pageBase;
    this.rights[slot] = rights;
    this.shift[slot] = pageShift;
    if (pageShift > PAGE_SHIFT) this.largeCount++;
  }

  /** Forget everything, global entries included (a paging-mode change, or CR4.PGE toggled). */
  flushAll(): void {
    this.tag.fill(-1);
    this.largeCount = 0;
  }

  /** Forget everything but global entries: what a CR3 write does when CR4.PGE=1. */
  flushNonGlobal(): void {
    for (let slot = 0; slot < this.size; slot++) {
      if (this.tag[slot] !== -1 && !(this.rights[slot]! & R_G)) this.drop(slot);
    }
  }

  /** INVLPG: forget the page holding linear page `vpn`, global or not, whatever its size. */
  invalidatePage(vpn: number): void {
    const slot = vpn % this.size;
    if (this.tag[slot] === vpn) this.drop(slot);
    if (this.largeCount === 0) return;
    for (let s = 0; s < this.size; s++) {
      const pages = 2 ** (this.shift[s]! - PAGE_SHIFT);
      if (this.tag[s] !== -1 && pages > 1 && Math.floor(this.tag[s]! / pages) === Math.floor(vpn / pages)) this.drop(s);
    }
  }

  /** The live entries, in slot order. */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let slot = 0; slot < this.size; slot++) {
      if (this.tag[slot] !== -1) {
        out.push({ vpn: this.tag[slot]!, pageBase: this.base[slot]!, rights: this.rights[slot]!, pageShift: this.shift[slot]! });
      }
    }
    return out;
  }

  private drop(slot: number): void {
    if (this.shift[slot]! > PAGE_SHIFT) this.largeCount--;
    this.tag[slot] = -1;
  }
}
// #endregion HW-tlb
