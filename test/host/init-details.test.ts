/*
 * LGUEST_INIT and the Guest's teardown, at both widths: a Guest that says its
 * kernel lives at or above the Switcher is killed, since the Switcher's
 * mapping would sit inside its kernel; a Guest made without saying PAE is a
 * two-level one; tearing a PAE Guest down gives back the kernel's page
 * directory too (the one PDPT entry a clear-all keeps, for the Switcher). And
 * the Host's trace names every hypercall the way lguest's source does.
 */
import { describe, expect, test } from 'vitest';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import {
  hypercall, LHCALL_FLUSH_TLB, LHCALL_LGUEST_INIT, LHCALL_NEW_PGTABLE, LHCALL_SET_PMD, LHCALL_SET_PMD_PAE, LHCALL_SET_PTE, LHCALL_SET_STACK,
} from '../../src/host/hypercalls.ts';
import { freeGuestPagetable, initGuest } from '../../src/host/init.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { PAE_SWITCHER_ADDR, SWITCHER_ADDR } from '../../src/host/switcher.ts';
import { bootGuest, BOOT_PGDIR, PAGE_OFFSET } from '../support/guest.ts';

const DATA = 0x1000;

describe.each([false, true])('LGUEST_INIT and teardown (PAE: %s)', (pae) => {
  test('a kernel address at or above the Switcher, or off a top-level boundary, kills the Guest; the last boundary below the Switcher does not', () => {
    const switcher = pae ? PAE_SWITCHER_ADDR : SWITCHER_ADDR;
    const topLevel = pae ? 2 ** 30 : 2 ** 22;
    const last = Math.floor((switcher - 1) / topLevel) * topLevel;
    const bad = (a: number) => `bad kernel address 0x${a.toString(16)}`;
    for (const [kernel, reason] of [
      [switcher, bad(switcher)], [0xffff_f000, bad(0xffff_f000)], [switcher - 0x1000, bad(switcher - 0x1000)],
      // Linux's PAGE_OFFSETs: 0xb0000000 is 3G_OPT, a two-level kernel's choice only (it splits a PAE top-level entry).
      [0xb000_0000, pae ? bad(0xb000_0000) : null], [0xc000_0000, null], [0x4000_0000, null], [last, null],
    ] as const) {
      const g = initGuest({ pages: 64, pgdir: BOOT_PGDIR, pae });
      g.memory.write32(g.memBase + DATA, kernel);
      try {
        hypercall(g, LHCALL_LGUEST_INIT, DATA);
      } catch (e) {
        if (!(e instanceof GuestKilled)) throw e;
      }
      expect(g.dead, `kernel at 0x${kernel.toString(16)}`).toBe(reason);
    }
  });

  test('teardown gives back every shadow page, the kernel page directory of a PAE Guest too', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    t.setPte(BOOT_PGDIR, 0x0804_8000, t.frame() | PTE_P | PTE_RW | PTE_US);
    expect(t.access('read', 0x0804_8000, 3).ok).toBe(true);
    expect(t.access('read', PAGE_OFFSET + 0x1000, 1).ok).toBe(true);
    freeGuestPagetable(t.g);
    expect(t.g.stats.shadowPagesFreed).toBe(t.g.stats.shadowPagesAllocated);
    expect(t.g.pageRefs.size).toBe(0);
  });
});

describe('the Guest and its trace', () => {
  test('a Guest made without saying PAE is a two-level one', () => {
    expect(initGuest({ pages: 16, pgdir: BOOT_PGDIR }).pae).toBe(false);
  });

  test('the trace names each hypercall', () => {
    for (const pae of [false, true]) {
      const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
      const names: string[] = [];
      t.g.trace = (_h, message) => {
        const name = /^hypercall (\S+)\(/.exec(message)?.[1];
        if (name) names.push(name);
      };
      hypercall(t.g, LHCALL_NEW_PGTABLE, BOOT_PGDIR);
      hypercall(t.g, LHCALL_FLUSH_TLB, 0);
      hypercall(t.g, LHCALL_SET_STACK, PAGE_OFFSET + 0x8000, 1);
      hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, 0x0804_8000, 0);
      hypercall(t.g, LHCALL_SET_PMD, BOOT_PGDIR, 0);
      if (pae) hypercall(t.g, LHCALL_SET_PMD_PAE);
      expect(() => hypercall(t.g, LHCALL_LGUEST_INIT, DATA)).toThrow(GuestKilled);
      expect(names).toEqual(['NEW_PGTABLE', 'FLUSH_TLB', 'SET_STACK', 'SET_PTE', 'SET_PMD', ...(pae ? ['SET_PMD(PAE)'] : []), 'LGUEST_INIT']);
    }
  });
});
