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
 * A direct-mapped TLB: entry `vpn % size` remembers one translation, with the
 * effective rights its walk found. Large pages are cached as the 4 KiB pieces
 * that were used, which the SDM allows (§4.10.2.3); INVLPG of any address in a
 * large page drops all its pieces. Rights are checked on every use, under the
 * privilege level and control bits of the moment; the translations stay when
 * those change, as on a real processor. How an entry is laid out, and how a
 * hit is one comparison, is the appendix's story (the SIM-tlb-rows region).
 */
export class Tlb {
  /** Remember a walk's result for linear page `vpn`. */
  insert(vpn: number, pageBase: number, rights: number, pageShift: number): void {
    if (this.narrow === 0 || vpn >= 0x8000_0000 || pageBase >= 0x8000_0000) return this.insertWide(vpn, pageBase, rights, pageShift);
    const slot = vpn & this.mask;
    const at = slot * Row.SIZE;
    if (!this.live(slot)) this.noteFilled(slot);
    if (pageShift > PAGE_SHIFT || this.holdsLarge(slot)) this.countLarge(slot, pageShift);
    this.setKeys(at, vpn, rights);
    this.rows[at + Row.BASE] = pageBase;
    this.rows[at + Row.TAG] = vpn;
    this.meta[slot] = rights | (pageShift << Meta.SHIFT);
  }

  /** Forget everything, global entries included (a paging-mode change, or CR4.PGE toggled). */
  flushAll(): void {
    // All -1: keys that never match, an empty TAG, an empty meta word.
    if (this.filled > this.used.length) {
      this.rows.fill(-1);
      this.meta.fill(-1);
    } else {
      for (let i = 0; i < this.filled; i++) this.clear(this.used[i]!);
    }
    this.filled = 0;
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
      const pages = 2 ** (this.shiftOf(s) - PAGE_SHIFT);
      if (pages > 1 && Math.floor(this.tagOf(s) / pages) === Math.floor(vpn / pages)) this.drop(s);
    }
  }

  /** The live entries, in slot order. */
  entries(): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let slot = 0; slot < this.size; slot++) {
      if (!this.live(slot)) continue;
      const wide = this.rows[slot * Row.SIZE + Row.TAG] === Row.WIDE;
      out.push({
        vpn: this.tagOf(slot),
        pageBase: wide ? this.wideBase[slot]! : this.rows[slot * Row.SIZE + Row.BASE]!,
        rights: this.rightsOf(slot),
        pageShift: this.shiftOf(slot),
      });
    }
    return out;
  }

  // #endregion HW-tlb

  // #region SIM-tlb-rows
  /*
   * Rights are checked on every use, but not by re-deciding them: for each
   * access kind, the entry's *hit key* for that kind is its page number only if
   * the cached rights allow that kind under the current policy (and, for
   * writes, the page is already Dirty), else -1. A hit is then one comparison.
   *
   * A kernel goes between user and supervisor mode all the time, on every
   * system call, fault and interrupt, so each entry keeps two sets of keys:
   * one for CPL 3 and one for CPL 0-2. A change of privilege level only
   * chooses the other set. When a control bit changes what the supervisor may
   * do (CR0.WP, CR4.SMEP and SMAP, EFLAGS.AC), `setPolicy` re-derives the
   * keys; the translations themselves stay, as on a real processor.
   *
   * Each entry is one row of eight 32-bit integers in `rows`: the supervisor's
   * three keys, the page base, the user's three keys and the page number; and
   * one word in `meta`, its rights and page size. A hit reads one row and a
   * fill writes one, so the MMU touches a single small array. Only a
   * translation that fits in 31 bits both ways lives wholly in its row: a
   * 32-bit linear page onto a physical page below 2 GiB. The rest (IA-32e
   * pages, and pages above 2 GiB) are *wide*: their row has no hit keys, and
   * `lookupWide` answers for them from full-width copies.
   */
  readonly mask: number;
  /** Entry `s` at `s * 8`: supervisor keys for READ, WRITE and FETCH, page base, user keys, page number. */
  readonly rows: Int32Array;
  /** Entry `s`'s rights and page shift (see `Meta`). */
  readonly meta: Int32Array;
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
   * kinds the policy allows: bit `k` set for kind `k`. One table for the
   * supervisor and one for the user, each derived once per policy and shared;
   * `allows` is the one for the current privilege level. Filling an entry
   * after a walk is then two table lookups, and the MMU's fast miss path reads
   * `allows` too, to know a walk would succeed.
   */
  allows: Uint8Array;
  private allowsSupervisor: Uint8Array;
  private allowsUser: Uint8Array;
  /** Walks that filled an entry (the MMU counts them; a hit costs nothing to count). */
  misses = 0;
  /**
   * The slots filled since the last full flush, while there are few: a CR3
   * write then clears just those rows, not all of them (a kernel writes CR3
   * at every context switch, and a process touches a few dozen pages between
   * two). Once `filled` passes its length, a flush clears everything.
   */
  readonly used: Int32Array;
  filled = 0;

  constructor(readonly size = 1024) {
    if (size <= 0 || (size & (size - 1)) !== 0) throw new RangeError(`TLB size must be a power of two, got ${size}`);
    this.mask = size - 1;
    this.rows = new Int32Array(size * Row.SIZE);
    this.meta = new Int32Array(size);
    this.used = new Int32Array(Math.max(1, size >> 3));
    this.wideTag = new Float64Array(size);
    this.wideBase = new Float64Array(size);
    this.rows.fill(-1);
    this.meta.fill(-1);
    // Until the MMU says otherwise, nothing is allowed: every combination of rights allows no kind.
    this.allows = this.allowsSupervisor = this.allowsUser = new Uint8Array(1 << 10);
  }

  /**
   * The table of a policy: the rights each access kind needs and must not
   * have (R_D is in WRITE's need). A few policies come back again and again,
   * so each is derived once and shared by every TLB.
   */
  static allowsTable(need: ArrayLike<number>, forbid: ArrayLike<number>): Uint8Array {
    const key = `${need[0]} ${need[1]} ${need[2]} ${forbid[0]} ${forbid[1]} ${forbid[2]}`;
    let table = ALLOWS_FOR.get(key);
    if (table === undefined) {
      table = new Uint8Array(1 << 10);
      for (let r = 0; r < table.length; r++) {
        let kinds = 0;
        for (let k = 0; k < 3; k++) if ((r & need[k]!) === need[k]! && (r & forbid[k]!) === 0) kinds |= 1 << k;
        table[r] = kinds;
      }
      ALLOWS_FOR.set(key, table);
    }
    return table;
  }

  /**
   * The supervisor's and the user's tables, and which one is in force. Only
   * a change of table re-derives the keys; a change of privilege level alone
   * costs nothing here.
   */
  setPolicy(supervisor: Uint8Array, user: Uint8Array, atUser: boolean): void {
    this.allows = atUser ? user : supervisor;
    if (supervisor === this.allowsSupervisor && user === this.allowsUser) return;
    this.allowsSupervisor = supervisor;
    this.allowsUser = user;
    for (let at = 0; at < this.rows.length; at += Row.SIZE) {
      const vpn = this.rows[at + Row.TAG]!;
      if (vpn >= 0) this.setKeys(at, vpn, this.meta[at / Row.SIZE]! & Meta.RIGHTS);
    }
  }

  /** A wide entry: no hit keys, so every use of it comes through `lookupWide`. */
  private insertWide(vpn: number, pageBase: number, rights: number, pageShift: number): void {
    this.mayHoldWide = true;
    const slot = this.slotOf(vpn);
    const at = slot * Row.SIZE;
    if (!this.live(slot)) this.noteFilled(slot);
    this.countLarge(slot, pageShift);
    const rows = this.rows;
    rows.fill(-1, at, at + Row.SIZE);
    rows[at + Row.BASE] = Row.ASK;
    rows[at + Row.TAG] = Row.WIDE;
    this.meta[slot] = rights | (pageShift << Meta.SHIFT) | Meta.WIDE;
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
    if (this.rows[slot * Row.SIZE + Row.TAG] !== Row.WIDE || this.wideTag[slot] !== vpn) return -1;
    return this.allows[this.rightsOf(slot)]! & (1 << kind) ? this.wideBase[slot]! : -1;
  }

  /** Whether the entry `vpn` maps to may hit only through `lookupWide`. */
  isWide(vpn: number): boolean {
    return this.mayHoldWide && this.rows[(vpn & this.mask) * Row.SIZE + Row.BASE] === Row.ASK;
  }

  /** A slot that was empty now holds an entry: remember it for the next flush. */
  noteFilled(slot: number): void {
    if (this.filled < this.used.length) this.used[this.filled] = slot;
    this.filled++;
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
    return this.meta[slot]! & Meta.RIGHTS;
  }

  /** Forget the entry in slot `slot`. */
  drop(slot: number): void {
    if (this.holdsLarge(slot)) this.largeCount--;
    this.clear(slot);
  }

  /** Empty slot `slot`'s row and word. */
  private clear(slot: number): void {
    const rows = this.rows;
    for (let at = slot * Row.SIZE, end = at + Row.SIZE; at < end; at++) rows[at] = -1;
    this.meta[slot] = -1;
  }

  private tagOf(slot: number): number {
    const vpn = this.rows[slot * Row.SIZE + Row.TAG]!;
    return vpn === Row.WIDE ? this.wideTag[slot]! : vpn;
  }

  /** log2 of the size of the page the entry in slot `slot` is a piece of. */
  private shiftOf(slot: number): number {
    return (this.meta[slot]! >> Meta.SHIFT) & 0xff;
  }

  /** Keep the large-page count right as the entry in `slot` is replaced by one of 2^`pageShift` bytes. */
  private countLarge(slot: number, pageShift: number): void {
    if (this.holdsLarge(slot)) this.largeCount--;
    if (pageShift > PAGE_SHIFT) this.largeCount++;
  }

  /** Whether slot `slot` holds a piece of a large page. */
  private holdsLarge(slot: number): boolean {
    return this.live(slot) && this.shiftOf(slot) > PAGE_SHIFT;
  }

  /** An entry's hit keys: `vpn` for each access kind its rights allow, in each privilege level's set, else -1. */
  private setKeys(at: number, vpn: number, rights: number): void {
    const supervisor = this.allowsSupervisor[rights]!;
    const user = this.allowsUser[rights]!;
    const rows = this.rows;
    rows[at] = supervisor & 1 ? vpn : -1;
    rows[at + 1] = supervisor & 2 ? vpn : -1;
    rows[at + 2] = supervisor & 4 ? vpn : -1;
    rows[at + Row.USER] = user & 1 ? vpn : -1;
    rows[at + Row.USER + 1] = user & 2 ? vpn : -1;
    rows[at + Row.USER + 2] = user & 4 ? vpn : -1;
  }
}

/**
 * Where things sit in an entry's row. A `const enum`, so every use compiles
 * to a plain number: the hot path must not pay a variable load per offset.
 * The MMU's hot path reads and fills rows itself, so it is exported.
 */
export const enum Row {
  /** The supervisor's hit keys for READ, WRITE and FETCH: at the offsets the access kinds are. */
  KEY_READ = 0,
  KEY_WRITE = 1,
  KEY_FETCH = 2,
  BASE = 3,
  /** Where the user's three hit keys start: the same kinds, for CPL 3. */
  USER = 4,
  TAG = 7,
  SIZE = 8,
  /** TAG of an empty entry. */
  EMPTY = -1,
  /** TAG of a wide entry: its page number and base are in `wideTag` and `wideBase`. */
  WIDE = -2,
  /** BASE of a wide entry: a value no page base has, telling the MMU to ask `lookupWide`. */
  ASK = 1,
}

/**
 * An entry's other word, in `meta`: its rights in the low bits, its page
 * shift from bit 16, and bit 30 if it is wide; -1 when the slot is empty.
 * A slot whose word is below `PLAIN` holds nothing, or a 4 KiB page that
 * fits its row: the only kind the MMU's fast miss path may overwrite.
 */
export const enum Meta {
  SHIFT = 16,
  RIGHTS = 0xffff,
  WIDE = 1 << 30,
  PLAIN = 13 << 16,
}

/** The `allows` table of each policy met so far, shared by every TLB: a table depends on nothing else. */
const ALLOWS_FOR = new Map<string, Uint8Array>();
// #endregion SIM-tlb-rows
