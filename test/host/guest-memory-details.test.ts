/*
 * The Host's own reads and writes of Guest memory, at its edges. Every Guest
 * address the Host touches is checked, even where the Guest chose it only
 * once, at LGUEST_INIT: a lguest_data page that runs off the end of the Guest
 * kills the Guest then, as lguest's initialize() does, before the Host writes
 * a word of it. The helpers that count references keep their own contracts
 * too: a frame outside the Guest is never counted, and dropping a reference
 * that was never taken is a Host bug, said so at once.
 */
import { describe, expect, test } from 'vitest';
import { READ } from '../../src/hw/rights.ts';
import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { getPfn, releasePte } from '../../src/host/gpte-to-spte.ts';
import { lguestAddressOk } from '../../src/host/guest-memory.ts';
import { hypercall, LHCALL_LGUEST_INIT, LHCALL_SET_STACK } from '../../src/host/hypercalls.ts';
import { initGuest } from '../../src/host/init.ts';
import { GuestKilled, type Guest } from '../../src/host/lguest.ts';
import { runGuest } from '../../src/host/run.ts';
import { bootGuest, PAGE_OFFSET as KERNEL, shadowPde, shadowPte } from '../support/guest.ts';

const PAGES = 64;
const END = PAGES * 4096;
const PAGE_OFFSET = 0xc000_0000;

/** A Guest whose lguest_data page starts at `data`, its kernel address word in place, not yet initialised. */
function guestWithData(data: number): Guest {
  const g = initGuest({ pages: PAGES, pgdir: 0x2000 });
  g.memory.write32(g.memBase + data, PAGE_OFFSET);
  return g;
}

/** The reason `f` killed the Guest (a GuestKilled, nothing else), or null if it lived. */
function killedBy(g: Guest, f: () => void): string | null {
  try {
    f();
  } catch (e) {
    if (!(e instanceof GuestKilled)) throw e;
    expect(e.reason).toBe(g.dead);
  }
  return g.dead;
}

describe('the Host at the edges of Guest memory', () => {
  test('a lguest_data page that runs past the Guest kills it at LGUEST_INIT, whichever word is past, and touches nothing', () => {
    // lguest checks the whole structure when the Guest hands it over: twelve bytes, for our three words.
    for (const data of [END - 4, END - 8, END - 11, END, -4, 1.5, Number.NaN]) {
      const g = guestWithData(Math.max(0, Math.min(END - 4, Math.floor(data) || 0)));
      const before = g.memory.bytes.slice();
      expect(killedBy(g, () => hypercall(g, LHCALL_LGUEST_INIT, data))).toBe(`bad guest page 0x${data.toString(16)}`);
      expect(g.initialized).toBe(false);
      // Not a byte of the Host's memory, the Guest's included, has changed (compared whole, not element by element).
      expect(Buffer.compare(g.memory.bytes, before)).toBe(0);
    }
    // Twelve bytes from the end is the Guest's own, and the Host writes its answer there.
    const ok = guestWithData(END - 12);
    expect(killedBy(ok, () => hypercall(ok, LHCALL_LGUEST_INIT, END - 12))).toBe(null);
    expect(ok.memory.read32(ok.memBase + END - 8)).not.toBe(0);
  });

  test('a fault reflected into the last word of the Guest lands there: its CR2 word', () => {
    const ok = guestWithData(END - 12);
    hypercall(ok, LHCALL_LGUEST_INIT, END - 12);
    // Nothing is mapped: a user read is the Guest's own fault, and its address goes to the CR2 word.
    expect(runGuest(ok, READ, 0x0804_8000, 3).ok).toBe(false);
    expect(ok.dead).toBe(null);
    expect(ok.memory.read32(ok.memBase + END - 4)).toBe(0x0804_8000);
  });

  test('lguestAddressOk takes an empty range anywhere up to the end, and no range that runs backwards', () => {
    const g = guestWithData(0x1000);
    expect(lguestAddressOk(g, 0, 0)).toBe(true);
    expect(lguestAddressOk(g, END, 0)).toBe(true);
    expect(lguestAddressOk(g, END - 4, 4)).toBe(true);
    expect(lguestAddressOk(g, END - 3, 4)).toBe(false);
    expect(lguestAddressOk(g, 8, -4)).toBe(false);
  });

  test('getPfn counts a reference to a Guest frame, and kills the Guest for a frame past its memory', () => {
    const g = guestWithData(0x1000);
    const last = getPfn(g, PAGES - 1, false);
    expect(last).toBe(g.memBase / 4096 + PAGES - 1);
    expect(g.pageRefs.get(last)).toBe(1);
    expect(killedBy(g, () => getPfn(g, PAGES, true))).toBe(`failed to get page ${PAGES}`);
    expect(g.pageRefs.has(g.memBase / 4096 + PAGES)).toBe(false);
  });

  test('releasePte drops the reference a shadow entry holds, and a reference never taken is a Host bug', () => {
    const g = guestWithData(0x1000);
    const pfn = getPfn(g, 5, false);
    releasePte(g, 0); // not present: holds nothing
    releasePte(g, (pfn * 4096) | PTE_P | PTE_RW);
    expect(g.pageRefs.has(pfn)).toBe(false);
    expect(() => releasePte(g, (pfn * 4096) | PTE_P)).toThrow(`releasePte: frame ${pfn} has no reference to drop`);
  });
});

describe.each([false, true])('SET_STACK pins the stack (PAE: %s)', (pae) => {
  test('into a shadow with no directory entry above the stack: both pages mapped writable at once', () => {
    const t = bootGuest(1024, PTE_P | PTE_RW, 1, { pae, stack: false });
    // Under PAE the kernel's PDPT entry is shadowed first (by a read of its first page), so what is
    // missing is the page directory entry below it, for the 2 MiB that hold the stack.
    if (pae) t.access('read', KERNEL);
    const esp = KERNEL + 0x30_0000;
    expect(shadowPde(t.g, esp - 0x1000)).toBe(0);
    hypercall(t.g, LHCALL_SET_STACK, esp, 2);
    for (const page of [esp - 0x1000, esp - 0x2000]) expect(shadowPte(t.g, page) & (PTE_P | PTE_RW), `0x${page.toString(16)}`).toBe(PTE_P | PTE_RW);
  });
});
