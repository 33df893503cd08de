/*
 * Page-table entries: the bits the processor reads on every walk. The same low
 * twelve flag bits appear at every level and in every paging mode; the modes
 * differ in entry size (4 or 8 bytes), in how many address bits follow, and in
 * which bits they reserve.
 */

// #region HW-pte-bits
/** Present: without it, nothing else in the entry means anything. */
export const PTE_P = 1 << 0;
/** Read/write: 0 makes the region read-only (for user code; for the kernel too when CR0.WP=1). */
export const PTE_RW = 1 << 1;
/** User/supervisor: 1 lets CPL 3 in; 0 is kernel-only. */
export const PTE_US = 1 << 2;
/** Page-level write-through (caching; the MMU model carries it but never acts on it). */
export const PTE_PWT = 1 << 3;
/** Page-level cache disable (likewise carried, not acted on). */
export const PTE_PCD = 1 << 4;
/** Accessed: the processor sets it when a walk uses the entry. */
export const PTE_A = 1 << 5;
/** Dirty: the processor sets it in the leaf entry on the first successful write. */
export const PTE_D = 1 << 6;
/** Page size: in a directory entry, "this entry maps a large page itself". */
export const PTE_PS = 1 << 7;
/** Global: a TLB entry for this page survives CR3 writes when CR4.PGE=1. */
export const PTE_G = 1 << 8;
/** Execute-disable, bit 63 of an 8-byte entry: bit 31 of its high word. */
export const PTE_XD_HI = 0x8000_0000;
/** The flags Linux puts on a page-directory entry: P|RW|US|A|D. lguest checks against it. */
export const _PAGE_TABLE = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
/** The flag bits of an entry: everything below the frame address. */
export const PTE_FLAGS_MASK = 0xfff;
/** The frame-address bits of a 4-byte entry (and of the low word of an 8-byte one). */
export const PTE_FRAME_MASK = 0xffff_f000;

/** Flag names in bit order, for printing entries the way a kernel engineer reads them. */
const FLAG_NAMES: readonly [number, string][] = [
  [PTE_P, 'P'], [PTE_RW, 'RW'], [PTE_US, 'US'], [PTE_PWT, 'PWT'], [PTE_PCD, 'PCD'],
  [PTE_A, 'A'], [PTE_D, 'D'], [PTE_PS, 'PS'], [PTE_G, 'G'],
];

/** "P|RW|A" for the flags of an entry (low word); "XD" is added when the high word has it. */
export function flagNames(lo: number, hi = 0): string {
  const names = FLAG_NAMES.filter(([bit]) => (lo & bit) !== 0).map(([, name]) => name);
  if ((hi & PTE_XD_HI) !== 0) names.push('XD');
  return names.length === 0 ? '-' : names.join('|');
}
// #endregion HW-pte-bits

// #region HW-address-split
/** Where a 32-bit linear address points under two-level paging: 10 + 10 + 12 bits. */
export interface Split32 {
  /** Bits 31:22, the page-directory index. */
  pde: number;
  /** Bits 21:12, the page-table index. */
  pte: number;
  /** Bits 11:0, the byte within the page. */
  offset: number;
}

/** Split a linear address the way 32-bit paging does. 0xC0101234 → PDE 0x300, PTE 0x101, offset 0x234. */
export function split32(vaddr: number): Split32 {
  return { pde: vaddr >>> 22, pte: (vaddr >>> 12) & 0x3ff, offset: vaddr & 0xfff };
}

/** Where a linear address points under PAE paging: 2 + 9 + 9 + 12 bits. */
export interface SplitPae {
  /** Bits 31:30, which of the four PDPTE registers. */
  pdpte: number;
  /** Bits 29:21, the page-directory index. */
  pde: number;
  /** Bits 20:12, the page-table index. */
  pte: number;
  offset: number;
}

/** Split a linear address the way PAE paging does. 0xC0101234 → PDPTE 3, PDE 0, PTE 0x101. */
export function splitPae(vaddr: number): SplitPae {
  return { pdpte: vaddr >>> 30, pde: (vaddr >>> 21) & 0x1ff, pte: (vaddr >>> 12) & 0x1ff, offset: vaddr & 0xfff };
}
// #endregion HW-address-split

// #region HW-maxphyaddr
/**
 * MAXPHYADDR, the number of physical-address bits a processor implements.
 * The SDM caps it at 52; the floor of 36 is our choice (the SDM names 36 as
 * what a PAE processor without the CPUID leaf that reports it has). Outside
 * that the reserved-bit masks make no sense: 20 would reserve address bits
 * our Guests use, 60 none at all. The MMU and nested paging both take it.
 */
export function checkedMaxPhysAddr(bits: number): number {
  if (!Number.isInteger(bits) || bits < 36 || bits > 52) throw new RangeError(`maxPhysAddr must be an integer from 36 to 52, got ${bits}`);
  return bits;
}

/** The bits of an eight-byte entry's high word from MAXPHYADDR up to bit `top` − 1: address bits no frame can have, so reserved. */
export function reservedAddressBits(maxPhysAddr: number, top: number): number {
  let mask = 0;
  for (let bit = maxPhysAddr; bit < top; bit++) mask |= 1 << (bit - 32);
  return mask >>> 0;
}
// #endregion HW-maxphyaddr
