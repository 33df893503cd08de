/*
 * Nested paging: the processor's second dimension. With it on, every address
 * the Guest's own walk produces is Guest-physical, and the processor
 * translates each one through a second set of tables that belong to the
 * Host (Intel's EPT, AMD's NPT) before it may touch memory: the Guest's CR3,
 * each table an entry names, and the page at the end. The TLB keeps the
 * whole answer, Guest-virtual to Host-physical, so a hit costs what it
 * always did. A miss costs a walk of walks.
 */
import type { PhysicalMemory } from './phys-memory.ts';
import { checkedMaxPhysAddr, reservedAddressBits } from './pte.ts';
import { R_D, R_RW, R_US, R_XD, READ, WRITE, type AccessKind } from './rights.ts';
import type { WalkMachine, WalkMemory, WalkResult } from './walk.ts';

// #region N-ept-entry
/** EPT entry bits 0 to 2: may read, may write, may execute. An entry with none of them is not present. */
export const EPT_R = 1 << 0;
export const EPT_W = 1 << 1;
export const EPT_X = 1 << 2;
/** Bits 5:3 of a leaf: its memory type, 6 for write-back, what RAM gets. Carried, never acted on. */
export const EPT_WB = 6 << 3;
/** Bit 7: in a PDPTE or PDE, a 1 GiB or 2 MiB page. This model maps 4 KiB pages only. */
export const EPT_LARGE = 1 << 7;
/**
 * Bits 7:3 of an entry that names a table: reserved (SDM 3C, 29.3.3.1).
 * Bit 7 is the large-page bit of a PDPTE or PDE, which our processor, not
 * reporting 1 GiB or 2 MiB EPT pages, reserves too.
 */
const EPT_TABLE_RESERVED = 0xf8;
/** Memory types 2, 3 and 7 are reserved: a leaf with one is misconfigured. */
const BAD_MEMORY_TYPES = (1 << 2) | (1 << 3) | (1 << 7);
/** What a Host's tables say for ordinary Guest memory: every right, write-back. */
export const EPT_RAM = EPT_R | EPT_W | EPT_X | EPT_WB;
/** The EPT right each access kind needs, by kind. */
const EPT_NEEDS = [EPT_R, EPT_W, EPT_X] as const;
/** The four levels of the Host's tables, named as the SDM names them. */
export const EPT_LEVELS = ['EPT PML4E', 'EPT PDPTE', 'EPT PDE', 'EPT PTE'] as const;
/** Memory references one nested walk makes: an entry per level. */
export const EPT_DEPTH = EPT_LEVELS.length;

const KIND_NAMES = ['read', 'write', 'fetch'] as const;

/**
 * An EPT violation: the Host's tables do not let this access reach this
 * Guest-physical address. It is not a page fault, and the Guest never sees
 * it. The processor leaves the Guest (a VM exit) with the address, what was
 * being done and whether it was the Guest's own walk reading a table, and
 * the Host decides: map the page and go back, or not.
 */
export class EptViolation extends Error {
  constructor(
    readonly gpa: number,
    readonly kind: AccessKind,
    /** True when the access was the Guest's walk reading (or updating) one of its own tables; false for the page at the end. */
    readonly duringWalk: boolean,
    /** The Guest-linear address being translated (with the Guest's paging off, the same as `gpa`; -1 for a PDPT entry loaded at a CR3 load). */
    readonly linear: number,
    /** The rights the Host's entries gave, ANDed over the levels walked: 0 when a level was missing. */
    readonly allowed: number,
  ) {
    super(`EPT violation: ${KIND_NAMES[kind]} of guest-physical 0x${gpa.toString(16)}${duringWalk ? ', reading a Guest page table' : ''} (the Host's tables give ${allowed & 7 ? rightsName(allowed) : 'nothing'})`);
    this.name = 'EptViolation';
  }
}

/**
 * An entry the processor refuses (SDM 3C, 29.3.3.1): write without read;
 * execute without read, since our processor does not report the
 * execute-only capability (one that did would take it); a reserved bit
 * (51:MAXPHYADDR anywhere, 7:3 in an entry naming a table, which makes a
 * large page one too); a leaf of reserved memory type (2, 3 or 7). It is
 * the Host's mistake, not the Guest's: an EPT misconfiguration exit.
 */
export class EptMisconfig extends Error {
  constructor(readonly gpa: number, readonly level: string, readonly entry: number) {
    super(`EPT misconfiguration: ${level} 0x${(entry >>> 0).toString(16)} on the way to guest-physical 0x${gpa.toString(16)}`);
    this.name = 'EptMisconfig';
  }
}

const rightsName = (r: number) => `${r & EPT_R ? 'R' : '-'}${r & EPT_W ? 'W' : '-'}${r & EPT_X ? 'X' : '-'}`;
// #endregion N-ept-entry

// #region N-nested-walk
/** The Guest's paging mode, as the second dimension needs it: its walker, its entries' size and names. */
export interface GuestPaging {
  walk(m: WalkMachine, uaddr: number, kind: AccessKind, out: WalkResult): boolean;
  entrySize: 4 | 8;
  levels: readonly string[];
}

/** One memory reference of a walk, for figures and tests that want to see them all. */
export interface NestedRef {
  /** An entry of the Guest's tables, or of the Host's. */
  dimension: 'guest' | 'host';
  /** 'PDE', 'PTE'… for the Guest's; 'EPT PML4E'… for the Host's. */
  level: string;
  /** For a Guest entry, its own Guest-physical address; for a Host entry, the Guest-physical address being translated. */
  gpa: number;
  /** Where the entry is, in Host memory. */
  hpa: number;
  /** Its low word. */
  value: number;
}

export interface NestedOptions {
  /**
   * Entries in a page-walk cache of Guest-physical → Host-physical
   * translations (a nested TLB, as Bhargava and others proposed it; 0, the
   * default, for none). A hit saves a whole walk of the Host's tables.
   */
  walkCache?: number;
  /** MAXPHYADDR, as the Mmu's: the Host's entries reserve the address bits from it to 51. 40 by default. */
  maxPhysAddr?: number;
}

/**
 * The second dimension of one processor: the Host's tables (`eptp`, the
 * Host-physical address of their top level), what walking them has cost,
 * and the Guest's view of memory through them. The Mmu asks it on every
 * TLB miss while it is on (`Mmu.setNested`).
 */
export class NestedPaging {
  /** Every memory reference the second dimension caused: Guest entries, Host entries. */
  refs = 0;
  /** Two-dimensional walks (one per TLB miss), and the references they made. */
  walks = 0;
  walkRefs = 0;
  /** Walks of the Host's tables the walk cache saved, and the references those would have made. */
  cacheHits = 0;
  refsSaved = 0;
  /** Told of every reference as it is made, when someone listens. */
  onRef: ((ref: NestedRef) => void) | null = null;
  /** Guest-physical memory as the Guest's walk reads it: each address through the Host's tables first. */
  readonly guestMemory: WalkMemory;
  /** The rights the last translation found, ANDed over the Host's levels. */
  private allowed = 0;
  private readonly cacheTag: Float64Array;
  private readonly cacheBase: Float64Array;
  private readonly cacheRights: Uint8Array;
  private view: { cpu: WalkMachine; machine: WalkMachine } | null = null;
  // The entry the Guest's walk read last, so that the high half of an
  // eight-byte entry, and the Accessed bit set in it, count as the one
  // reference a processor makes of it.
  private entrySize: 4 | 8 = 8;
  private entryGpa = -1;
  private entryHpa = 0;
  private entryAllowed = 0;
  private linear = 0;
  private labels: readonly string[] = [];
  private reads = 0;
  /** The high-word bits of an entry that are reserved: 51:MAXPHYADDR. */
  private readonly reservedHi: number;

  constructor(readonly memory: PhysicalMemory, public eptp: number, options: NestedOptions = {}) {
    const size = options.walkCache ?? 0;
    this.reservedHi = reservedAddressBits(checkedMaxPhysAddr(options.maxPhysAddr ?? 40), 52);
    this.cacheTag = new Float64Array(size).fill(-1);
    this.cacheBase = new Float64Array(size);
    this.cacheRights = new Uint8Array(size);
    const self = this;
    this.guestMemory = {
      read32(gpa: number): number { return self.readGuest(gpa); },
      write32(gpa: number, value: number): void { self.writeGuest(gpa, value); },
    };
  }

  /**
   * One TLB miss: the Guest's own walk (`paging`, or none with its paging
   * off), reading its tables through the Host's, then the page it found,
   * through the Host's too. On success `out` holds the Host-physical page
   * and rights narrowed by the Host's: without write, the TLB copy lacks
   * Dirty (so a write walks again and meets the violation); without
   * execute, it is execute-disable. False is a page fault for the Guest,
   * its walk having set Accessed and Dirty as bare hardware would; an
   * EptViolation thrown is an exit for the Host.
   */
  walk(cpu: WalkMachine, uaddr: number, kind: AccessKind, out: WalkResult, paging: GuestPaging | null): boolean {
    const before = this.refs;
    this.walks++;
    try {
      if (paging === null) {
        // Paging off: the address is Guest-physical already, and there are no rights to check.
        out.pageBase = uaddr - (uaddr % 4096);
        out.pageShift = 12;
        out.rights = R_RW | R_US | R_D;
      } else {
        this.entries(paging.entrySize, paging.levels);
        this.linear = uaddr;
        if (paging.walk(this.machineFor(cpu), uaddr, kind, out) !== true) return false;
      }
      this.linear = uaddr;
      out.pageBase = this.translate(out.pageBase + (uaddr % 4096), kind, false);
      if (!(this.allowed & EPT_W)) out.rights &= ~R_D;
      if (!(this.allowed & EPT_X)) out.rights |= R_XD;
      return true;
    } finally {
      this.walkRefs += this.refs - before;
    }
  }

  /**
   * Guest-physical `gpa` to the Host-physical address of its 4 KiB page,
   * for an access of `kind`: four references into the Host's tables, or
   * none when the walk cache has it.
   */
  translate(gpa: number, kind: AccessKind, duringWalk: boolean): number {
    const gfn = Math.floor(gpa / 4096);
    const size = this.cacheTag.length;
    const slot = size ? gfn % size : 0;
    if (size && this.cacheTag[slot] === gfn && this.cacheRights[slot]! & EPT_NEEDS[kind]) {
      this.cacheHits++;
      this.refsSaved += EPT_DEPTH;
      this.allowed = this.cacheRights[slot]!;
      return this.cacheBase[slot]!;
    }
    const mem = this.memory;
    let table = this.eptp - (this.eptp % 4096);
    let allowed = EPT_R | EPT_W | EPT_X;
    for (let level = 0; level < EPT_DEPTH; level++) {
      const at = table + (Math.floor(gpa / 2 ** (39 - 9 * level)) % 512) * 8;
      const lo = mem.read32(at);
      const hi = mem.read32(at + 4);
      this.refs++;
      this.onRef?.({ dimension: 'host', level: EPT_LEVELS[level]!, gpa, hpa: at, value: lo });
      if (!(lo & (EPT_R | EPT_W | EPT_X))) throw new EptViolation(gpa, kind, duringWalk, this.linear, 0);
      // Present, so the processor must check it whole before it uses it: rights without read, reserved bits, a bad type.
      const leaf = level === EPT_DEPTH - 1;
      if (!(lo & EPT_R) || hi & this.reservedHi || (leaf ? BAD_MEMORY_TYPES & (1 << ((lo >>> 3) & 7)) : lo & EPT_TABLE_RESERVED)) {
        throw new EptMisconfig(gpa, EPT_LEVELS[level]!, lo);
      }
      allowed &= lo;
      table = (hi & 0x000f_ffff) * 0x1_0000_0000 + ((lo & 0xffff_f000) >>> 0);
    }
    if (!(allowed & EPT_NEEDS[kind])) throw new EptViolation(gpa, kind, duringWalk, this.linear, allowed);
    this.allowed = allowed;
    if (size) {
      this.cacheTag[slot] = gfn;
      this.cacheBase[slot] = table;
      this.cacheRights[slot] = allowed;
    }
    return table;
  }

  /** Forget the walk cache: part of INVEPT, which the Host must issue when it takes a mapping or a right away. */
  flushWalkCache(): void {
    this.cacheTag.fill(-1);
  }

  /** The Guest's memory for a walk (or a PDPTE load) reading entries of `size` bytes: the entry tracking starts afresh. */
  entries(size: 4 | 8, labels: readonly string[] = ['PDPTE', 'PDPTE', 'PDPTE', 'PDPTE']): WalkMemory {
    this.entrySize = size;
    this.entryGpa = -1;
    this.linear = -1;
    this.labels = labels;
    this.reads = 0;
    return this.guestMemory;
  }

  /** A word of a Guest table: the high half of the entry just read is the same reference; anything else is a new one. */
  private readGuest(gpa: number): number {
    if (this.entrySize === 8 && gpa === this.entryGpa + 4 && gpa % 8 === 4) return this.memory.read32(this.entryHpa + 4);
    const hpa = this.translate(gpa, READ, true) + (gpa % 4096);
    this.entryGpa = gpa;
    this.entryHpa = hpa;
    this.entryAllowed = this.allowed;
    this.refs++;
    const value = this.memory.read32(hpa);
    this.onRef?.({ dimension: 'guest', level: this.labels[this.reads] ?? 'entry', gpa, hpa, value });
    this.reads++;
    return value;
  }

  /**
   * The walk setting Accessed or Dirty in the entry it just read: part of
   * that reference, but a write, so the Host's tables must allow writing
   * the page it is in.
   */
  private writeGuest(gpa: number, value: number): void {
    let hpa: number;
    if (Math.floor(gpa / 4096) === Math.floor(this.entryGpa / 4096) && this.entryGpa >= 0) {
      if (!(this.entryAllowed & EPT_W)) throw new EptViolation(gpa, WRITE, true, this.linear, this.entryAllowed);
      hpa = this.entryHpa - (this.entryHpa % 4096) + (gpa % 4096);
    } else hpa = this.translate(gpa, WRITE, true) + (gpa % 4096);
    this.memory.write32(hpa, value);
  }

  /** The processor's own state, with memory seen through the Host's tables: what the Guest's walker reads. */
  private machineFor(cpu: WalkMachine): WalkMachine {
    if (this.view?.cpu === cpu) return this.view.machine;
    const memory = this.guestMemory;
    const machine: WalkMachine = {
      memory,
      get cr3() { return cpu.cr3; },
      get pse() { return cpu.pse; },
      get pdpteLo() { return cpu.pdpteLo; },
      get pdpteHi() { return cpu.pdpteHi; },
      get reservedHi() { return cpu.reservedHi; },
      get reservedPse36() { return cpu.reservedPse36; },
      get privilege() { return cpu.privilege; },
      get policy() { return cpu.policy; },
    };
    this.view = { cpu, machine };
    return machine;
  }
}

/** References a TLB miss makes with `n` levels of Guest tables over `m` of the Host's: (n+1)(m+1) − 1. */
export const refsPerMiss = (n: number, m: number = EPT_DEPTH): number => (n + 1) * (m + 1) - 1;
// #endregion N-nested-walk
