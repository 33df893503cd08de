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
 *
 * Rights are checked on every use, but not by re-deciding them: for each
 * access kind, the entry's *hit key* for that kind is its page number only if
 * the cached rights allow that kind under the current policy (and, for
 * writes, the page is already Dirty), else -1. A hit is then one comparison.
 * When CPL or a control bit changes the policy, `setPolicy` re-derives the
 * keys; the translations themselves stay, as on a real processor.
 *
 * The keys and the page base live together in `hot`, four 32-bit integers a
 * slot (`[read, write, fetch, base]`), so the MMU's hot path touches one
 * small array. Only a translation that fits in 32 bits both ways gets keys
 * there: a 32-bit linear page onto a physical page below 4 GiB. The rest
 * (IA-32e pages, PAE pages above 4 GiB) are looked up by `lookup`, which asks
 * the same question of the full-width `tag` and `base`.
 */
export class Tlb {
  readonly mask: number;
  /** Linear page number held by each entry; -1 when empty. */
  readonly tag: Float64Array;
  /** Physical address of each entry's 4 KiB page, full width. */
  readonly base: Float64Array;
  /** Slot `s` at `s * 4`: hit keys for READ, WRITE and FETCH, then the page base's low 32 bits. */
  readonly hot: Int32Array;
  /** False in IA-32e mode, where linear page numbers are wider than the hot keys. */
  narrow = true;
  /** Effective rights (R_* bits) each entry grants. */
  readonly rights: Uint16Array;
  readonly shift: Uint8Array;
  /** Entries currently holding a piece of a large page: INVLPG must search when nonzero. */
  private largeCount = 0;
  private readonly need = new Uint16Array(3);
  private readonly forbid = new Uint16Array(3);
  /**
   * For every combination of rights bits (R_* fit in ten bits), which access
   * kinds the current policy allows: bit `k` set for kind `k`. Derived once
   * per policy change, so filling an entry after a walk is a table lookup.
   */
  private readonly allows = new Uint8Array(1 << 10);
  /** Walks that filled an entry (the MMU counts them; a hit costs nothing to count). */
  misses = 0;

  constructor(readonly size = 1024) {
    if (size <= 0 || (size & (size - 1)) !== 0) throw new RangeError(`TLB size must be a power of two, got ${size}`);
    this.mask = size - 1;
    this.tag = new Float64Array(size).fill(-1);
    this.base = new Float64Array(size);
    this.hot = new Int32Array(size * 4).fill(-1);
    this.rights = new Uint16Array(size);
    this.shift = new Uint8Array(size);
  }

  /** The rights each access kind needs and must not have (R_D is in WRITE's need). */
  setPolicy(need: ArrayLike<number>, forbid: ArrayLike<number>): void {
    for (let k = 0; k < 3; k++) {
      this.need[k] = need[k]!;
      this.forbid[k] = forbid[k]!;
    }
    for (let r = 0; r < this.allows.length; r++) {
      let kinds = 0;
      for (let k = 0; k < 3; k++) if ((r & need[k]!) === need[k]! && (r & forbid[k]!) === 0) kinds |= 1 << k;
      this.allows[r] = kinds;
    }
    for (let slot = 0; slot < this.size; slot++) if (this.tag[slot] !== -1) this.deriveHits(slot);
  }

  /** Remember a walk's result for linear page `vpn`. */
  insert(vpn: number, pageBase: number, rights: number, pageShift: number): void {
    const slot = this.slotOf(vpn);
    if (this.shift[slot]! > PAGE_SHIFT && this.tag[slot] !== -1) this.largeCount--;
    if (pageShift > PAGE_SHIFT) this.largeCount++;
    this.tag[slot] = vpn;
    this.base[slot] = pageBase;
    this.rights[slot] = rights;
    this.shift[slot] = pageShift;
    this.setHits(slot, vpn, pageBase, rights);
  }

  /** The slow hit: the cached page base if `vpn` is here and allows `kind`, else -1. */
  lookup(vpn: number, kind: number): number {
    const slot = this.slotOf(vpn);
    if (this.tag[slot] !== vpn || !(this.allows[this.rights[slot]!]! & (1 << kind))) return -1;
    return this.base[slot]!;
  }

  /** Forget everything, global entries included (a paging-mode change, or CR4.PGE toggled). */
  flushAll(): void {
    this.tag.fill(-1);
    this.hot.fill(-1);
    this.largeCount = 0;
  }

  /** Forget everything but global entries: what a CR3 write does when CR4.PGE=1. */
  flushNonGlobal(): void {
    // BEGIN SOLUTION ex06-tlb-flush
    for (let slot = 0; slot < this.size; slot++) {
      if (this.tag[slot] !== -1 && !(this.rights[slot]! & R_G)) this.drop(slot);
    }
    // END SOLUTION ex06-tlb-flush
    // BEGIN STUB ex06-tlb-flush
    // todo('ex06-tlb-flush', 'drop every live entry whose rights lack R_G; keep the Global ones');
    // END STUB ex06-tlb-flush
  }

  /** INVLPG: forget the page holding linear page `vpn`, global or not, whatever its size. */
  invalidatePage(vpn: number): void {
    const slot = this.slotOf(vpn);
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

  /** The slot for a page number; a mask for 32-bit page numbers, the (slower) remainder for wider ones. */
  slotOf(vpn: number): number {
    return vpn < 0x8000_0000 ? vpn & this.mask : vpn % this.size;
  }

  private deriveHits(slot: number): void {
    this.setHits(slot, this.tag[slot]!, this.base[slot]!, this.rights[slot]!);
  }

  /** Write slot `slot`'s hit keys and narrow page base into `hot`. */
  private setHits(slot: number, vpn: number, pageBase: number, rights: number): void {
    const at = slot * 4;
    const hot = this.hot;
    // Wide pages never get hot keys: `lookup` finds them.
    const key = this.narrow && pageBase < 0x8000_0000 ? vpn : -1;
    const kinds = this.allows[rights]!;
    hot[at] = kinds & 1 ? key : -1;
    hot[at + 1] = kinds & 2 ? key : -1;
    hot[at + 2] = kinds & 4 ? key : -1;
    hot[at + 3] = pageBase | 0;
  }

  private drop(slot: number): void {
    if (this.shift[slot]! > PAGE_SHIFT) this.largeCount--;
    this.tag[slot] = -1;
    this.hot.fill(-1, slot * 4, slot * 4 + 3);
  }
}
// #endregion HW-tlb
