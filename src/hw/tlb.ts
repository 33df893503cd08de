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
 * Where things sit in an entry's row. A `const enum`, so every use compiles
 * to a plain number: the hot path must not pay a variable load per offset.
 * The MMU's hot path reads and fills rows itself, so it is exported.
 */
export const enum Row {
  /** The hit keys for READ, WRITE and FETCH: at the offsets the access kinds are. */
  KEY_READ = 0,
  KEY_WRITE = 1,
  KEY_FETCH = 2,
  BASE = 3,
  TAG = 4,
  RIGHTS = 5,
  SHIFT = 6,
  SIZE = 8,
  /** TAG of an empty entry. */
  EMPTY = -1,
  /** TAG of a wide entry: its page number and base are in `wideTag` and `wideBase`. */
  WIDE = -2,
  /** BASE of a wide entry: a value no page base has, telling the MMU to ask `lookupWide`. */
  ASK = 1,
}

/** The `allows` table of each policy met so far, shared by every TLB: a table depends on nothing else. */
const ALLOWS_FOR = new Map<string, Uint8Array>();

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
 * Each entry is one row of eight 32-bit integers in `rows`: the three hit
 * keys, the page base, the page number, the rights and the page size. A hit
 * reads one row and a fill writes one, so the MMU touches a single small
 * array. Only a translation that fits in 31 bits both ways lives wholly in
 * its row: a 32-bit linear page onto a physical page below 2 GiB. The rest
 * (IA-32e pages, and pages above 2 GiB) are *wide*: their row has no hit
 * keys, and `lookupWide` answers for them from full-width copies.
 */
export class Tlb {
  readonly mask: number;
  /** Entry `s` at `s * 8`: hit keys for READ, WRITE and FETCH, page base, page number, rights, page shift. */
  readonly rows: Int32Array;
  private readonly wideTag: Float64Array;
  private readonly wideBase: Float64Array;
  /** 0 in IA-32e mode, where linear page numbers are wider than the hit keys: every entry is wide. */
  narrow = 1;
  /** Entries currently holding a piece of a large page: INVLPG must search when nonzero. */
  private largeCount = 0;
  /** Whether a wide entry has been made since the last full flush: until one is, no miss need ask `lookupWide`. */
  mayHoldWide = false;
  /**
   * For every combination of rights bits (R_* fit in ten bits), which access
   * kinds the current policy allows: bit `k` set for kind `k`. Derived once
   * per policy change, so filling an entry after a walk is a table lookup.
   * The MMU's fast miss path reads it too, to know a walk would succeed.
   */
  readonly allows = new Uint8Array(1 << 10);
  /** Walks that filled an entry (the MMU counts them; a hit costs nothing to count). */
  misses = 0;

  constructor(readonly size = 1024) {
    if (size <= 0 || (size & (size - 1)) !== 0) throw new RangeError(`TLB size must be a power of two, got ${size}`);
    this.mask = size - 1;
    this.rows = new Int32Array(size * Row.SIZE);
    this.wideTag = new Float64Array(size);
    this.wideBase = new Float64Array(size);
    this.rows.fill(-1);
  }

  /** The rights each access kind needs and must not have (R_D is in WRITE's need). */
  setPolicy(need: ArrayLike<number>, forbid: ArrayLike<number>): void {
    // A few policies come back again and again (kernel, user): derive each table once.
    const key = `${need[0]} ${need[1]} ${need[2]} ${forbid[0]} ${forbid[1]} ${forbid[2]}`;
    let table = ALLOWS_FOR.get(key);
    if (table === undefined) {
      table = new Uint8Array(this.allows.length);
      for (let r = 0; r < table.length; r++) {
        let kinds = 0;
        for (let k = 0; k < 3; k++) if ((r & need[k]!) === need[k]! && (r & forbid[k]!) === 0) kinds |= 1 << k;
        table[r] = kinds;
      }
      ALLOWS_FOR.set(key, table);
    }
    this.allows.set(table);
    for (let at = 0; at < this.rows.length; at += Row.SIZE) {
      const vpn = this.rows[at + Row.TAG]!;
      if (vpn >= 0) this.setKeys(at, vpn, this.rows[at + Row.RIGHTS]!);
    }
  }

  /** Remember a walk's result for linear page `vpn`. */
  insert(vpn: number, pageBase: number, rights: number, pageShift: number): void {
    if (this.narrow === 0 || vpn >= 0x8000_0000 || pageBase >= 0x8000_0000) return this.insertWide(vpn, pageBase, rights, pageShift);
    const at = (vpn & this.mask) * Row.SIZE;
    const rows = this.rows;
    if (pageShift > PAGE_SHIFT || rows[at + Row.SHIFT]! > PAGE_SHIFT) this.countLarge(at, pageShift);
    this.setKeys(at, vpn, rights);
    rows[at + Row.BASE] = pageBase;
    rows[at + Row.TAG] = vpn;
    rows[at + Row.RIGHTS] = rights;
    rows[at + Row.SHIFT] = pageShift;
  }

  /** A wide entry: no hit keys, so every use of it comes through `lookupWide`. */
  private insertWide(vpn: number, pageBase: number, rights: number, pageShift: number): void {
    this.mayHoldWide = true;
    const slot = this.slotOf(vpn);
    const at = slot * Row.SIZE;
    this.countLarge(at, pageShift);
    const rows = this.rows;
    rows.fill(-1, at, at + Row.BASE);
    rows[at + Row.BASE] = Row.ASK;
    rows[at + Row.TAG] = Row.WIDE;
    rows[at + Row.RIGHTS] = rights;
    rows[at + Row.SHIFT] = pageShift;
    this.wideTag[slot] = vpn;
    this.wideBase[slot] = pageBase;
  }

  /**
   * The hit the keys cannot give: the page base if the entry for `vpn` is
   * wide, is `vpn`'s, and allows `kind`; else -1. (A narrow entry that
   * allowed `kind` would already have hit on its key.)
   */
  lookupWide(vpn: number, kind: number): number {
    const slot = this.slotOf(vpn);
    const at = slot * Row.SIZE;
    if (this.rows[at + Row.TAG] !== Row.WIDE || this.wideTag[slot] !== vpn) return -1;
    return this.allows[this.rows[at + Row.RIGHTS]!]! & (1 << kind) ? this.wideBase[slot]! : -1;
  }

  /** Whether the entry `vpn` maps to may hit only through `lookupWide`. */
  isWide(vpn: number): boolean {
    return this.mayHoldWide && this.rows[(vpn & this.mask) * Row.SIZE + Row.BASE] === Row.ASK;
  }

  /** Forget everything, global entries included (a paging-mode change, or CR4.PGE toggled). */
  flushAll(): void {
    // All -1: keys that never match, and an empty TAG.
    this.rows.fill(-1);
    this.largeCount = 0;
    this.mayHoldWide = false;
  }

  /** Forget everything but global entries: what a CR3 write does when CR4.PGE=1. */
  flushNonGlobal(): void {
    // BEGIN SOLUTION ex06-tlb-flush
    for (let slot = 0; slot < this.size; slot++) {
      if (this.live(slot) && !(this.rightsOf(slot) & R_G)) this.drop(slot);
    }
    // END SOLUTION ex06-tlb-flush
    // BEGIN STUB ex06-tlb-flush
    // todo('ex06-tlb-flush', 'drop every live entry whose rights lack R_G; keep the Global ones');
    // END STUB ex06-tlb-flush
  }

  /** INVLPG: forget the page holding linear page `vpn`, global or not, whatever its size. */
  invalidatePage(vpn: number): void {
    const slot = this.slotOf(vpn);
    if (this.live(slot) && this.tagOf(slot) === vpn) this.drop(slot);
    if (this.largeCount === 0) return;
    for (let s = 0; s < this.size; s++) {
      if (!this.live(s)) continue;
      const pages = 2 ** (this.rows[s * Row.SIZE + Row.SHIFT]! - PAGE_SHIFT);
      if (pages > 1 && Math.floor(this.tagOf(s) / pages) === Math.floor(vpn / pages)) this.drop(s);
    }
  }

  /** The live entries, in slot order. */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let slot = 0; slot < this.size; slot++) {
      if (!this.live(slot)) continue;
      const at = slot * Row.SIZE;
      const wide = this.rows[at + Row.TAG] === Row.WIDE;
      out.push({
        vpn: this.tagOf(slot),
        pageBase: wide ? this.wideBase[slot]! : this.rows[at + Row.BASE]!,
        rights: this.rightsOf(slot),
        pageShift: this.rows[at + Row.SHIFT]!,
      });
    }
    return out;
  }

  /** The slot for a page number; a mask for 31-bit page numbers, the (slower) remainder for wider ones. */
  slotOf(vpn: number): number {
    return vpn < 0x8000_0000 ? vpn & this.mask : vpn % this.size;
  }

  /** Whether slot `slot` holds a translation. */
  live(slot: number): boolean {
    return this.rows[slot * Row.SIZE + Row.TAG] !== Row.EMPTY;
  }

  /** The effective rights (R_* bits) the entry in slot `slot` grants. */
  rightsOf(slot: number): number {
    return this.rows[slot * Row.SIZE + Row.RIGHTS]!;
  }

  /** Forget the entry in slot `slot`. */
  drop(slot: number): void {
    const at = slot * Row.SIZE;
    if (this.holdsLarge(at)) this.largeCount--;
    this.rows.fill(-1, at, at + Row.SIZE);
  }

  private tagOf(slot: number): number {
    const vpn = this.rows[slot * Row.SIZE + Row.TAG]!;
    return vpn === Row.WIDE ? this.wideTag[slot]! : vpn;
  }

  /** Keep the large-page count right as the entry at `at` is replaced by one of 2^`pageShift` bytes. */
  private countLarge(at: number, pageShift: number): void {
    if (this.holdsLarge(at)) this.largeCount--;
    if (pageShift > PAGE_SHIFT) this.largeCount++;
  }

  /** Whether the row at `at` holds a piece of a large page. */
  private holdsLarge(at: number): boolean {
    return this.rows[at + Row.TAG] !== Row.EMPTY && this.rows[at + Row.SHIFT]! > PAGE_SHIFT;
  }

  /** An entry's hit keys: `vpn` for each access kind its rights allow under the current policy, else -1. */
  private setKeys(at: number, vpn: number, rights: number): void {
    const kinds = this.allows[rights]!;
    const rows = this.rows;
    rows[at] = kinds & 1 ? vpn : -1;
    rows[at + 1] = kinds & 2 ? vpn : -1;
    rows[at + 2] = kinds & 4 ? vpn : -1;
  }
}
// #endregion HW-tlb
