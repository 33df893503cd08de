import { describe, expect, test } from 'vitest';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { LHCALL_FLUSH_TLB, LHCALL_SET_PMD } from '../../src/host/hypercalls.ts';
import { SWITCHER_ADDR, SWITCHER_MAGIC } from '../../src/host/switcher.ts';
import { freeGuestPagetable, initGuest } from '../../src/host/init.ts';
import { claim } from '../support/claim.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE, LHCALL_SET_PTE, PAGE_OFFSET, shadowPde, shadowPte } from '../support/guest.ts';

const USER = 0x0804_8000;
const PRWU = PTE_P | PTE_RW | PTE_US;

/**
 * Two processes with the same user address mapped, each to a frame of its own, both shadowed; the
 * second (`other`) runs, and the boot directory's shadow sits in another slot (`bootSlot`).
 */
function twoProcesses() {
  const t = bootGuest();
  const other = t.newPgdir();
  t.setPte(BOOT_PGDIR, USER, t.frame() | PRWU);
  t.access('read', USER, 3);
  hypercall(t.g, LHCALL_NEW_PGTABLE, other);
  const mine = t.frame();
  t.setPte(other, USER, mine | PRWU);
  t.access('read', USER, 3);
  const bootSlot = t.g.pgdirs.findIndex((p) => p.pgdir && p.gpgdir === BOOT_PGDIR);
  expect(bootSlot).toBeGreaterThanOrEqual(0);
  expect(bootSlot).not.toBe(t.g.cpuPgd);
  expect(shadowPte(t.g, USER, bootSlot)).not.toBe(0);
  return { t, other, mine, bootSlot };
}

describe('keeping shadows honest (H:400–H:470)', () => {
  claim('host-set-pte-kernel-every-slot', () => {
    const t = bootGuest();
    const dirs = [t.newPgdir(), t.newPgdir()];
    const k = PAGE_OFFSET + 0x20_0000;
    for (const d of dirs) {
      hypercall(t.g, LHCALL_NEW_PGTABLE, d);
      t.access('read', k);
    }
    const f = t.frame();
    const at = t.setPte(BOOT_PGDIR, k, f | PTE_P | PTE_RW | PTE_A | PTE_D); // the shared kernel table
    hypercall(t.g, LHCALL_SET_PTE, dirs[0]!, k, t.read(at));
    const slots = [0, 1, 2, 3].filter((s) => t.g.pgdirs[s]!.pgdir && t.g.pgdirs[s]!.gpgdir);
    expect(slots.length).toBeGreaterThanOrEqual(2);
    for (const s of slots) {
      // Every slot's shadow maps the new frame, present and writable (the entry is Dirty)...
      expect(shadowPte(t.g, k, s) >>> 12).toBe((t.g.memBase + f) / 4096);
      expect(shadowPte(t.g, k, s) & (PTE_P | PTE_RW)).toBe(PTE_P | PTE_RW);
    }
    for (const s of slots) {
      // ...so no process faults on it afterwards, whichever runs.
      hypercall(t.g, LHCALL_NEW_PGTABLE, t.g.pgdirs[s]!.gpgdir);
      const hidden = t.g.stats.hiddenFaults;
      expect(t.access('write', k, 1, 7 + s)).toEqual({ ok: true, value: 7 + s });
      expect(t.g.stats.hiddenFaults).toBe(hidden);
    }
  });

  claim('host-set-pte-user-one-slot', () => {
    const { t, mine, bootSlot } = twoProcesses();
    const running = shadowPte(t.g, USER);
    // The first process's page moves to a new frame, told by SET_PTE for its own directory (Accessed: mapped at once).
    const moved = t.frame();
    const at = t.setPte(BOOT_PGDIR, USER, moved | PRWU | PTE_A | PTE_D);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, t.read(at));
    expect(shadowPte(t.g, USER, bootSlot) >>> 12).toBe((t.g.memBase + moved) / 4096);
    expect(shadowPte(t.g, USER)).toBe(running);
    expect(shadowPte(t.g, USER) >>> 12).toBe((t.g.memBase + mine) / 4096);
  });

  claim('host-set-pte-accessed-only-read-only', () => {
    const t = bootGuest();
    t.setPte(BOOT_PGDIR, USER + 0x1000, t.frame() | PRWU);
    t.access('read', USER + 0x1000, 3); // a neighbour's fault makes the shadow page table exist
    const at = t.setPte(BOOT_PGDIR, USER, t.frame() | PRWU | PTE_A);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, t.read(at));
    expect(shadowPte(t.g, USER) & (PTE_P | PTE_RW)).toBe(PTE_P);
    t.access('write', USER, 3, 1);
    expect(t.read(at) & PTE_D).toBe(PTE_D);
    // Neither Accessed nor Dirty: the shadow entry is cleared, and waits for a fault.
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, t.read(at) & ~(PTE_A | PTE_D));
    expect(shadowPte(t.g, USER)).toBe(0);
  });

  claim('host-set-pgd-drops-entry', () => {
    const { t, other, bootSlot } = twoProcesses();
    // SET_PMD names the directory that is not running: its shadow's entry goes, the running one's stays.
    const freed = t.g.stats.shadowPagesFreed;
    hypercall(t.g, LHCALL_SET_PMD, BOOT_PGDIR, USER >>> 22);
    expect(shadowPde(t.g, USER, bootSlot)).toBe(0);
    expect(shadowPte(t.g, USER)).not.toBe(0);
    expect(t.g.stats.shadowPagesFreed).toBe(freed + 1);
    // And for the running one, the same; and the processor forgets what it cached through the
    // entry: the Guest moved its page to a new frame, and the next read sees the new frame.
    const moved = t.frame();
    t.write(moved, 0x5e7);
    t.setPte(other, USER, moved | PRWU);
    hypercall(t.g, LHCALL_SET_PMD, other, USER >>> 22);
    expect(shadowPde(t.g, USER)).toBe(0);
    expect(t.g.stats.shadowPagesFreed).toBe(freed + 2);
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 0x5e7 });
    expect(() => hypercall(t.g, LHCALL_SET_PMD, BOOT_PGDIR, 1024)).toThrow('guest killed: attempt to set pgd 1024/1024');
  });

  claim('host-pgdir-cache', () => {
    const t = bootGuest(512);
    const dirs = [BOOT_PGDIR, t.newPgdir(), t.newPgdir()];
    dirs.forEach((d, i) => t.setPte(d, USER, t.frame() | PRWU | PTE_A | PTE_D | (i << 9)));
    // Each process reads its user page, and its kernel reads a few of its own pages (each slot maps them).
    const kernelPages = [0x8_0000, 0x9_0000, 0xa_0000].map((o) => PAGE_OFFSET + o);
    for (const d of dirs) {
      hypercall(t.g, LHCALL_NEW_PGTABLE, d);
      t.access('read', USER, 3);
      for (const k of kernelPages) t.access('read', k);
    }
    // Back to a directory we still shadow: no hidden fault for a page it mapped.
    // (One that is not running: switching to the current directory would prove nothing.)
    const running = t.g.pgdirs[t.g.cpuPgd]!.gpgdir;
    const cached = dirs.filter((d) => d !== running && t.g.pgdirs.some((p) => p.pgdir && p.gpgdir === d));
    expect(cached.length).toBeGreaterThan(0);
    hypercall(t.g, LHCALL_NEW_PGTABLE, cached[0]!);
    const hidden = t.g.stats.hiddenFaults;
    t.access('read', USER, 3);
    expect(t.g.stats.hiddenFaults).toBe(hidden);
    // Many more directories than slots: a reused slot never shows another process's user pages,
    // and keeps the kernel half it had, so the kernel runs on without a hidden fault.
    for (let i = 0; i < 12; i++) {
      const d = t.newPgdir();
      const reused = t.g.pgdirs.every((p) => p.pgdir !== 0);
      hypercall(t.g, LHCALL_NEW_PGTABLE, d);
      expect(t.access('read', USER, 3).ok).toBe(false);
      const hidden = t.g.stats.hiddenFaults;
      for (const k of kernelPages) expect(t.access('read', k).ok).toBe(true);
      if (reused) expect(t.g.stats.hiddenFaults).toBe(hidden);
      for (const k of kernelPages) t.access('read', k); // (a blank slot maps them now)
    }
  });

  claim('host-flush-user-and-all', () => {
    const t = bootGuest();
    const users = [USER, USER + 0x40_0000, 0x4000_0000, 0xbfff_f000];
    const kernel = [PAGE_OFFSET + 0x8_0000, PAGE_OFFSET + 0xf_f000];
    // Three processes, each with user pages and the kernel's mapped in its shadow.
    const dirs = [BOOT_PGDIR, t.newPgdir(), t.newPgdir()];
    for (const d of dirs) {
      for (const u of users) t.setPte(d, u, t.frame() | PRWU);
      hypercall(t.g, LHCALL_NEW_PGTABLE, d);
      for (const va of [...users, ...kernel]) expect(t.access('read', va, va < PAGE_OFFSET ? 3 : 1).ok).toBe(true);
    }
    const slotOf = (d: number) => t.g.pgdirs.findIndex((p) => p.pgdir && p.gpgdir === d);
    // FLUSH_TLB(0): the current shadow's user entries go, its kernel entries and the other shadows stay.
    const cached = dirs.filter((d) => slotOf(d) >= 0);
    expect(cached.length).toBeGreaterThanOrEqual(2);
    // The Guest first moves one of its pages (just read, so cached), telling nobody: after the flush
    // the processor must see the move.
    expect(t.access('read', users[0]!, 3).ok).toBe(true);
    const moved = t.frame();
    t.write(moved, 0xf1a5);
    t.setPte(dirs[2]!, users[0]!, moved | PRWU);
    hypercall(t.g, LHCALL_FLUSH_TLB, 0);
    for (const d of cached) {
      for (const u of users) expect(shadowPte(t.g, u, slotOf(d)) & PTE_P).toBe(d === dirs[2] ? 0 : PTE_P);
      for (const k of kernel) expect(shadowPte(t.g, k, slotOf(d)) & PTE_P).toBe(PTE_P);
    }
    expect(t.access('read', users[0]!, 3)).toEqual({ ok: true, value: 0xf1a5 });
    // FLUSH_TLB(1): every entry of every slot goes (every shadow page given back), but the
    // Switcher and the stack, pinned again at once.
    hypercall(t.g, LHCALL_FLUSH_TLB, 1);
    const live = t.g.stats.shadowPagesAllocated - t.g.stats.shadowPagesFreed;
    expect(live).toBe(t.g.pgdirs.filter((p) => p.pgdir).length + 1); // each slot's directory, and the stack's page table
    expect(t.g.pageRefs.size).toBe(1); // the stack page
    for (let s = 0; s < 4; s++) {
      if (!t.g.pgdirs[s]!.pgdir) continue;
      for (let i = 0; i < 1023; i++) {
        const spgd = t.g.memory.read32(t.g.pgdirs[s]!.pgdir + i * 4);
        if (s === t.g.cpuPgd && i === (PAGE_OFFSET + 0x7000) >>> 22) continue;
        expect(spgd).toBe(0);
      }
    }
    expect(shadowPte(t.g, PAGE_OFFSET + 0x7000) & (PTE_P | PTE_RW)).toBe(PTE_P | PTE_RW);
    expect(t.access('read', SWITCHER_ADDR)).toEqual({ ok: true, value: SWITCHER_MAGIC });
  });

  claim('host-stack-pinned', () => {
    const t = bootGuest();
    expect(shadowPte(t.g, PAGE_OFFSET + 0x7000) & (PTE_P | PTE_RW)).toBe(PTE_P | PTE_RW);
    // Pinning fakes a write, so the Guest's entry for the stack page is Dirty.
    expect(t.pte(BOOT_PGDIR, PAGE_OFFSET + 0x7000) & PTE_D).toBe(PTE_D);
    // A stack the Guest's own tables make read-only kills it.
    t.write(0x3000 + 9 * 4, 0x9000 | PTE_P);
    expect(() => hypercall(t.g, 7, PAGE_OFFSET + 0xa000, 1)).toThrow('guest killed: bad stack page 0xc0009fff');
  });

  claim('host-switcher-read-only', () => {
    const t = bootGuest();
    expect(t.access('read', SWITCHER_ADDR)).toEqual({ ok: true, value: SWITCHER_MAGIC });
    // Not writable even by the Guest kernel, and not there at all for user code (no U/S):
    // the fault goes to the Guest, whose own tables map nothing there…
    expect(t.access('write', SWITCHER_ADDR, 1, 0)).toEqual({ ok: false, fault: { address: SWITCHER_ADDR, errorCode: 2 } }); // W: the Guest's own tables have nothing there
    expect(t.access('read', SWITCHER_ADDR, 3).ok).toBe(false);
    expect(t.access('read', SWITCHER_ADDR)).toEqual({ ok: true, value: SWITCHER_MAGIC });
    // A Guest directory entry over the Switcher, with a table that maps a neighbour but not this
    // page: the Guest's own tables refuse the access, so it is the Guest's fault (2.6.24 killed here).
    t.setPte(BOOT_PGDIR, SWITCHER_ADDR + 0x1000, t.frame() | PRWU);
    expect(t.access('write', SWITCHER_ADDR, 1, 0)).toEqual({ ok: false, fault: { address: SWITCHER_ADDR, errorCode: 2 } });
    expect(t.g.dead).toBe(null);
    // …and a Guest that maps something there, to make us shadow it, is killed.
    t.setPte(BOOT_PGDIR, SWITCHER_ADDR, t.frame() | PRWU);
    expect(() => t.access('write', SWITCHER_ADDR, 1, 0)).toThrow('guest killed: attempt to access switcher pages');
  });

  claim('host-init-rules', () => {
    // Any hypercall before LGUEST_INIT kills, whatever it is.
    for (const call of [LHCALL_NEW_PGTABLE, LHCALL_FLUSH_TLB, LHCALL_SET_PTE, LHCALL_SET_PMD, 7, 13, 99]) {
      const g = initGuest({ pages: 64, pgdir: BOOT_PGDIR });
      expect(() => hypercall(g, call, BOOT_PGDIR, 0, 0)).toThrow(`guest killed: hypercall ${call} before INIT`);
      expect(() => hypercall(g, 1, 0x1000)).toThrow(`guest killed: hypercall ${call} before INIT`);
    }
    const t = bootGuest();
    expect(() => hypercall(t.g, 1, 0x1000)).toThrow('guest killed: already have lguest_data');
    const u = bootGuest();
    const { g } = u;
    expect(g.initialized).toBe(true);
    expect(u.read(0x1000 + 4)).toBe(4 << 20);
  });

  test('teardown gives back every shadow page and every frame reference', () => {
    const t = bootGuest();
    for (let i = 0; i < 20; i++) {
      t.setPte(BOOT_PGDIR, USER + i * 0x40_0000, t.frame() | PRWU);
      t.access('write', USER + i * 0x40_0000, 3, i);
    }
    freeGuestPagetable(t.g);
    expect(t.g.stats.shadowPagesFreed).toBe(t.g.stats.shadowPagesAllocated);
    expect(t.g.pageRefs.size).toBe(0);
  });
});
