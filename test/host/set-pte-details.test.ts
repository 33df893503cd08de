/*
 * SET_PTE and SET_PGD at their edges, both widths: indices that are not
 * entries, the Switcher's own entry, the first kernel address, entries that
 * are not present (Linux keeps swap entries in them), and the Guest directory
 * entry above a SET_PTE, read as it stands (Avi Kivity's trick maps the page
 * at once, with the directory entry's own rights).
 */
import { describe, expect, test } from 'vitest';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { LHCALL_FLUSH_TLB, LHCALL_SET_PMD } from '../../src/host/hypercalls.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { guestSetPmd } from '../../src/host/set-pte.ts';
import { PAE_SWITCHER_PGD_INDEX, SWITCHER_PGD_INDEX } from '../../src/host/switcher.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE, LHCALL_SET_PTE, PAGE_OFFSET, shadowPde, shadowPte } from '../support/guest.ts';

const USER = 0x0804_8000;
const PRWU = PTE_P | PTE_RW | PTE_US;

describe.each([false, true])('SET_PGD and SET_PTE at their edges (PAE: %s)', (pae) => {
  const entries = pae ? 4 : 1024;
  const switcherIndex = pae ? PAE_SWITCHER_PGD_INDEX : SWITCHER_PGD_INDEX;

  test('SET_PGD of an index that is not an entry kills the Guest', () => {
    for (const idx of [-1, entries, entries + 7, 1.5]) {
      const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
      expect(() => hypercall(t.g, LHCALL_SET_PMD, BOOT_PGDIR, idx), String(idx)).toThrow(GuestKilled);
      expect(t.g.dead).toBe(`attempt to set pgd ${idx}/${entries}`);
    }
  });

  test('SET_PGD of the Switcher\'s entry (and, under PAE, the kernel\'s) leaves our shadow of it alone', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    expect(t.access('read', PAGE_OFFSET + 0x5000, 1).ok).toBe(true);
    const at = t.g.pgdirs[t.g.cpuPgd]!.pgdir + switcherIndex * (pae ? 8 : 4);
    const before = t.g.memory.read32(at);
    expect(before & PTE_P).toBe(PTE_P);
    hypercall(t.g, LHCALL_SET_PMD, BOOT_PGDIR, switcherIndex);
    expect(t.g.memory.read32(at)).toBe(before);
    expect(t.g.dead).toBe(null);
  });

  test('a SET_PTE of the very first kernel address reaches every shadow', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const other = t.newPgdir();
    hypercall(t.g, LHCALL_NEW_PGTABLE, other);
    expect(t.access('read', PAGE_OFFSET, 1).ok).toBe(true);
    hypercall(t.g, LHCALL_NEW_PGTABLE, BOOT_PGDIR);
    expect(t.access('read', PAGE_OFFSET, 1).ok).toBe(true);
    const slots = t.g.pgdirs.map((p, i) => (p.pgdir ? i : -1)).filter((i) => i >= 0);
    expect(slots.length).toBeGreaterThan(1);
    // The Guest points its first kernel page at another frame, and tells us.
    const frame = t.frame();
    const pte = frame | PTE_P | PTE_RW | PTE_A;
    t.setPte(BOOT_PGDIR, PAGE_OFFSET, pte);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, PAGE_OFFSET, pte);
    const hostFrame = t.g.memBase / 4096 + frame / 4096;
    for (const slot of slots) expect(shadowPte(t.g, PAGE_OFFSET, slot) >>> 12, `slot ${slot}`).toBe(hostFrame);
  });

  test('a SET_PTE of an entry that is not present, whatever its other bits, only unmaps', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const frame = t.frame();
    t.setPte(BOOT_PGDIR, USER, frame | PRWU | PTE_A | PTE_D);
    expect(t.access('read', USER, 3).ok).toBe(true);
    // A swap entry: Present clear, the rest the kernel's own business (here past the Guest's frames, and bit 7 set).
    const swap = 0xffff_f080;
    t.setPte(BOOT_PGDIR, USER, swap);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, swap);
    expect(t.g.dead).toBe(null);
    expect(shadowPte(t.g, USER)).toBe(0);
    expect(t.access('read', USER, 3)).toMatchObject({ ok: false });
  });

  test('SET_PTE maps the page at once, with the rights of the Guest directory entry above it', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const frame = t.frame();
    t.write(frame, 77);
    t.setPte(BOOT_PGDIR, USER + 0x1000, t.frame() | PRWU | PTE_A); // a neighbour, so our page table exists
    expect(t.access('read', USER + 0x1000, 3).ok).toBe(true);
    t.setPte(BOOT_PGDIR, USER, frame | PRWU | PTE_A);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, frame | PRWU | PTE_A);
    expect(shadowPde(t.g, USER) & (PTE_P | PTE_RW | PTE_US)).toBe(PTE_P | PTE_RW | PTE_US);
    const hidden = t.g.stats.hiddenFaults;
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 77 });
    expect(t.g.stats.hiddenFaults).toBe(hidden);
  });

  test('a SET_PTE under a Guest directory entry that is gone maps nothing, and leaks nothing', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const frame = t.frame();
    t.setPte(BOOT_PGDIR, USER, frame | PRWU | PTE_A | PTE_D);
    expect(t.access('read', USER, 3).ok).toBe(true);
    const hostFrame = t.g.memBase / 4096 + frame / 4096;
    expect(t.g.pageRefs.get(hostFrame)).toBe(1);
    // The Guest drops the directory entry (telling no one), then sets the PTE in the table it no longer uses.
    const pdeAt = t.pdeAt(BOOT_PGDIR, USER);
    const table = t.read(pdeAt) & 0xffff_f000;
    t.write(pdeAt, 0);
    const index = pae ? (USER >>> 12) & 0x1ff : (USER >>> 12) & 0x3ff;
    t.write(table + index * (pae ? 8 : 4), frame | PRWU | PTE_A | PTE_D);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, frame | PRWU | PTE_A | PTE_D);
    expect(t.access('read', USER, 3)).toMatchObject({ ok: false });
    // Throwing every shadow away returns every reference to the frame.
    hypercall(t.g, LHCALL_FLUSH_TLB, 1);
    expect(t.g.pageRefs.get(hostFrame)).toBe(undefined);
    expect(t.g.dead).toBe(null);
  });
});

describe('SET_PMD (PAE only)', () => {
  test('called for a two-level Guest, it kills it', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae: false });
    expect(() => guestSetPmd(t.g)).toThrow(GuestKilled);
    expect(t.g.dead).toBe('SET_PMD from a Guest without PAE');
  });

  test('a PDPT entry gone from the Guest\'s directory maps nothing, whatever lies at Guest-physical 0', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae: true });
    const frame = t.frame();
    t.setPte(BOOT_PGDIR, USER, frame | PRWU | PTE_A | PTE_D);
    expect(t.access('read', USER, 3).ok).toBe(true);
    // The Guest drops PDPT entry 0, and Guest-physical 0 happens to look like a directory entry.
    t.write(BOOT_PGDIR, 0);
    t.write(((USER >>> 21) & 0x1ff) * 8, t.frame() | PRWU | PTE_A);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, frame | PRWU | PTE_A | PTE_D);
    expect(shadowPte(t.g, USER)).toBe(0);
    hypercall(t.g, LHCALL_NEW_PGTABLE, BOOT_PGDIR); // as a processor would, it reloads CR3 to see its PDPT change
    expect(t.access('read', USER, 3)).toMatchObject({ ok: false });
  });
});
