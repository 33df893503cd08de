/*
 * A Guest word that runs past 4 GiB (a read at 0xffff_fffe): with flat
 * 32-bit segments it passes the segment limit, and our processor raises
 * #GP(0) before any page is translated (SDM 5.3 lets a real one fault or
 * wrap; this model always faults, chapter 3). Our Guests have no #GP handler, so every Host kills
 * the Guest with that reason; none lets a plain error out, and none reads
 * page 0 in its place.
 */
import { describe, expect, test } from 'vitest';
import { CR0_PE, CR0_PG } from '../../src/hw/mmu.ts';
import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE } from '../../src/hw/rights.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { nestedAccess, nestedWriteCr0, nestedWriteCr3 } from '../../src/host/nested/run.ts';
import { createNestedVm } from '../../src/host/nested/vm.ts';
import { vmAccess } from '../../src/host/transparent/run.ts';
import { bootGuest } from '../support/guest.ts';
import { DIR, PDIR, PDPT, PRWU, PTAB, poke, smallGuest } from '../support/transparent-guest.ts';

const REASON = /^#GP\(0\): 4-byte access at 0xfffffffe runs past the 4 GiB segment limit$/;
const KINDS = [READ, WRITE, FETCH] as const;

describe('a word past 4 GiB kills the Guest with #GP, under every Host', () => {
  test.each(KINDS)('lguest\'s Host (kind %i)', (kind) => {
    for (const pae of [false, true]) {
      const t = bootGuest(256, PTE_P | PTE_RW, 1, { pae });
      const name = (['read', 'write', 'fetch'] as const)[kind];
      expect(() => t.access(name, 0xffff_fffe, 1, 7)).toThrow(GuestKilled);
      expect(t.g.dead).toMatch(REASON);
    }
  });

  test.each(KINDS)('the transparent Host (kind %i), with both 0xfffff000 and page 0 mapped', (kind) => {
    for (const pae of [false, true]) {
      const { vm } = smallGuest({
        pae,
        setup: ({ vm }) => {
          // The last directory entry names the page table too (under PAE, in the directory the last PDPT
          // entry names), so 0xfffff000 maps whatever the table's last entry does; page 0 is mapped as
          // well, so a Host that wrapped to 0 would find a page there.
          if (pae) poke(vm, PDPT + 3 * 8, PDIR | PTE_P);
          poke(vm, pae ? PDIR + 0x1ff * 8 : PDIR + 0x3ff * 4, PTAB | DIR);
          poke(vm, PTAB, 0x6000 | PRWU);
        },
      });
      expect(() => vmAccess(vm, kind, 0xffff_fffe, 0, 7)).toThrow(GuestKilled);
      expect(vm.dead).toMatch(REASON);
    }
  });

  test.each(KINDS)('the nested Host (kind %i), with both 0xfffff000 and page 0 mapped', (kind) => {
    const vm = createNestedVm({ pages: 64 });
    const w = (gpa: number, v: number) => vm.memory.write32(vm.memBase + gpa, v >>> 0);
    // Guest directory at 0x2000: 0xfffff000 onto 0x5000, page 0 onto 0x6000.
    w(0x2000 + 1023 * 4, 0x3000 | PRWU);
    w(0x3000 + 1023 * 4, 0x5000 | PRWU);
    w(0x2000, 0x4000 | PRWU);
    w(0x4000, 0x6000 | PRWU);
    nestedWriteCr3(vm, 0x2000);
    nestedWriteCr0(vm, CR0_PE | CR0_PG);
    expect(nestedAccess(vm, READ, 0xffff_fff0, 3)).toBe(0);
    expect(() => nestedAccess(vm, kind, 0xffff_fffe, 3, 7)).toThrow(GuestKilled);
    expect(vm.dead).toMatch(REASON);
  });
});
