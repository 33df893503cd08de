/*
 * SET_PTE is the Guest's INVLPG: after it, the processor must not go on using
 * the old translation. The Host drops the shadow entry, but the processor's
 * own TLB still holds the page it filled from that entry a moment ago; the
 * Host marks it stale so the next entry into the Guest reloads CR3 (which
 * flushes it). Without that, a Guest that moved a page would read the old
 * frame, which bare hardware after INVLPG never does.
 */
import { describe, expect, test } from 'vitest';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_SET_PTE } from '../support/guest.ts';

const USER = 0x0804_8000;
const PRWU = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;

describe.each([false, true])('a page the Guest moves (PAE: %s)', (pae) => {
  test('after SET_PTE a read finds the new frame, not the one the processor cached', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    const oldFrame = t.frame();
    const newFrame = t.frame();
    t.write(oldFrame, 0x01d0_0001);
    t.write(newFrame, 0x0e40_0002);
    t.setPte(BOOT_PGDIR, USER, oldFrame | PRWU);
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 0x01d0_0001 });
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 0x01d0_0001 }); // a TLB hit now
    t.setPte(BOOT_PGDIR, USER, newFrame | PRWU); // in memory, as the Guest's set_pte does…
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, newFrame | PRWU); // …then tells the Host
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 0x0e40_0002 });
    expect(t.g.dead).toBe(null);
  });
});
