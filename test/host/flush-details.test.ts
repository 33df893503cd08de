/*
 * FLUSH_TLB(1) under PAE, where the kernel's gigabyte and the Switcher share
 * PDPT entry 3: the clear-all empties that entry's page directory entry by
 * entry, below the Switcher's, rather than the entry itself. Every one of
 * them goes, the odd ones as well as the even ones, in every slot, and every
 * reference to a Guest frame with them; only the Switcher and the stack,
 * pinned again at once, are left.
 */
import { describe, expect, test } from 'vitest';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { LHCALL_FLUSH_TLB } from '../../src/host/hypercalls.ts';
import { entryFrame } from '../../src/host/shadow-walk.ts';
import { PAE_SWITCHER_ADDR, PAE_SWITCHER_PGD_INDEX, PAE_SWITCHER_PMD_INDEX, SWITCHER_MAGIC } from '../../src/host/switcher.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE, PAGE_OFFSET } from '../support/guest.ts';

const STACK = PAGE_OFFSET + 0x7000;

describe('FLUSH_TLB(1) under PAE', () => {
  test('empties every page directory entry of the kernel gigabyte below the Switcher, in every slot', () => {
    const t = bootGuest(2048, PTE_P | PTE_RW, 1, { pae: true });
    // Kernel pages in four 2 MiB regions (page directory entries 0 to 3 of PDPT entry 3), user pages in the other gigabytes.
    const kernel = [0, 1, 2, 3].map((k) => PAGE_OFFSET + k * 0x20_0000 + 0x1000);
    const users = [0x0804_8000, 0x4000_0000, 0xbfe0_0000];
    const dirs = [BOOT_PGDIR, t.newPgdir()];
    for (const d of dirs) {
      for (const u of users) t.setPte(d, u, t.frame() | PTE_P | PTE_RW | PTE_US);
      hypercall(t.g, LHCALL_NEW_PGTABLE, d);
      for (const va of [...users, ...kernel]) expect(t.access('read', va, va < PAGE_OFFSET ? 3 : 1).ok).toBe(true);
    }
    const slots = t.g.pgdirs.filter((p) => p.pgdir);
    expect(slots.length).toBe(2);

    hypercall(t.g, LHCALL_FLUSH_TLB, 1);
    expect(t.g.pageRefs.size).toBe(1); // the stack page
    for (const slot of slots) {
      const read = (at: number) => t.g.memory.read32(at);
      for (let i = 0; i < PAE_SWITCHER_PGD_INDEX; i++) expect(read(slot.pgdir + i * 8), `PDPT entry ${i}`).toBe(0);
      const spgd = read(slot.pgdir + PAE_SWITCHER_PGD_INDEX * 8);
      if (!(spgd & PTE_P)) continue;
      for (let k = 0; k < PAE_SWITCHER_PMD_INDEX; k++) {
        if (slot === t.g.pgdirs[t.g.cpuPgd] && k === ((STACK >>> 21) & 0x1ff)) continue;
        expect(read(entryFrame(spgd) + k * 8), `page directory entry ${k}`).toBe(0);
      }
    }
    // Everything comes back on demand, and the Switcher never went.
    for (const va of kernel) expect(t.access('read', va, 1).ok).toBe(true);
    expect(t.access('read', PAE_SWITCHER_ADDR)).toEqual({ ok: true, value: SWITCHER_MAGIC });
  });
});
