/*
 * The MMU: control registers, the TLB and the walkers, behind the interface a
 * program sees: load, store and fetch at a linear address, at the current
 * privilege level, or take a page fault.
 */
import { PAGE_SHIFT, type PhysicalMemory } from './phys-memory.ts';
import { GeneralProtectionFault, PageFault, type Access } from './fault.ts';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS, PTE_RW, PTE_US, PTE_XD_HI, checkedMaxPhysAddr, reservedAddressBits } from './pte.ts';
import { FETCH, R_G, R_D, R_XD, READ, WRITE, accessPolicy, denialReason, type AccessKind, type AccessPolicy, type PrivilegeState } from './rights.ts';
import { Meta, Row, Tlb } from './tlb.ts';
import { WalkResult, type WalkMachine, type WalkStep } from './walk.ts';
import { WalkRecorder } from './walk-trace.ts';
import { walk32 } from './walk-32.ts';
import { loadPdptes, walkPae } from './walk-pae.ts';
import { canonicalToUnsigned, isCanonical, walkIa32e } from './walk-ia32e.ts';
import type { GuestPaging, NestedPaging } from './nested.ts';

// #region HW-control-registers
export const CR0_PE = 1 << 0;
/** CR0.WP: supervisor writes honour read-only pages. lguest's Host relies on it. */
export const CR0_WP = 1 << 16;
/** CR0.NW and CR0.CD: caching, which this model does not have; a change still reloads the PDPTEs (SDM 4.4.1). */
export const CR0_NW = 1 << 29;
export const CR0_CD = 1 << 30;
export const CR0_PG = 0x8000_0000;
export const CR4_PSE = 1 << 4;
export const CR4_PAE = 1 << 5;
export const CR4_PGE = 1 << 7;
export const CR4_SMEP = 1 << 20;
export const CR4_SMAP = 1 << 21;
/**
 * The CR4 bits this processor has. The SDM (2.5) makes a CR4 bit for a
 * feature CPUID does not report reserved, and MOV to CR4 with a reserved
 * bit set must raise #GP. Which features ours reports is our choice: the
 * paging ones we model, and nothing else (no PCIDE, no PKE, no LA57).
 */
export const CR4_SUPPORTED = CR4_PSE | CR4_PAE | CR4_PGE | CR4_SMEP | CR4_SMAP;
export const EFER_SCE = 1 << 0;
export const EFER_LME = 1 << 8;
export const EFER_LMA = 1 << 10;
export const EFER_NXE = 1 << 11;
/** The EFER bits an Intel processor defines (SDM 2.2.1); WRMSR setting any other must raise #GP. */
export const EFER_SUPPORTED = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;

/** Which walk translates linear addresses: decided by CR0.PG, CR4.PAE and EFER.LMA. */
export type PagingMode = 'off' | '32bit' | 'pae' | 'ia32e';

export interface MmuOptions {
  /** TLB entries (a power of two). */
  tlbSize?: number;
  /**
   * MAXPHYADDR: physical-address bits above it are reserved in entries. 40,
   * as QEMU's TCG reports; anything from 36 to 52 (checkedMaxPhysAddr).
   */
  maxPhysAddr?: number;
  /**
   * Take the fast path for the common TLB miss (default true). Off, every
   * miss runs the full walk: the reference the fast path is tested against.
   */
  fastMisses?: boolean;
}
// #endregion HW-control-registers

// #region SIM-translate-report
/** What `translate` says about one access: each entry read, and the outcome. */
export interface TranslateReport {
  mode: PagingMode;
  vaddr: number;
  access: Access;
  cpl: number;
  steps: WalkStep[];
  ok: boolean;
  paddr: number | null;
  pageSize: number | null;
  errorCode: number | null;
  reason: string;
}
// #endregion SIM-translate-report

// #region HW-mmu-state
/** The walk each paging mode does. */
function walk(m: WalkMachine, mode: PagingMode, uaddr: number, kind: AccessKind, out: WalkResult): boolean {
  switch (mode) {
    case '32bit': return walk32(m, uaddr, kind, out);
    case 'pae': return walkPae(m, uaddr, kind, out);
    case 'ia32e': return walkIa32e(m, uaddr, kind, out);
    case 'off': throw new Error('no walk with paging off');
  }
}

/** The levels whose entries a walk reads from memory, in the order it reads them. */
const LEVELS: Record<PagingMode, WalkStep['level'][]> = {
  off: [], '32bit': ['PDE', 'PTE'], pae: ['PDE', 'PTE'], ia32e: ['PML4E', 'PDPTE', 'PDE', 'PTE'],
};

/** Each paging mode's walk as nested paging's second dimension takes it (with paging off, none). */
const GUEST_PAGING: Record<PagingMode, GuestPaging | null> = {
  off: null,
  '32bit': { walk: walk32, entrySize: 4, levels: LEVELS['32bit'] },
  pae: { walk: walkPae, entrySize: 8, levels: LEVELS.pae },
  ia32e: { walk: walkIa32e, entrySize: 8, levels: LEVELS.ia32e },
};

// A placeholder of the right type, so the engine knows the field's type from the start.
const EMPTY_TLB = new Int32Array(0);
/**
 * Which fast miss path `physicalSlow` tries: a number, so choosing costs one
 * comparison. A `const enum`, because the bundler writes an enum's values
 * into the code, where a module-level constant would cost a load on every use.
 */
const enum Fast { NONE, WALK_32, WALK_PAE }
const KINDS: Record<Access, AccessKind> = { read: READ, write: WRITE, fetch: FETCH };

/**
 * One processor's view of memory. Control registers are changed only through
 * the write methods, because each write has consequences for the TLB.
 */
export class Mmu implements WalkMachine {
  // The hot path reads the TLB's array straight from here, and first among
  // the fields, where the engine keeps them inside the object itself.
  private readonly tlbRows: Int32Array = EMPTY_TLB;
  private readonly tlbMask: number = 0;
  /** Where in a row the current privilege level's hit keys start: 0 for CPL 0-2, Row.USER for CPL 3. */
  private keyBank = 0;
  /** Physical memory as 32-bit words, for the fast miss path's entry loads. */
  private readonly words: Int32Array = EMPTY_TLB;
  private readonly tlbMeta: Int32Array = EMPTY_TLB;
  /** The TLB's tables of allowed kinds: the current privilege level's, the supervisor's and the user's. */
  private tlbAllows: Uint8Array;
  private allowsSupervisor: Uint8Array;
  private allowsUser: Uint8Array;
  /** Fast.WALK_32 or Fast.WALK_PAE in those paging modes (unless turned off), else Fast.NONE. */
  private fastWalk = Fast.NONE;
  /** The high-word bits a PAE entry may have and still take the fast path: XD with NXE, else none. */
  private fastHi = 0;
  private readonly fastMisses: boolean;
  readonly tlb: Tlb;
  readonly pdpteLo = new Uint32Array(4);
  readonly pdpteHi = new Uint32Array(4);
  readonly privilege: PrivilegeState = { cpl: 0, wp: false, smep: false, smap: false, ac: false, nxe: false, reportsFetch: false };
  policy: AccessPolicy[] = [];
  reservedHi = 0;
  reservedPse36 = 0;
  /** CR2: the linear address of the last page fault. */
  cr2 = 0;
  /** The error code of the last page fault. */
  lastErrorCode = 0;
  /** The rights a TLB entry keeps of a walk's: all but R_G, unless CR4.PGE makes global entries. */
  private cachedRights = ~R_G;
  /** Nested paging's second dimension while it is on (the Mastery chapter "Three ways"), else null. */
  private nested: NestedPaging | null = null;

  private _cr0 = CR0_PE;
  private _cr3 = 0;
  private _cr4 = 0;
  private _efer = 0;
  private _mode: PagingMode = 'off';
  private readonly maxPhysAddr: number;
  private readonly result = new WalkResult();
  /** What each privilege state seen comes to, and which is in force (-1: none yet). */
  private readonly policies = new Map<number, DerivedPolicy>();
  private policyState = -1;

  constructor(readonly memory: PhysicalMemory, options: MmuOptions = {}) {
    this.tlb = new Tlb(options.tlbSize ?? 1024);
    this.tlbRows = this.tlb.rows;
    this.tlbMask = this.tlb.mask;
    this.tlbMeta = this.tlb.meta;
    this.tlbAllows = this.allowsSupervisor = this.allowsUser = this.tlb.allows;
    // The memory's own words: it may be a window onto a larger buffer (a Guest's slice of the Host's).
    this.words = new Int32Array(memory.bytes.buffer, memory.bytes.byteOffset, memory.size >>> 2);
    this.fastMisses = options.fastMisses ?? true;
    this.maxPhysAddr = checkedMaxPhysAddr(options.maxPhysAddr ?? 40);
    this.recompute();
  }

  get cr0(): number { return this._cr0; }
  get cr3(): number { return this._cr3; }
  get cr4(): number { return this._cr4; }
  get efer(): number { return this._efer; }
  get cpl(): number { return this.privilege.cpl; }
  get mode(): PagingMode { return this._mode; }
  get pse(): boolean { return (this._cr4 & CR4_PSE) !== 0; }

  // #endregion HW-mmu-state

  // #region HW-mmu-control
  /** MOV to CR0. Turning paging on or off flushes the whole TLB; PG with EFER.LME enters IA-32e mode. */
  writeCr0(value: number): void {
    value = this.controlBits('CR0', value);
    const wasPaging = (this._cr0 & CR0_PG) !== 0;
    const paging = (value & CR0_PG) !== 0;
    if (paging && !(value & CR0_PE)) throw new GeneralProtectionFault('CR0.PG=1 requires CR0.PE=1');
    // Another invalid combination the SDM gives for MOV to CR0: no-write-through with the cache enabled.
    if (value & CR0_NW && !(value & CR0_CD)) throw new GeneralProtectionFault('CR0.NW=1 requires CR0.CD=1');
    let efer = this._efer;
    if (paging && !wasPaging && efer & EFER_LME) {
      if (!(this._cr4 & CR4_PAE)) throw new GeneralProtectionFault('IA-32e paging requires CR4.PAE=1');
      efer |= EFER_LMA;
    }
    if (!paging) efer &= ~EFER_LMA;
    // SDM 4.4.1: with PAE paging in use afterwards, a change of PG, CD or NW reloads the PDPTEs.
    if (paging && !(efer & EFER_LMA) && this._cr4 & CR4_PAE && (this._cr0 ^ value) & (CR0_PG | CR0_CD | CR0_NW)) this.loadPdptes(this._cr3);
    this._cr0 = value;
    this._efer = efer;
    if (paging !== wasPaging) this.tlb.flushAll();
    this.recompute();
  }

  /**
   * MOV to CR3: a new address space. Non-global TLB entries go; global ones
   * stay when CR4.PGE=1. Under PAE the four PDPTEs are loaded now, not on use.
   * In IA-32e mode CR3 is 64 bits, and bits at or above MAXPHYADDR are
   * reserved: the MOV must raise #GP, rather than leave a root no walk can read.
   */
  writeCr3(value: number): void {
    if (this._mode === 'ia32e' && !(Number.isInteger(value) && value >= 0 && value < 2 ** this.maxPhysAddr)) {
      throw new GeneralProtectionFault(`CR3 ${value} sets bits at or above MAXPHYADDR (${this.maxPhysAddr})`);
    }
    if (this._mode === 'pae') this.loadPdptes(value);
    this._cr3 = value;
    if (this._cr4 & CR4_PGE) this.tlb.flushNonGlobal();
    else this.tlb.flushAll();
  }

  /**
   * MOV to CR4. Changing PAE or PGE, or setting SMEP, flushes everything,
   * globals included (SDM 4.10.4.1); so does changing PSE, our choice (a
   * processor may flush more), since it changes what a cached PS bit meant.
   */
  writeCr4(value: number): void {
    value = this.controlBits('CR4', value);
    if (value & ~CR4_SUPPORTED) throw new GeneralProtectionFault(`CR4 0x${value.toString(16)} sets bits this processor reserves (0x${((value & ~CR4_SUPPORTED) >>> 0).toString(16)})`);
    const changed = this._cr4 ^ value;
    if (this._efer & EFER_LMA && !(value & CR4_PAE)) throw new GeneralProtectionFault('cannot clear CR4.PAE in IA-32e mode');
    // SDM 4.4.1: with PAE paging in use afterwards, a change of PAE, PGE, PSE or SMEP reloads the PDPTEs.
    if (this._cr0 & CR0_PG && !(this._efer & EFER_LMA) && value & CR4_PAE && changed & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)) this.loadPdptes(this._cr3);
    this._cr4 = value;
    if (changed & (CR4_PSE | CR4_PAE | CR4_PGE) || (changed & value & CR4_SMEP) !== 0) this.tlb.flushAll();
    this.recompute();
  }

  /**
   * CR0 and CR4 are 64 bits in IA-32e mode, and so is EFER, and their bits
   * 63:32 are reserved: a write that sets one must raise #GP, not lose it. A
   * 32-bit value may come signed, as JavaScript's `|` makes it (CR0_PE |
   * CR0_PG is negative).
   */
  private controlBits(name: string, value: number): number {
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 32) throw new GeneralProtectionFault(`${name} ${Number.isInteger(value) ? `0x${value.toString(16)}` : value} sets bits 63:32, which are reserved`);
    return value >>> 0;
  }

  /**
   * WRMSR to EFER. LMA is the processor's to set. Changing NXE changes what
   * bit 63 of an entry means, so we flush: our choice, not an SDM rule.
   */
  writeEfer(value: number): void {
    value = this.controlBits('EFER', value);
    if (value & ~EFER_SUPPORTED) throw new GeneralProtectionFault(`EFER 0x${value.toString(16)} sets reserved bits`);
    value = (value & ~EFER_LMA) | (this._efer & EFER_LMA);
    if (this._cr0 & CR0_PG && (value ^ this._efer) & EFER_LME) throw new GeneralProtectionFault('cannot change EFER.LME while paging');
    const changed = value ^ this._efer;
    this._efer = value;
    if (changed & EFER_NXE) this.tlb.flushAll();
    this.recompute();
  }

  /** Change privilege level (0–3). The TLB is not flushed: rights are checked on every access. */
  setCpl(cpl: number): void {
    if (!Number.isInteger(cpl) || cpl < 0 || cpl > 3) throw new RangeError(`CPL must be 0..3, got ${cpl}`);
    this.privilege.cpl = cpl;
    this.derivePolicy();
  }

  /** EFLAGS.AC, which lifts SMAP for supervisor data accesses. */
  setAc(ac: boolean): void {
    this.privilege.ac = ac;
    this.derivePolicy();
  }

  /**
   * INVLPG: drop any TLB entry for the page holding `vaddr`. In IA-32e mode
   * a non-canonical address can have no entry, and the SDM's INVLPG page
   * says the instruction is then a NOP: not a #GP, as a load would be.
   */
  invlpg(vaddr: number): void {
    if (this._mode === 'off') return;
    if (this._mode === 'ia32e' && !isCanonical(vaddr)) return;
    const u = this._mode === 'ia32e' ? canonicalToUnsigned(vaddr) : vaddr >>> 0;
    this.tlb.invalidatePage(Math.floor(u / 4096));
  }

  // #endregion HW-mmu-control

  // #region HW-mmu-physical
  /**
   * Translate `vaddr` for an access of `kind`, through the TLB, walking on a
   * miss. Returns the physical address, or -1 after recording a page fault in
   * `cr2` and `lastErrorCode`. This is the hot path: it never throws a #PF.
   */
  physical(vaddr: number, kind: AccessKind): number {
    // One comparison decides a hit, rights included (see the Tlb's hit keys),
    // with the keys of the current privilege level.
    const vpn = vaddr >>> 12;
    const at = (vpn & this.tlbMask) << 3;
    const rows = this.tlbRows;
    if (rows[at + this.keyBank + kind] === vpn && vaddr >>> 0 === vaddr) return rows[at + 3]! | (vaddr & 0xfff);
    return this.physicalSlow(vaddr, kind);
  }

  /**
   * Any other miss under 32-bit and PAE paging: walk, and remember the
   * answer (`insert` keeps a wide one aside). It calls its walker directly.
   */
  private physicalMiss(vaddr: number, kind: AccessKind): number {
    if (this.nested !== null) return this.nestedMiss(vaddr, kind);
    const mode = this._mode;
    if (mode !== '32bit' && mode !== 'pae') return this.physicalWide(vaddr, kind);
    if (vaddr >>> 0 !== vaddr) throw new RangeError(`linear address ${vaddr} is not a 32-bit unsigned number`);
    const vpn = vaddr >>> PAGE_SHIFT;
    if (this.tlb.isWide(vpn)) {
      const cached = this.tlb.lookupWide(vpn, kind);
      if (cached >= 0) return cached + (vaddr & 0xfff);
    }
    const r = this.result;
    this.tlb.misses++;
    // `!== true`, not `!`: a strict test the engine compiles to one comparison.
    if ((mode === '32bit' ? walk32(this, vaddr, kind, r) : walkPae(this, vaddr, kind, r)) !== true) return this.fault(vaddr);
    // The fill is written out here rather than shared with physicalWide: the
    // engine inlines this whole path into a hot loop, and one more call level
    // measured 10% slower TLB hits in that loop.
    this.tlb.insert(vpn, r.pageBase, r.rights & this.cachedRights, r.pageShift);
    return r.pageBase + (vaddr & 0xfff);
  }

  /** Paging off, or IA-32e paging, where every TLB entry is wide. */
  private physicalWide(vaddr: number, kind: AccessKind): number {
    if (this._mode === 'off') return vaddr;
    const uaddr = canonicalToUnsigned(vaddr);
    const vpn = Math.floor(uaddr / 4096);
    const cached = this.tlb.lookupWide(vpn, kind);
    if (cached >= 0) return cached + (uaddr & 0xfff);
    const r = this.result;
    this.tlb.misses++;
    if (walkIa32e(this, uaddr, kind, r) !== true) return this.fault(vaddr);
    this.tlb.insert(vpn, r.pageBase, r.rights & this.cachedRights, r.pageShift);
    return r.pageBase + (uaddr & 0xfff);
  }

  /**
   * A walk failed: the processor leaves the address in CR2 (and we keep the
   * error code). The SDM (4.10.4.1) has a page fault also drop every TLB entry
   * for the faulting page, so that a fault caused by a stale entry cannot
   * recur once the tables in memory allow the access: a *must*, not a *may*.
   */
  private fault(vaddr: number): number {
    this.invlpg(vaddr);
    this.cr2 = vaddr;
    this.lastErrorCode = this.result.errorCode;
    return -1;
  }

  // #endregion HW-mmu-physical

  // #region SIM-fast-miss
  /**
   * No key hit. Most misses of a running program are the common case: every
   * entry on the way present and already Accessed, a 4 KiB page, rights that
   * allow the access (and, for a write, a page already Dirty). The walk would
   * write nothing then, only read two entries and fill the TLB, so a small
   * method per paging mode does just that. It tries first; if it finds
   * anything else it returns -1 having changed nothing, and the full walk,
   * which is the reference, decides.
   */
  private physicalSlow(vaddr: number, kind: AccessKind): number {
    // Only the mode in use is ever taken here, so only its method gets hot
    // and the engine compiles it into the caller.
    const fast = this.fastWalk;
    if (fast === Fast.WALK_32) {
      const paddr = this.miss32(vaddr, kind);
      if (paddr >= 0) return paddr;
    } else if (fast === Fast.WALK_PAE) {
      const paddr = this.missPae(vaddr, kind);
      if (paddr >= 0) return paddr;
    }
    return this.physicalMiss(vaddr, kind);
  }

  /**
   * The common 32-bit miss. The entries are read as signed words: a page
   * frame at or above 2 GiB reads negative, and the TLB keeps those wide.
   * Past the end of memory a read gives `undefined`, which fails every test
   * here, so the full walk reports that too.
   */
  private miss32(vaddr: number, kind: AccessKind): number {
    if (vaddr >>> 0 !== vaddr) return -1;
    const words = this.words;
    const pde = words[((this._cr3 & 0xffff_f000) >>> 2) + (vaddr >>> 22)]!;
    // Present and Accessed; PS clear, so it names a page table.
    if ((pde & (PTE_P | PTE_A | PTE_PS)) !== (PTE_P | PTE_A)) return -1;
    const pte = words[((pde & 0xffff_f000) >>> 2) + ((vaddr >>> 12) & 0x3ff)]!;
    if ((pte & (PTE_P | PTE_A)) !== (PTE_P | PTE_A) || pte < 0) return -1;
    // R_RW, R_US, R_D and R_G are the entries' own bits (PTE_RW, PTE_US, PTE_D, PTE_G).
    const rights = ((pde & pte & (PTE_RW | PTE_US)) | (pte & (PTE_D | PTE_G))) & this.cachedRights;
    // The TLB's table already says whether these rights allow this access
    // (for a write it asks for Dirty too); if not, the walk faults or sets D.
    if ((this.tlbAllows[rights]! & (1 << kind)) === 0) return -1;
    return this.fillPlain(vaddr, pte & 0xffff_f000, rights);
  }

  /**
   * The common PAE miss: a PDPTE register, then a directory and a table entry
   * of eight bytes each. Their high words must be zero (a frame below 4 GiB,
   * no reserved bit), but for XD when NXE gives it a meaning.
   */
  private missPae(vaddr: number, kind: AccessKind): number {
    if (vaddr >>> 0 !== vaddr) return -1;
    const i = vaddr >>> 30;
    const pdpte = this.pdpteLo[i]!;
    if ((pdpte & PTE_P) === 0 || this.pdpteHi[i] !== 0) return -1;
    const words = this.words;
    const hiAllowed = ~this.fastHi;
    const pd = ((pdpte & 0xffff_f000) >>> 2) + ((vaddr >>> 21) & 0x1ff) * 2;
    const pdeLo = words[pd]!;
    const pdeHi = words[pd + 1]!;
    if ((pdeLo & (PTE_P | PTE_A | PTE_PS)) !== (PTE_P | PTE_A) || (pdeHi & hiAllowed) !== 0) return -1;
    const pt = ((pdeLo & 0xffff_f000) >>> 2) + ((vaddr >>> 12) & 0x1ff) * 2;
    const pteLo = words[pt]!;
    const pteHi = words[pt + 1]!;
    if ((pteLo & (PTE_P | PTE_A)) !== (PTE_P | PTE_A) || pteLo < 0 || (pteHi & hiAllowed) !== 0) return -1;
    // XD is the sign bit of a high word; either level's makes the page XD.
    const rights = ((pdeLo & pteLo & (PTE_RW | PTE_US)) | (pteLo & (PTE_D | PTE_G)) | ((pdeHi | pteHi) < 0 ? R_XD : 0)) & this.cachedRights;
    if ((this.tlbAllows[rights]! & (1 << kind)) === 0) return -1;
    return this.fillPlain(vaddr, pteLo & 0xffff_f000, rights);
  }

  /**
   * The fast paths' TLB fill, what `Tlb.insert` does for a 4 KiB page whose
   * number and base fit a row. Its slot must hold no wide entry and no piece
   * of a large page: those need `insert`'s bookkeeping (the wide copies, the
   * large-page count), so then it fills nothing and returns -1.
   */
  private fillPlain(vaddr: number, base: number, rights: number): number {
    const vpn = vaddr >>> PAGE_SHIFT;
    const slot = vpn & this.tlbMask;
    const was = this.tlbMeta[slot]!;
    if (was >= Meta.PLAIN) return -1;
    if (was === -1) this.tlb.noteFilled(slot);
    // Both sets of hit keys, as `Tlb.setKeys` makes them.
    const supervisor = this.allowsSupervisor[rights]!;
    const user = this.allowsUser[rights]!;
    const rows = this.tlbRows;
    const at = slot * Row.SIZE;
    rows[at + Row.KEY_READ] = supervisor & 1 ? vpn : -1;
    rows[at + Row.KEY_WRITE] = supervisor & 2 ? vpn : -1;
    rows[at + Row.KEY_FETCH] = supervisor & 4 ? vpn : -1;
    rows[at + Row.BASE] = base;
    rows[at + Row.USER + Row.KEY_READ] = user & 1 ? vpn : -1;
    rows[at + Row.USER + Row.KEY_WRITE] = user & 2 ? vpn : -1;
    rows[at + Row.USER + Row.KEY_FETCH] = user & 4 ? vpn : -1;
    rows[at + Row.TAG] = vpn;
    this.tlbMeta[slot] = rights | (PAGE_SHIFT << Meta.SHIFT);
    this.tlb.misses++;
    return base | (vaddr & 0xfff);
  }

  // #endregion SIM-fast-miss

  // #region N-mmu-nested
  /**
   * Nested paging on, with the Host's tables `nested` holds (a VM entry
   * with EPT enabled), or off (null). The TLB is emptied either way: what
   * it held was translated in the other world.
   */
  setNested(nested: NestedPaging | null): void {
    this.nested = nested;
    this.tlb.flushAll();
    this.recompute();
  }

  /**
   * A TLB miss with nested paging on, in any paging mode of the Guest's,
   * paging off included: the second dimension walks, and the TLB keeps
   * its answer, Guest-linear page to Host-physical page. Nothing else about
   * the TLB changes: its keys, its flushes, its large-page pieces.
   */
  private nestedMiss(vaddr: number, kind: AccessKind): number {
    const mode = this._mode;
    const uaddr = mode === 'ia32e' ? canonicalToUnsigned(vaddr) : vaddr >>> 0;
    if (mode !== 'ia32e' && uaddr !== vaddr) throw new RangeError(`linear address ${vaddr} is not a 32-bit unsigned number`);
    const vpn = Math.floor(uaddr / 4096);
    if (mode === 'ia32e' || this.tlb.isWide(vpn)) {
      const cached = this.tlb.lookupWide(vpn, kind);
      if (cached >= 0) return cached + (uaddr & 0xfff);
    }
    this.tlb.misses++;
    const r = this.result;
    if (this.nested!.walk(this, uaddr, kind, r, GUEST_PAGING[mode]) !== true) return this.fault(vaddr);
    this.tlb.insert(vpn, r.pageBase, r.rights & this.cachedRights, r.pageShift);
    return r.pageBase + (uaddr & 0xfff);
  }
  // #endregion N-mmu-nested

  // #region HW-mmu-access
  /** Translate or raise the fault, setting CR2 as the processor does. */
  private physicalOrFault(vaddr: number, kind: AccessKind): number {
    const paddr = this.physical(vaddr, kind);
    if (paddr < 0) throw new PageFault(this.cr2, this.lastErrorCode);
    return paddr;
  }

  read8(vaddr: number): number {
    return this.memory.read8(this.physicalOrFault(vaddr, READ));
  }

  read16(vaddr: number): number {
    if ((vaddr & 0xfff) > 0xffe) return this.readSplit(vaddr, 2, READ);
    return this.memory.read16(this.physicalOrFault(vaddr, READ));
  }

  read32(vaddr: number): number {
    if ((vaddr & 0xfff) > 0xffc) return this.readSplit(vaddr, 4, READ);
    return this.memory.read32(this.physicalOrFault(vaddr, READ));
  }

  /** Fetch four instruction bytes: a read that obeys execute rights instead of read rights. */
  fetch32(vaddr: number): number {
    if ((vaddr & 0xfff) > 0xffc) return this.readSplit(vaddr, 4, FETCH);
    return this.memory.read32(this.physicalOrFault(vaddr, FETCH));
  }

  write8(vaddr: number, value: number): void {
    this.memory.write8(this.physicalOrFault(vaddr, WRITE), value);
  }

  write16(vaddr: number, value: number): void {
    if ((vaddr & 0xfff) > 0xffe) return this.writeSplit(vaddr, 2, value);
    this.memory.write16(this.physicalOrFault(vaddr, WRITE), value);
  }

  write32(vaddr: number, value: number): void {
    if ((vaddr & 0xfff) > 0xffc) return this.writeSplit(vaddr, 4, value);
    this.memory.write32(this.physicalOrFault(vaddr, WRITE), value);
  }

  /** Generic access by name, for tools: `mmu.access('write', va, 4, v)`. */
  access(access: Access, vaddr: number, value = 0): number {
    if (access === 'write') {
      this.write32(vaddr, value);
      return value;
    }
    return access === 'read' ? this.read32(vaddr) : this.fetch32(vaddr);
  }

  /**
   * An access that crosses into the next page needs both pages translated
   * before any byte moves; a fault on either is reported at its own address.
   */
  private splitAddresses(vaddr: number, size: number, kind: AccessKind): number[] {
    const gp = this._mode === 'ia32e' ? undefined : Mmu.segmentLimitFault(vaddr, size);
    if (gp) throw gp;
    const first = this.physicalOrFault(vaddr, kind);
    const nextPage = vaddr - (vaddr & 0xfff) + 4096;
    const second = this.physicalOrFault(nextPage, kind);
    return Array.from({ length: size }, (_, i) => (vaddr + i < nextPage ? first + i : second + (vaddr + i - nextPage)));
  }

  /**
   * Outside IA-32e mode a linear address is 32 bits, and the flat segment
   * ends at 4 GiB. At that limit the SDM (5.3) lets a processor raise #GP
   * or not (and wrap to 0); ours always raises it, before any page is
   * translated: a fault that is always the same, and never a walk of page 0.
   * Public, so that a Host that splits a word itself asks the same question.
   */
  static segmentLimitFault(vaddr: number, size: number): GeneralProtectionFault | undefined {
    if (vaddr + size <= 2 ** 32) return undefined;
    return new GeneralProtectionFault(`${size}-byte access at 0x${vaddr.toString(16)} runs past the 4 GiB segment limit`);
  }

  private readSplit(vaddr: number, size: number, kind: AccessKind): number {
    const addrs = this.splitAddresses(vaddr, size, kind);
    return addrs.reduceRight((acc, pa) => acc * 256 + this.memory.read8(pa), 0);
  }

  private writeSplit(vaddr: number, size: number, value: number): void {
    this.splitAddresses(vaddr, size, WRITE).forEach((pa, i) => this.memory.write8(pa, (value >>> (8 * i)) & 0xff));
  }

  // #endregion HW-mmu-access

  // #region SIM-translate
  /**
   * Explain a translation step by step, bypassing the TLB. By default it is a
   * dry run that changes no Accessed or Dirty bit; `{ apply: true }` performs
   * the walk for real (but still leaves the TLB alone).
   */
  translate(vaddr: number, access: Access, options: { apply?: boolean } = {}): TranslateReport {
    if (this.nested !== null) throw new Error('translate explains one-dimensional walks; with nested paging on, watch NestedPaging.onRef');
    const kind = KINDS[access];
    const report: TranslateReport = {
      mode: this._mode, vaddr, access, cpl: this.cpl, steps: [], ok: true,
      paddr: vaddr, pageSize: null, errorCode: null, reason: 'paging is off: linear = physical',
    };
    if (this._mode === 'off') return report;
    const uaddr = this._mode === 'ia32e' ? canonicalToUnsigned(vaddr) : vaddr >>> 0;
    const out = new WalkResult();
    // The same machine, but reading through a recorder that notes every entry.
    const recorder = new WalkRecorder(this.memory, this._mode === '32bit' ? 4 : 8, LEVELS[this._mode], options.apply ?? false);
    const seen: WalkMachine = {
      memory: recorder, cr3: this._cr3, pse: this.pse, pdpteLo: this.pdpteLo, pdpteHi: this.pdpteHi,
      reservedHi: this.reservedHi, reservedPse36: this.reservedPse36, privilege: this.privilege, policy: this.policy,
    };
    report.ok = walk(seen, this._mode, uaddr, kind, out);
    if (this._mode === 'pae') report.steps.push(this.pdpteStep(uaddr >>> 30));
    report.steps.push(...recorder.steps());
    if (report.ok) {
      report.paddr = out.pageBase + (uaddr & 0xfff);
      report.pageSize = 2 ** out.pageShift;
      report.reason = out.pageShift >= 20 ? `${2 ** (out.pageShift - 20)} MiB page` : `${2 ** (out.pageShift - 10)} KiB page`;
    } else {
      report.paddr = null;
      report.errorCode = out.errorCode;
      report.reason = out.reason === 'rights' ? denialReason(out.rights, kind, this.privilege) : out.reason;
    }
    return report;
  }

  /** Under PAE the walk starts from a PDPTE register, loaded from where CR3 pointed when it was written. */
  private pdpteStep(i: number): WalkStep {
    const value = (BigInt(this.pdpteHi[i]!) << 32n) | BigInt(this.pdpteLo[i]!);
    return { level: 'PDPTE', index: i, entryAddr: ((this._cr3 & 0xffff_ffe0) >>> 0) + i * 8, size: 8, before: value, after: value };
  }

  // #endregion SIM-translate

  // #region HW-mmu-derived
  private loadPdptes(cr3: number): void {
    // With nested paging CR3 is Guest-physical: the four entries are read through the Host's tables.
    const memory = this.nested === null ? this.memory : this.nested.entries(8);
    loadPdptes(memory, cr3, this.reservedHiFor('pae'), this.pdpteLo, this.pdpteHi);
  }

  /** Reserved high-word bits of eight-byte entries: 62:M under PAE, 51:M under IA-32e, and 63 without NXE. */
  private reservedHiFor(mode: PagingMode): number {
    const mask = reservedAddressBits(this.maxPhysAddr, mode === 'ia32e' ? 52 : 63);
    return (this._efer & EFER_NXE ? mask : mask | PTE_XD_HI) >>> 0;
  }

  /** Re-derive everything that depends on control registers and privilege. */
  private recompute(): void {
    const cr0 = this._cr0;
    const cr4 = this._cr4;
    this._mode = !(cr0 & CR0_PG) ? 'off' : this._efer & EFER_LMA ? 'ia32e' : cr4 & CR4_PAE ? 'pae' : '32bit';
    const p = this.privilege;
    p.wp = (cr0 & CR0_WP) !== 0;
    p.smep = (cr4 & CR4_SMEP) !== 0;
    p.smap = (cr4 & CR4_SMAP) !== 0;
    p.nxe = (this._efer & EFER_NXE) !== 0 && (this._mode === 'pae' || this._mode === 'ia32e');
    p.reportsFetch = p.nxe || p.smep;
    this.derivePolicy();
    this.tlb.narrow = this._mode === 'ia32e' ? 0 : 1;
    this.fastWalk = !this.fastMisses || this.nested !== null ? Fast.NONE : this._mode === '32bit' ? Fast.WALK_32 : this._mode === 'pae' ? Fast.WALK_PAE : Fast.NONE;
    this.fastHi = p.nxe ? PTE_XD_HI | 0 : 0;
    this.cachedRights = cr4 & CR4_PGE ? ~0 : ~R_G;
    this.reservedHi = this.reservedHiFor(this._mode);
    // PSE-36: PDE bits 20:13 hold physical-address bits 39:32; those at or above MAXPHYADDR, and bit 21, are reserved.
    const m = Math.min(this.maxPhysAddr, 40);
    let pse36 = 1 << 21;
    for (let bit = 13 + (m - 32); bit <= 20; bit++) pse36 |= 1 << bit;
    this.reservedPse36 = pse36;
  }

  // #endregion HW-mmu-derived

  // #region HW-mmu-policy
  /**
   * Re-derive the access policy and the TLB's tables from the privilege
   * state. A kernel enters and leaves user mode all the time, so each state's
   * policy is made once and kept; a state that did not change costs nothing,
   * and a change of privilege level alone only chooses the TLB's other keys.
   */
  private derivePolicy(): void {
    const p = this.privilege;
    const state = (p.cpl === 3 ? 1 : 0) | (p.wp ? 2 : 0) | (p.smep ? 4 : 0) | (p.smap ? 8 : 0) | (p.ac ? 16 : 0) | (p.nxe ? 32 : 0) | (p.reportsFetch ? 64 : 0);
    if (state === this.policyState) return;
    this.policyState = state;
    let d = this.policies.get(state);
    if (d === undefined) {
      d = derivedPolicy(p);
      this.policies.set(state, d);
    }
    const user = p.cpl === 3;
    this.policy = d.policy;
    this.allowsSupervisor = d.supervisor;
    this.allowsUser = d.user;
    this.tlb.setPolicy(d.supervisor, d.user, user);
    this.tlbAllows = this.tlb.allows;
    this.keyBank = user ? Row.USER : 0;
  }
}

/** What a privilege state comes to: the walkers' policy, and the TLB's tables for each privilege level. */
interface DerivedPolicy {
  policy: AccessPolicy[];
  supervisor: Uint8Array;
  user: Uint8Array;
}

function derivedPolicy(p: PrivilegeState): DerivedPolicy {
  const kinds = [READ, WRITE, FETCH] as const;
  // A TLB hit needs D for a write, so a write through a clean entry walks again and sets Dirty.
  const table = (cpl: number) => {
    const at = { ...p, cpl };
    const policy = kinds.map((k) => accessPolicy(k, at));
    return Tlb.allowsTable(policy.map((x, k) => x.need | (k === WRITE ? R_D : 0)), policy.map((x) => x.forbid));
  };
  return { policy: kinds.map((k) => accessPolicy(k, p)), supervisor: table(0), user: table(3) };
}
// #endregion HW-mmu-policy
