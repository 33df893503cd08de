/*
 * Highmem: pages the kernel has no permanent mapping for. To zero or copy
 * one, it maps it for a moment into a fixmap slot (kmap_atomic) and unmaps it
 * after (kunmap_atomic), as x86-32 Linux's arch/x86/mm/highmem_32.c does.
 */
import { READ, WRITE } from '../hw/rights.ts';
import { BOOT_PGDIR, kmapSlotAddr, KM_USER0, KM_USER1, LAST_PKMAP, PAGE_KERNEL, PAGE_OFFSET, PKMAP_BASE } from './layout.ts';
import { ptePtr, type Kernel } from './kernel.ts';
import { FAULTED } from './platform.ts';

// #region G-kmap
/** The kernel's PTE for a fixmap address (Guest-physical), found through the kernel's own tables. */
function fixmapPte(k: Kernel, vaddr: number): number {
  return ptePtr(k, BOOT_PGDIR, vaddr, false);
}

/**
 * Map the frame at `gpa` for the kernel and return its virtual address.
 * Lowmem needs nothing: the direct map has it. A highmem frame gets slot
 * `type`, with Linux's plain `set_pte`, which tells a paravirt Host neither
 * the address space nor the address: under lguest, a flush of everything.
 * In 'set-pte-at' mode (our fix) the kernel names both, as set_pte_at does.
 */
export function kmapAtomic(k: Kernel, gpa: number, type: number): number {
  if (!k.frames.isHighmem(gpa)) return PAGE_OFFSET + gpa;
  k.stats.kmaps++;
  const vaddr = kmapSlotAddr(type);
  const pte = gpa | PAGE_KERNEL;
  if (k.kmapMode === 'set-pte') k.pv.setPte(fixmapPte(k, vaddr), pte);
  // BEGIN SOLUTION ex11-kmap-fix
  else k.pv.setPteAt(BOOT_PGDIR, vaddr, fixmapPte(k, vaddr), pte);
  // END SOLUTION ex11-kmap-fix
  // BEGIN STUB ex11-kmap-fix
  // else todo('ex11-kmap-fix', 'name the entry: set_pte_at on the kernel page directory, with the slot address');
  // END STUB ex11-kmap-fix
  return vaddr;
}

/** Unmap a kmap_atomic slot: pte_clear (which does name the address) and a one-page flush. */
export function kunmapAtomic(k: Kernel, vaddr: number, type: number): void {
  if (vaddr !== kmapSlotAddr(type)) return; // a lowmem page: nothing was mapped
  k.pv.setPteAt(BOOT_PGDIR, vaddr, fixmapPte(k, vaddr), 0);
  k.pv.flushTlbSingle(vaddr);
}

/** One kernel access; the kernel's own mappings never fault for it, so a fault is a kernel bug. */
export function kernelAccess(k: Kernel, kind: typeof READ | typeof WRITE, vaddr: number, value = 0): number {
  const v = k.pv.access(kind, vaddr, k.pv.kernelCpl, value);
  if (v === FAULTED) throw new Error(`guest kernel oops: fault at 0x${vaddr.toString(16)} (error code ${k.pv.lastFault.errorCode})`);
  return v;
}

/** clear_user_highpage: zero a fresh frame through a mapping the kernel can use. */
export function clearPage(k: Kernel, gpa: number): void {
  const vaddr = kmapAtomic(k, gpa, KM_USER0);
  // The first store goes through the MMU (and its faults); the rest of memset is the same page.
  kernelAccess(k, WRITE, vaddr, 0);
  k.pv.zeroFrame(gpa, vaddr);
  kunmapAtomic(k, vaddr, KM_USER0);
}

/** copy_user_highpage: copy a frame for copy-on-write, both ends mapped at once. */
export function copyPage(k: Kernel, dst: number, src: number): void {
  const from = kmapAtomic(k, src, KM_USER0);
  const to = kmapAtomic(k, dst, KM_USER1);
  kernelAccess(k, WRITE, to, kernelAccess(k, READ, from));
  k.pv.copyFrame(dst, src, to, from);
  kunmapAtomic(k, to, KM_USER1);
  kunmapAtomic(k, from, KM_USER0);
}

/** A kernel write into a user page's frame through kmap: a driver or read() filling a buffer. */
export function kernelWriteFrame(k: Kernel, gpa: number, offset: number, value: number): void {
  const vaddr = kmapAtomic(k, gpa, KM_USER0);
  kernelAccess(k, WRITE, vaddr + (offset & 0xffc), value);
  kunmapAtomic(k, vaddr, KM_USER0);
}
// #endregion G-kmap

// #region G-pkmap
/** The virtual address of persistent kmap slot `i`. */
const pkmapAddr = (i: number) => PKMAP_BASE + i * 4096;

/**
 * kmap: a mapping of a highmem frame that lasts until kunmap, and that any
 * process may use, because it lives in the kernel's shared page table. It is
 * made with set_pte_at on the kernel's own page directory, so the Host learns
 * the address and updates every shadow in place.
 */
export function kmap(k: Kernel, gpa: number): number {
  if (!k.frames.isHighmem(gpa)) return PAGE_OFFSET + gpa;
  const pk = k.pkmap;
  for (let i = 0; i < LAST_PKMAP; i++) {
    if (pk.count[i]! > 0 && pk.frame[i] === gpa) {
      pk.count[i]!++;
      return pkmapAddr(i);
    }
  }
  // Two passes: the wrap in the first may free slots the second finds.
  for (let tries = 0; tries < 2 * LAST_PKMAP; tries++) {
    pk.last = (pk.last + 1) % LAST_PKMAP;
    // Slots are freed lazily: only when the search wraps are idle ones cleared.
    if (pk.last === 0) flushAllZeroPkmaps(k);
    if (pk.count[pk.last] !== 0) continue;
    pk.count[pk.last] = 2; // mapped, and one user
    pk.frame[pk.last] = gpa;
    k.stats.kmaps++;
    k.pv.setPteAt(BOOT_PGDIR, pkmapAddr(pk.last), fixmapPte(k, pkmapAddr(pk.last)), gpa | PAGE_KERNEL);
    return pkmapAddr(pk.last);
  }
  throw new Error('guest kernel: every persistent kmap slot is in use');
}

/** kunmap: one user fewer. The mapping itself stays until the pool wraps. */
export function kunmap(k: Kernel, gpa: number): void {
  if (!k.frames.isHighmem(gpa)) return;
  const pk = k.pkmap;
  for (let i = 0; i < LAST_PKMAP; i++) {
    if (pk.count[i]! > 1 && pk.frame[i] === gpa) {
      pk.count[i]!--;
      return;
    }
  }
  throw new Error(`guest kernel bug: kunmap of unmapped frame 0x${gpa.toString(16)}`);
}

/**
 * Clear every idle slot, then flush. Linux flushes the pkmap range with
 * flush_tlb_kernel_range, which on x86-32 is flush_tlb_all: under lguest,
 * FLUSH_TLB(1), and every shadow goes. The other half of M:009. In
 * 'set-pte-at' mode the kernel flushes just the pages it cleared, which the
 * Host applies in place like any kernel SET_PTE.
 */
function flushAllZeroPkmaps(k: Kernel): void {
  const pk = k.pkmap;
  const cleared: number[] = [];
  for (let i = 0; i < LAST_PKMAP; i++) {
    if (pk.count[i] !== 1) continue;
    pk.count[i] = 0;
    k.pv.setPteAt(BOOT_PGDIR, pkmapAddr(i), fixmapPte(k, pkmapAddr(i)), 0);
    cleared.push(pkmapAddr(i));
  }
  if (cleared.length === 0) return;
  if (k.kmapMode === 'set-pte') k.pv.flushTlbKernel();
  else for (const vaddr of cleared) k.pv.flushTlbSingle(vaddr);
}
// #endregion G-pkmap

