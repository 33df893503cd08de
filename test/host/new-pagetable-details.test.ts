/*
 * NEW_PGTABLE and the stack: whichever shadow the Guest runs on after a
 * switch maps its kernel stack, including a shadow used before whose kernel
 * half a flush of everything took away. lguest pinned the stack only in a
 * blank shadow, and so did this Host until this test.
 */
import { describe, expect, test } from 'vitest';
import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { LHCALL_FLUSH_TLB } from '../../src/host/hypercalls.ts';
import { pageWritable } from '../../src/host/page-writable.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE, PAGE_OFFSET } from '../support/guest.ts';

const STACK = PAGE_OFFSET + 0x8000 - 1; // the one page below esp1 that bootGuest's SET_STACK names

describe.each([false, true])('the stack across switches (PAE: %s)', (pae) => {
  test('after a flush of everything, switching back to another process still finds the stack mapped', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const other = t.newPgdir();
    hypercall(t.g, LHCALL_NEW_PGTABLE, other);
    const otherSlot = t.g.cpuPgd;
    hypercall(t.g, LHCALL_NEW_PGTABLE, BOOT_PGDIR);
    expect(t.g.cpuPgd).not.toBe(otherSlot);
    hypercall(t.g, LHCALL_FLUSH_TLB, 1); // every shadow loses its kernel half; the current one gets its stack back
    expect(pageWritable(t.g, STACK)).toBe(true);
    hypercall(t.g, LHCALL_NEW_PGTABLE, other);
    expect(t.g.cpuPgd).toBe(otherSlot); // the same shadow as before, found again
    expect(pageWritable(t.g, STACK)).toBe(true);
  });

  test('a switch to a shadow that still maps the stack costs no fault', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const other = t.newPgdir();
    hypercall(t.g, LHCALL_NEW_PGTABLE, other);
    hypercall(t.g, LHCALL_NEW_PGTABLE, BOOT_PGDIR);
    const hidden = t.g.stats.hiddenFaults;
    hypercall(t.g, LHCALL_NEW_PGTABLE, other);
    hypercall(t.g, LHCALL_NEW_PGTABLE, BOOT_PGDIR);
    expect(t.g.stats.hiddenFaults).toBe(hidden);
  });
});

describe.each([false, true])('a new page directory with no Host page left (PAE: %s)', (pae) => {
  test('takes over the current slot, as lguest\'s new_pgdir does, and the Guest runs on', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const slot = t.g.cpuPgd;
    while (t.g.hostFrames.alloc() >= 0); // the Host's pool is empty
    const allocated = t.g.stats.shadowPagesAllocated;
    // Several new address spaces: each random victim that was never used would need a page.
    for (let i = 0; i < 6; i++) {
      const gpgdir = t.newPgdir();
      hypercall(t.g, LHCALL_NEW_PGTABLE, gpgdir);
      expect(t.g.dead).toBeNull();
      expect(t.g.cpuPgd).toBe(slot);
      expect(t.g.pgdirs[slot]!.gpgdir).toBe(gpgdir);
      expect(pageWritable(t.g, STACK)).toBe(true);
    }
    expect(t.g.pgdirs.filter((p) => p.pgdir).length).toBe(1);
    expect(t.g.stats.shadowPagesAllocated).toBe(allocated); // no page was had, and none is counted
  });
});
