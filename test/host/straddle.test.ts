/*
 * A word that straddles two pages, under the Host, at both widths. Its two
 * halves live in two Guest frames that need not be neighbours, so the Host
 * hands it to the MMU's split path (two translations) rather than reading
 * four bytes from where the first page's frame happens to end. A Guest that
 * maps only the first page gets its own fault for the second.
 */
import { describe, expect, test } from 'vitest';
import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';
import { bootGuest, BOOT_PGDIR } from '../support/guest.ts';
import { expectEachHalfFromItsFrame, layStraddlingWord } from '../support/straddle.ts';

const KIND_NAMES = { [READ]: 'read', [WRITE]: 'write', [FETCH]: 'fetch' } as const;

const USER = 0x0804_8000;
const PRWU = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;

describe.each([false, true])('a word across two pages (PAE: %s)', (pae) => {
  test('reads, fetches and writes take each half from its own frame', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    // Three frames from the top down: the first page gets the lowest, the second the highest, and the
    // frame right after the first holds something else.
    const second = t.frame();
    const between = t.frame();
    const first = t.frame();
    expect(between).toBe(first + 0x1000);
    layStraddlingWord(t.write, { first, second, between }); // and what lies past the first frame: no half of this word
    t.setPte(BOOT_PGDIR, USER, first | PRWU);
    t.setPte(BOOT_PGDIR, USER + 0x1000, second | PRWU);
    // The last whole word of the page, then the three that straddle; a fault would fail the test.
    const access = (kind: AccessKind, vaddr: number, cpl: number, value?: number): number => {
      const r = t.access(KIND_NAMES[kind], vaddr, cpl, value);
      if (!r.ok) throw new Error(`unexpected fault at ${vaddr.toString(16)}`);
      return r.value >>> 0;
    };
    expectEachHalfFromItsFrame(access, (gpa) => t.read(gpa) >>> 0, USER, { first, second, between });
  });

  test('with the second page unmapped, the Guest takes its own fault', () => {
    const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
    t.setPte(BOOT_PGDIR, USER, t.frame() | PRWU);
    const r = t.access('write', USER + 0xffe, 3, 1);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.fault.errorCode & (PF_P | PF_W | PF_U)).toBe(PF_W | PF_U);
    expect(r.fault.address >>> 12).toBe((USER + 0x1000) >>> 12);
    expect(t.g.dead).toBe(null);
  });
});
