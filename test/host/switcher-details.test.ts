/*
 * The Switcher's three pages as every shadow sees them, at both widths: the
 * code read-only at the Switcher's first page, the vCPU's registers page (the
 * one the Guest may write) at its second, the read-only state at its third,
 * each entry in its own slot of the Switcher's PTE page. Hooking the Switcher
 * in at every entry writes that PTE page and the one shadow entry above it,
 * nothing else: the Switcher's own pages stay as they were.
 */
import { describe, expect, test } from 'vitest';
import { PTE_A, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { PAE_SWITCHER_ADDR, SWITCHER_ADDR, SWITCHER_MAGIC } from '../../src/host/switcher.ts';
import { initGuest } from '../../src/host/init.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE, shadowPte } from '../support/guest.ts';

describe.each([false, true])('the Switcher in every shadow (PAE: %s)', (pae) => {
  test('code, registers and read-only state, each at its own page, and nothing written into them', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const s = t.g.switcher;
    const base = pae ? PAE_SWITCHER_ADDR : SWITCHER_ADDR;
    // Two processes, so the Switcher is hooked into two shadows.
    const other = t.newPgdir();
    t.setPte(other, 0x0804_8000, t.frame() | PTE_P | PTE_RW | PTE_US);
    for (const d of [BOOT_PGDIR, other, BOOT_PGDIR]) {
      hypercall(t.g, LHCALL_NEW_PGTABLE, d);
      expect(t.access('read', base)).toEqual({ ok: true, value: SWITCHER_MAGIC });
      expect(shadowPte(t.g, base)).toBe((s.code | PTE_P | PTE_A) >>> 0);
      expect(shadowPte(t.g, base + 0x1000)).toBe((s.regs | PTE_P | PTE_A | PTE_RW) >>> 0);
      expect(shadowPte(t.g, base + 0x2000)).toBe((s.roState | PTE_P | PTE_A) >>> 0);
    }
    for (const page of [s.regs, s.roState]) {
      const words = t.g.memory.frameWords(page);
      expect(words.findIndex((w) => w !== 0), `page 0x${page.toString(16)}`).toBe(-1);
    }
  });
});

test('a PAE shadow with nothing yet in the kernel gigabyte gets the PDPT entry the Switcher hangs from', () => {
  // No stack: nothing pins a kernel page, so the first entry into the Guest finds PDPT entry 3 empty.
  const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae: true, stack: false });
  expect(t.g.memory.read32(t.g.pgdirs[t.g.cpuPgd]!.pgdir + 3 * 8) & PTE_P).toBe(0);
  t.setPte(BOOT_PGDIR, 0x0804_8000, t.frame() | PTE_P | PTE_RW | PTE_US);
  expect(t.access('read', 0x0804_8000, 3).ok).toBe(true);
  expect(t.access('read', PAE_SWITCHER_ADDR)).toEqual({ ok: true, value: SWITCHER_MAGIC });
  expect(shadowPte(t.g, PAE_SWITCHER_ADDR)).toBe((t.g.switcher.code | PTE_P | PTE_A) >>> 0);
});

test('a Host with too few pages for the Switcher says so when it is made', () => {
  // Frames 1 to hostPages - 1 are the Host's (frame 0 is never handed out): the Switcher takes four, the first shadow one.
  for (const hostPages of [1, 2, 3, 4]) expect(() => initGuest({ pages: 16, pgdir: 0x2000, hostPages })).toThrow('the Host has no pages left for the Switcher');
  expect(() => initGuest({ pages: 16, pgdir: 0x2000, hostPages: 5 })).toThrow('guest killed: out of memory allocating a shadow page');
  expect(initGuest({ pages: 16, pgdir: 0x2000, hostPages: 6 }).dead).toBe(null);
});
