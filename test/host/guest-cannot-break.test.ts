/*
 * Four ways a Guest once broke the Host, each at both paging widths. Each test
 * failed on the Host before its fix: an Error escaped the Host, or the Guest
 * saw something its own tables forbid, or missed what they promise.
 */
import { describe, expect } from 'vitest';
import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { LHCALL_FLUSH_TLB } from '../../src/host/hypercalls.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { claim } from '../support/claim.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE, LHCALL_SET_PTE, PAGE_OFFSET, shadowPte } from '../support/guest.ts';

const USER = 0x0804_8000;
const PRWU = PTE_P | PTE_RW | PTE_US;
const WIDTHS = [{ name: 'two-level', pae: false }, { name: 'PAE', pae: true }] as const;

/** A Guest with one user page at USER (its PTE `pte`, the directory entry above it `pdeFlags`), as told to the Host. */
function withUserPage(pae: boolean, pte: number, pdeFlags: number) {
  const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
  const frame = t.frame();
  t.write(frame, 0x1234);
  t.setPte(BOOT_PGDIR, USER, frame | pte, pdeFlags);
  hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, frame | pte);
  return { t, frame, pdeAt: t.pdeAt(BOOT_PGDIR, USER) };
}

describe.each(WIDTHS)('a Guest cannot break the Host ($name)', ({ pae }) => {
  claim('host-directory-rights-follow-guest', () => {
    // Loosening: a directory entry without U/S (our copy made by a kernel read), then with it, told by SET_PTE.
    const a = withUserPage(pae, PRWU | PTE_A | PTE_D, PTE_P | PTE_RW | PTE_A);
    expect(a.t.access('read', USER, 1)).toEqual({ ok: true, value: 0x1234 });
    expect(a.t.access('read', USER, 3)).toEqual({ ok: false, fault: { address: USER, errorCode: PF_P | PF_U } });
    a.t.write(a.pdeAt, a.t.read(a.pdeAt) | PTE_US);
    hypercall(a.t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, a.t.pte(BOOT_PGDIR, USER));
    expect(a.t.access('read', USER, 3)).toEqual({ ok: true, value: 0x1234 });

    // The same in the kernel half, told by FLUSH_TLB(0), which keeps the kernel half's shadows.
    const k = PAGE_OFFSET + 0x100_0000;
    a.t.setPte(BOOT_PGDIR, k, a.frame | PRWU | PTE_A | PTE_D, PTE_P | PTE_RW | PTE_A);
    expect(a.t.access('read', k, 1)).toEqual({ ok: true, value: 0x1234 });
    expect(a.t.access('read', k, 3).ok).toBe(false);
    const kpdeAt = a.t.pdeAt(BOOT_PGDIR, k);
    a.t.write(kpdeAt, a.t.read(kpdeAt) | PTE_US);
    hypercall(a.t.g, LHCALL_FLUSH_TLB, 0);
    expect(a.t.access('read', k, 3)).toEqual({ ok: true, value: 0x1234 });

    // Tightening: a writable directory entry made read-only in place, told by SET_PTE.
    const b = withUserPage(pae, PRWU | PTE_A | PTE_D, PRWU | PTE_A);
    expect(b.t.access('write', USER, 3, 9)).toEqual({ ok: true, value: 9 });
    b.t.write(b.pdeAt, b.t.read(b.pdeAt) & ~PTE_RW);
    hypercall(b.t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, b.t.pte(BOOT_PGDIR, USER));
    expect(b.t.access('write', USER, 3, 10)).toEqual({ ok: false, fault: { address: USER, errorCode: PF_P | PF_W | PF_U } });
    expect(b.t.read(b.frame)).toBe(9);
    expect(b.t.access('read', USER, 3)).toEqual({ ok: true, value: 9 });
  });

  claim('host-out-of-shadow-pages-kills', () => {
    // Twelve host pages: the Switcher's four, slot 0's directory, and a few shadow tables.
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae, hostPages: 12 });
    const other = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    let killed: unknown = null;
    try {
      // Every access a new 4 MiB region: every one needs a shadow page table of its own.
      for (let i = 0; i < 64; i++) {
        const va = (i * 0x40_0000 + 0x1000) >>> 0;
        t.setPte(BOOT_PGDIR, va, t.frame() | PRWU | PTE_A);
        t.access('read', va, 3);
      }
    } catch (e) {
      killed = e;
    }
    expect(killed).toBeInstanceOf(GuestKilled);
    expect(t.g.dead).toBe('out of memory allocating a shadow page');
    // The Host goes on: another Guest runs, and the dead one is refused with its reason.
    expect(other.access('write', PAGE_OFFSET + 0x9000, 1, 5)).toEqual({ ok: true, value: 5 });
    expect(() => t.access('read', PAGE_OFFSET, 1)).toThrow('guest killed: out of memory allocating a shadow page');
  });

  claim('host-set-pte-dirty-without-accessed', () => {
    const { t, frame } = withUserPage(pae, PRWU, PRWU | PTE_A);
    t.access('read', USER, 3); // mapped once: the shadow page table exists
    // The kernel ages the page (clears Accessed) and marks it Dirty, and tells the Host.
    t.setPte(BOOT_PGDIR, USER, frame | PRWU | PTE_D);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, frame | PRWU | PTE_D);
    // Not mapped yet: the read must reach the Host, which sets Accessed as the processor would.
    expect(shadowPte(t.g, USER) & PTE_P).toBe(0);
    const hidden = t.g.stats.hiddenFaults;
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 0x1234 });
    expect(t.g.stats.hiddenFaults).toBe(hidden + 1);
    expect(t.pte(BOOT_PGDIR, USER) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });

  claim('host-new-pgtable-masks-cr3', () => {
    const { t } = withUserPage(pae, PRWU | PTE_A | PTE_D, PRWU | PTE_A);
    const dir = t.newPgdir();
    t.setPte(dir, USER, t.frame() | PRWU | PTE_A);
    t.write(t.pte(dir, USER) & 0xffff_f000, 0x5678);
    // The low bits of CR3 are cache controls (and, without PAE, the offset within the page is ignored).
    hypercall(t.g, LHCALL_NEW_PGTABLE, dir | (pae ? 0x18 : 0x123));
    expect(t.g.pgdirs[t.g.cpuPgd]!.gpgdir).toBe(dir);
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 0x5678 });
    expect(t.access('read', PAGE_OFFSET + dir, 1)).toEqual({ ok: true, value: t.read(dir) });
    if (!pae) return;
    // Under PAE the PDPT need only be 32-byte aligned: a copy of it 0x40 into its page is a table of its own.
    const moved = dir + 0x40;
    for (let i = 0; i < 32; i += 4) t.write(moved + i, t.read(dir + i));
    hypercall(t.g, LHCALL_NEW_PGTABLE, moved | 0x18);
    expect(t.g.pgdirs[t.g.cpuPgd]!.gpgdir).toBe(moved);
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 0x5678 });
  });
});
