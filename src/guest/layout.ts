/*
 * Where things are in the Guest: its physical memory, as the kernel lays it
 * out at boot, and its virtual address space, as every process shares it
 * above PAGE_OFFSET. The Launcher (our lguest platform) knows this map too,
 * as lguest's Launcher knew where the boot page tables were.
 */

// #region G-layout
/** The kernel's half of every address space starts here (Linux's 3G/1G split). */
export const PAGE_OFFSET = 0xc000_0000;
/** The top 4 MiB belongs to the Switcher; lguest's RESERVE_MEM keeps the Guest out of it. */
export const SWITCHER_BASE = 0xffc0_0000;
/**
 * The 4 MiB just below the Switcher holds the fixmap: the kernel's slots for
 * mapping a highmem page for a moment (kmap_atomic), one page each.
 */
export const FIXMAP_BASE = 0xff80_0000;
/** kmap_atomic slots, counted down from the top of the fixmap like Linux's FIX_KMAP_BEGIN. */
export const KM_USER0 = 0;
export const KM_USER1 = 1;
export const KM_TYPE_NR = 2;
/** The virtual address of kmap_atomic slot `type`. */
export function kmapSlotAddr(type: number): number {
  return SWITCHER_BASE - (type + 1) * 4096;
}

/**
 * Persistent kmap slots (Linux's PKMAP area) share the fixmap's page table,
 * from its bottom up. Linux has 1024; a small pool wraps often, which is the
 * interesting case.
 */
export const PKMAP_BASE = FIXMAP_BASE;
export const LAST_PKMAP = 8;

/**
 * The direct map covers Guest-physical memory from 0 up to here, at
 * PAGE_OFFSET + address; anything above is highmem, mapped only on demand.
 */
export const MAX_LOWMEM = FIXMAP_BASE - PAGE_OFFSET;

/** Guest-physical frames the kernel places at boot. Frame 0 stays unused, as on a PC. */
export const LGUEST_DATA = 0x1000;
export const BOOT_PGDIR = 0x2000;
export const KERNEL_STACK = 0x3000;
/** The fixmap's page table (under PAE, two: each covers 2 MiB), the kernel's PMD (PAE only), then the direct map's page tables. */
export const FIXMAP_PT = 0x4000;
export const FIXMAP_PT_HI = 0x5000;
export const KERNEL_PMD = 0x6000;
export const KERNEL_PT = 0x7000;

/** Where the kernel tells the Host its PAGE_OFFSET, inside lguest_data (see H:508). */
export const LGUEST_DATA_KERNEL_ADDRESS = 0;

/** Page-table flags, as Linux spells them. */
export const _KERNPG_TABLE = 0x63; // P|RW|A|D: a kernel page table
export const _PAGE_TABLE = 0x67; // P|RW|US|A|D: a user page table
export const PAGE_KERNEL = 0x63; // P|RW|A|D: kernel data, already young and dirty

/** User mappings start here and grow up, below PAGE_OFFSET. */
export const MMAP_BASE = 0x4000_0000;
// #endregion G-layout
