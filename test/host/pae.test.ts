/*
 * Shadow paging for a PAE Guest (lguest from about 2.6.32): three levels,
 * eight-byte entries, the Switcher in the top 2 MiB.
 */
import { describe, expect, test } from 'vitest';
import { PTE_P } from '../../src/hw/pte.ts';
import { READ, WRITE } from '../../src/hw/rights.ts';
import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { BOOT_PGDIR } from '../../src/guest/layout.ts';
import { hypercall, LHCALL_FLUSH_TLB, LHCALL_SET_PMD_PAE, LHCALL_SET_PTE } from '../../src/host/hypercalls.ts';
import { ptePtr } from '../../src/guest/kernel.ts';
import { guestAccess, FAULTED } from '../../src/host/run.ts';
import { PAE_SWITCHER_ADDR, PAE_SWITCHER_PGD_INDEX, PAE_SWITCHER_PMD_INDEX } from '../../src/host/switcher.ts';
import { SWITCHER_MAGIC } from '../../src/host/switcher.ts';
import { claim } from '../support/claim.ts';

function paeGuest() {
  const pv = new LguestPlatform(256 * 4096, { pae: true });
  return { pv, os: new GuestOs(pv), g: pv.g };
}

describe('PAE shadow paging', () => {
  claim('pae-pdpte-reload', () => {
    const { os, g } = paeGuest();
    // Two mappings a gigabyte apart: two PDPT entries, each a new shadow PMD page.
    const low = os.mmap(1);
    os.k.current.mmapNext = 0x8000_0000;
    const high = os.mmap(1);
    expect(high >>> 30).not.toBe(low >>> 30);
    os.write(low, 1);
    os.write(high, 2);
    expect([os.read(low), os.read(high)]).toEqual([1, 2]);
    // The processor's PDPTE registers hold the shadow's entries: CR3 was loaded again after each was made.
    const shadowPdpt = g.pgdirs[g.cpuPgd]!.pgdir;
    for (const va of [low, high]) expect(g.mmu.pdpteLo[va >>> 30]).toBe(g.memory.read32(shadowPdpt + (va >>> 30) * 8));
  });

  claim('pae-switcher-top-2m', () => {
    const { os, g } = paeGuest();
    expect(g.mmu.mode).toBe('pae');
    expect(guestAccess(g, READ, PAE_SWITCHER_ADDR, 1)).toBe(SWITCHER_MAGIC);
    expect(guestAccess(g, WRITE, PAE_SWITCHER_ADDR, 1, 0)).toBe(FAULTED);
    expect(guestAccess(g, READ, PAE_SWITCHER_ADDR, 3)).toBe(FAULTED);
    // The registers page, the Switcher's second, is the one the kernel may write; its programs may not.
    expect(guestAccess(g, WRITE, PAE_SWITCHER_ADDR + 0x1000, 1, 0)).toBe(0);
    expect(guestAccess(g, WRITE, PAE_SWITCHER_ADDR + 0x1000, 3, 0)).toBe(FAULTED);
    // RESERVE_MEM: the Guest is told to keep out of the top 2 MiB.
    expect(os.pv.read32(0x1000 + 4)).toBe(2 << 20);
    // A Guest that makes us shadow something there is killed.
    expect(() => hypercall(g, LHCALL_SET_PTE, BOOT_PGDIR, PAE_SWITCHER_ADDR, 0x5000 | PTE_P | 0x60, 0)).toThrow('guest killed: attempt to access switcher pages');
  });

  claim('pae-set-pmd-clears-all', () => {
    const { os, g } = paeGuest();
    const buf = os.mmap(2);
    os.write(buf, 1);
    const clears = g.stats.clearAlls;
    // The kernel's first page table in a new 2 MiB region is a middle-level entry: lguest throws everything away.
    os.k.current.mmapNext = buf + 0x20_0000;
    os.write(os.mmap(1), 2);
    expect(g.stats.clearAlls).toBeGreaterThan(clears);
    hypercall(g, LHCALL_SET_PMD_PAE, 0, 0);
    expect(g.stats.clearAlls).toBeGreaterThan(clears + 1);
    // Every shadow is gone: below the Switcher no slot maps anything but the pinned kernel stack,
    // and no Guest frame is held but the stack's.
    const stack = Array.from({ length: g.stackPages }, (_, i) => ((g.esp1 - 1 - i * 4096) & ~0xfff) >>> 0);
    const mapped: number[] = [];
    const entry = (table: number, i: number) => g.memory.read32(table + i * 8);
    for (const { pgdir } of g.pgdirs) {
      if (!pgdir) continue;
      for (let i = 0; i < PAE_SWITCHER_PGD_INDEX; i++) expect(entry(pgdir, i) & PTE_P, `PDPT entry ${i}`).toBe(0);
      const pd = entry(pgdir, PAE_SWITCHER_PGD_INDEX) & ~0xfff;
      for (let j = 0; j < PAE_SWITCHER_PMD_INDEX; j++) {
        if (!(entry(pd, j) & PTE_P)) continue;
        const pt = entry(pd, j) & ~0xfff;
        for (let k = 0; k < 512; k++) if (entry(pt, k) & PTE_P) mapped.push(((PAE_SWITCHER_PGD_INDEX * 2 ** 30) + j * 2 ** 21 + k * 4096) >>> 0);
      }
    }
    expect(mapped.sort()).toEqual([...stack].sort());
    expect(g.pageRefs.size).toBe(g.stackPages);
    expect(os.read(buf)).toBe(1);
  });

  /**
   * A page swapped out by a Linux PAE Guest: its entry not present, the swap
   * entry in the high word. No processor reads the rest of a non-present
   * entry, so the Guest's next use of the page is its own page fault, to
   * be handled by swapping the page in; never a reason to kill it.
   */
  function swappedOut() {
    const { os, g, pv } = paeGuest();
    const page = os.mmap(1);
    os.write(page, 1);
    const pgdir = os.k.current.pgdir;
    const ptep = ptePtr(os.k, pgdir, page, false);
    pv.write32(ptep, 0);
    pv.write32(ptep + 4, 0x0001_2340);
    return { g, page, pgdir };
  }

  test('a non-present entry with a high word (a swap entry), told by SET_PTE, faults to the Guest', () => {
    const { g, page, pgdir } = swappedOut();
    hypercall(g, LHCALL_SET_PTE, pgdir, page, 0, 0x0001_2340);
    expect(guestAccess(g, READ, page, 3)).toBe(FAULTED);
    expect(g.dead).toBeNull();
    expect(g.lastFault).toEqual({ address: page, errorCode: 4 }); // not present, a user read
  });

  test('a non-present entry with a high word, found by a walk after a flush, faults to the Guest', () => {
    const { g, page } = swappedOut();
    hypercall(g, LHCALL_FLUSH_TLB, 1);
    expect(guestAccess(g, WRITE, page, 3, 5)).toBe(FAULTED);
    expect(g.dead).toBeNull();
    expect(g.lastFault).toEqual({ address: page, errorCode: 6 }); // not present, a user write
  });

  test('an entry with a high word is refused: our Guests live below 4 GiB', () => {
    const { g } = paeGuest();
    expect(() => hypercall(g, LHCALL_SET_PTE, BOOT_PGDIR, 0xc000_0000, 0x5063, 1)).toThrow(/guest killed: bad page table entry 0x1/);
  });
});
