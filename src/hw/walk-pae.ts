/*
 * PAE paging: eight-byte entries, so a page table holds 512 of them and a
 * physical address can pass 4 GiB. The top level shrinks to four PDPTEs that
 * the processor copies into registers when CR3 is written. IA-32e paging
 * (walk-ia32e.ts) reuses the lower levels of this walk unchanged.
 */
import { GeneralProtectionFault } from './fault.ts';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS, PTE_XD_HI } from './pte.ts';
import { R_RW, R_US, R_XD, WRITE, permits, type AccessKind } from './rights.ts';
import { denied, notPresent, reservedBit, type WalkMachine, type WalkMemory, type WalkResult, type WalkStep } from './walk.ts';

// #region HW-walk-pae-pdpte
/** PDPTE bits that must be zero: 2:1 and 8:5 (no R/W, U/S, A, D, PS or G at this level). */
const PDPTE_RESERVED_LO = 0x0000_01e6;

/**
 * Load the four PDPTE registers from the 32-byte-aligned table CR3 names, as
 * MOV to CR3 does under PAE. A present PDPTE with a reserved bit makes the
 * MOV itself fail with #GP, and the registers keep their old values.
 */
export function loadPdptes(
  mem: WalkMemory, cr3: number, reservedHi: number, lo: Uint32Array, hi: Uint32Array,
): void {
  // BEGIN SOLUTION ex05-pae-walk
  const base = (cr3 & 0xffff_ffe0) >>> 0;
  const newLo = new Uint32Array(4);
  const newHi = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    newLo[i] = mem.read32(base + i * 8);
    newHi[i] = mem.read32(base + i * 8 + 4);
    if (newLo[i]! & PTE_P && (newLo[i]! & PDPTE_RESERVED_LO || newHi[i]! & (reservedHi | PTE_XD_HI))) {
      throw new GeneralProtectionFault(`PDPTE ${i} at 0x${(base + i * 8).toString(16)} has reserved bits set`);
    }
  }
  lo.set(newLo);
  hi.set(newHi);
  // END SOLUTION ex05-pae-walk
  // BEGIN STUB ex05-pae-walk
  // todo('ex05-pae-walk', 'read the four PDPTEs from the 32-byte-aligned table CR3 names; a present one with a reserved bit throws GeneralProtectionFault and changes no register');
  // END STUB ex05-pae-walk
}
// #endregion HW-walk-pae-pdpte

// #region HW-walk-8byte
/** One level of an eight-byte-entry walk. */
export interface Level8 {
  name: WalkStep['level'];
  /** log2 of the bytes one entry at this level covers. */
  shift: number;
  /** With PS=1 here, the low-word bits that must be zero (PS itself where large pages are not allowed). */
  largeReservedLo: number;
}

export const PML4: Level8 = { name: 'PML4E', shift: 39, largeReservedLo: PTE_PS };
/** A PDPTE with PS=1 maps 1 GiB; bits 29:13 must be zero (bit 12 is PAT). */
export const PDPT: Level8 = { name: 'PDPTE', shift: 30, largeReservedLo: 0x3fff_e000 };
/** A PDE with PS=1 maps 2 MiB; bits 20:13 must be zero (bit 12 is PAT). */
export const PD: Level8 = { name: 'PDE', shift: 21, largeReservedLo: 0x001f_e000 };
export const PT: Level8 = { name: 'PTE', shift: 12, largeReservedLo: 0 };
const PAE_LEVELS = [PD, PT];

/**
 * Walk eight-byte entries from the table at `table` down through `levels`.
 * `rights` holds what the levels above allowed. `uaddr` is the linear
 * address as an unsigned number (IA-32e addresses reach 2^48).
 */
export function walk8(
  m: WalkMachine, uaddr: number, kind: AccessKind, out: WalkResult,
  table: number, levels: readonly Level8[], rights: number,
): boolean {
  // BEGIN SOLUTION ex05-pae-walk
  const mem = m.memory;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    const index = Math.floor(uaddr / 2 ** level.shift) % 512;
    const addr = table + index * 8;
    const lo = mem.read32(addr);
    const hi = mem.read32(addr + 4);
    if (!(lo & PTE_P)) return notPresent(m, kind, out, level.name);

    const last = i === levels.length - 1;
    const large = !last && (lo & PTE_PS) !== 0;
    if (hi & m.reservedHi || (large && lo & level.largeReservedLo)) return reservedBit(m, kind, out, level.name);
    // Rights narrow at every level: R/W and U/S by AND, XD by OR.
    rights &= lo | ~(R_RW | R_US);
    if (m.privilege.nxe && hi & PTE_XD_HI) rights |= R_XD;

    if (!last && !large) {
      if (!(lo & PTE_A)) mem.write32(addr, lo | PTE_A);
      table = frame(lo, hi, 12);
      continue;
    }

    if (!permits(rights, m.policy[kind]!)) return denied(m, kind, out, rights);
    const after = lo | PTE_A | (kind === WRITE ? PTE_D : 0);
    if (after !== lo) mem.write32(addr, after);
    out.pageShift = level.shift;
    out.pageBase = frame(lo, hi, level.shift) + (uaddr % 2 ** level.shift) - (uaddr % 4096);
    out.rights = rights | (after & (PTE_D | PTE_G));
    return true;
  }
  throw new Error('walk8 needs at least one level');
  // END SOLUTION ex05-pae-walk
  // BEGIN STUB ex05-pae-walk
  // return todo('ex05-pae-walk', 'each level: the entry levels[i] names (not present? reserved bits? a large page?), its rights narrowed into rights (XD too), Accessed above the leaf; at the leaf, the rights check, Accessed and Dirty, and out');
  // END STUB ex05-pae-walk
}

/** The physical address an entry names, aligned to a page of 2^shift bytes (bits 51:shift). */
function frame(lo: number, hi: number, shift: number): number {
  const lowMask = shift >= 32 ? 0 : (0xffff_ffff << shift) >>> 0;
  return (hi & 0x000f_ffff) * 0x1_0000_0000 + ((lo & lowMask) >>> 0);
}
// #endregion HW-walk-8byte

// #region HW-walk-pae
/** Walk PAE paging: a PDPTE register, then a page directory and (unless 2 MiB) a page table. */
export function walkPae(m: WalkMachine, vaddr: number, kind: AccessKind, out: WalkResult): boolean {
  // BEGIN SOLUTION ex05-pae-walk
  // The PDPTE comes from a register, not memory: the walk never sets its bits.
  const i = vaddr >>> 30;
  const lo = m.pdpteLo[i]!;
  if (!(lo & PTE_P)) return notPresent(m, kind, out, 'PDPTE');
  // PDPTEs carry no rights of their own: everything is decided below.
  return walk8(m, vaddr, kind, out, frame(lo, m.pdpteHi[i]!, 12), PAE_LEVELS, R_RW | R_US);
  // END SOLUTION ex05-pae-walk
  // BEGIN STUB ex05-pae-walk
  // return todo('ex05-pae-walk', 'the PDPTE for vaddr (bits 31:30), then walk8 down the page directory and page table it names');
  // END STUB ex05-pae-walk
}
// #endregion HW-walk-pae
