/*
 * findSpte and its helpers at their edges: a lookup builds nothing, a
 * directory entry whose flags did not change is left alone (so the processor
 * keeps what it cached under it), and asking for a page table under a missing
 * directory entry is a Host bug, said as one.
 */
import { describe, expect, test } from 'vitest';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { findSpte, spteAddr } from '../../src/host/shadow-walk.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_SET_PTE } from '../support/guest.ts';

const PRWU = PTE_P | PTE_RW | PTE_US;

describe.each([false, true])('finding shadow entries (PAE: %s)', (pae) => {
  test('a lookup (no Guest flags) of a part we do not shadow builds nothing', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const va = 0x4000_0000; // a PDPT entry of its own under PAE; nothing shadowed there yet
    const before = t.g.stats.shadowPagesAllocated;
    expect(findSpte(t.g, t.g.cpuPgd, va)).toBe(0);
    // The same through SET_PTE, which looks up before it writes.
    const frame = t.frame();
    t.setPte(BOOT_PGDIR, va, frame | PRWU | PTE_A | PTE_D);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, va, frame | PRWU | PTE_A | PTE_D);
    expect(t.g.stats.shadowPagesAllocated).toBe(before);
    // The fault builds it.
    expect(t.access('read', va, 3).ok).toBe(true);
    expect(t.g.stats.shadowPagesAllocated).toBeGreaterThan(before);
  });

  test('a hidden fault under an unchanged directory entry keeps every other translation the processor holds', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const a = 0x0804_8000, b = 0x0804_9000;
    t.setPte(BOOT_PGDIR, a, t.frame() | PRWU | PTE_A | PTE_D);
    t.setPte(BOOT_PGDIR, b, t.frame() | PRWU | PTE_A | PTE_D);
    expect(t.access('read', a, 3).ok).toBe(true);
    expect(t.g.mmu.tlb.entries().some((e) => e.vpn === a >>> 12)).toBe(true);
    const hidden = t.g.stats.hiddenFaults;
    expect(t.access('read', b, 3).ok).toBe(true);
    expect(t.g.stats.hiddenFaults).toBe(hidden + 1);
    expect(t.g.mmu.tlb.entries().some((e) => e.vpn === a >>> 12)).toBe(true);
  });

  test('a page-table entry under a shadow directory entry that is not present is a Host bug, said as one', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    expect(() => spteAddr(t.g, 0, 0x1000)).toThrow('spteAddr: shadow directory entry not present');
  });
});
