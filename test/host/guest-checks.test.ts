/*
 * Every Guest entry the Host copies into a shadow is checked first, at both
 * widths: a flag Linux never puts there, or a frame outside the Guest, kills
 * the Guest with a reason that names the entry. Without the checks a
 * directory entry with PS set would reach our shadow as a large page over
 * host memory. And a PAE Guest's missing PDPT entry is the Guest's own
 * not-present fault, not a reason to read anywhere.
 */
import { describe, expect, test } from 'vitest';
import { PF_U, PF_W } from '../../src/hw/fault.ts';
import { _PAGE_TABLE, PTE_A, PTE_D, PTE_G, PTE_P, PTE_PCD, PTE_PS, PTE_PWT, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_SET_PTE } from '../support/guest.ts';

const USER = 0x0804_8000;
const PAGES = 256;
const PRWU = PTE_P | PTE_RW | PTE_US;
const hex = (n: number) => (n >>> 0).toString(16);

/** A booted Guest with a user page at USER, its data word 0x1234, not yet touched (no shadow of it). */
function guest(pae: boolean) {
  const t = bootGuest(PAGES, PTE_P | PTE_RW, 1, { pae });
  const frame = t.frame();
  t.write(frame, 0x1234);
  t.setPte(BOOT_PGDIR, USER, frame | PRWU | PTE_A | PTE_D);
  return { t, frame, pdeAt: t.pdeAt(BOOT_PGDIR, USER) };
}

/** The reason the Guest dies for touching USER, or null if it lives. */
function killedBy(t: ReturnType<typeof guest>['t']): string | null {
  try {
    t.access('read', USER, 3);
  } catch (e) {
    if (!(e instanceof GuestKilled)) throw e;
    return t.g.dead;
  }
  return t.g.dead;
}

describe.each([false, true])('the Host checks what it copies (PAE: %s)', (pae) => {
  test('a directory entry may carry only the flags Linux gives one, and must name a Guest frame', () => {
    const ok = guest(pae);
    expect(ok.t.read(ok.pdeAt) & 0xfff & ~_PAGE_TABLE).toBe(0);
    expect(killedBy(ok.t)).toBe(null);
    for (const extra of [PTE_PS, PTE_G, PTE_PWT, PTE_PCD, 1 << 9]) {
      const { t, pdeAt } = guest(pae);
      const bad = t.read(pdeAt) | extra;
      t.write(pdeAt, bad);
      expect(killedBy(t), `flag 0x${hex(extra)}`).toBe(`bad page directory entry 0x${hex(bad)}`);
    }
    // The last Guest frame is the Guest's; the one after it is not.
    const last = guest(pae);
    const table = last.t.read(last.pdeAt) & 0xffff_f000;
    for (let i = 0; i < 4096; i += 4) last.t.write((PAGES - 1) * 4096 + i, last.t.read(table + i));
    last.t.write(last.pdeAt, ((PAGES - 1) * 4096) | (last.t.read(last.pdeAt) & 0xfff));
    expect(killedBy(last.t)).toBe(null);
    const past = guest(pae);
    const beyond = (PAGES * 4096) | (past.t.read(past.pdeAt) & 0xfff);
    past.t.write(past.pdeAt, beyond);
    expect(killedBy(past.t)).toBe(`bad page directory entry 0x${hex(beyond)}`);
  });

  test('a page-table entry must name a Guest frame: the last one is fine, the one past it kills', () => {
    const last = guest(pae);
    last.t.setPte(BOOT_PGDIR, USER, ((PAGES - 1) * 4096) | PRWU | PTE_A | PTE_D);
    expect(last.t.access('read', USER, 3).ok).toBe(true);
    const past = guest(pae);
    const bad = (PAGES * 4096) | PRWU | PTE_A | PTE_D;
    past.t.setPte(BOOT_PGDIR, USER, bad);
    expect(killedBy(past.t)).toBe(`bad page table entry 0x${hex(bad)}`);
  });
});

describe('PAE: the levels only PAE has', () => {
  test('a PDPT entry carries nothing but Present, and names a Guest frame', () => {
    for (const extra of [PTE_RW, PTE_US, PTE_A]) {
      const { t } = guest(true);
      const bad = t.read(BOOT_PGDIR) | extra;
      t.write(BOOT_PGDIR, bad);
      expect(killedBy(t)).toBe(`bad PDPT entry 0x${hex(bad)}`);
    }
    const { t } = guest(true);
    const beyond = (PAGES * 4096) | PTE_P;
    t.write(BOOT_PGDIR, beyond);
    expect(killedBy(t)).toBe(`bad PDPT entry 0x${hex(beyond)}`);
  });

  test('a high word in a directory entry or a SET_PTE kills, and the message shows all 64 bits', () => {
    const d = guest(true);
    d.t.write(d.pdeAt + 4, 1);
    expect(killedBy(d.t)).toBe(`bad page directory entry 0x1${hex(d.t.read(d.pdeAt)).padStart(8, '0')}: frame above 4 GiB or XD`);
    const p = guest(true);
    const low = p.frame | PRWU | PTE_A;
    expect(() => hypercall(p.t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, low, 0x8000_0000)).toThrow(GuestKilled);
    expect(p.t.g.dead).toBe(`bad page table entry 0x80000000${hex(low).padStart(8, '0')}`);
  });

  test('a PDPT entry that is not present is the Guest\'s fault (P clear), and nothing is read', () => {
    const { t } = guest(true);
    const va = 0x4000_1000; // PDPT entry 1: not present in the boot directory
    expect(t.read(BOOT_PGDIR + 8) & PTE_P).toBe(0);
    expect(t.access('write', va, 3, 5)).toEqual({ ok: false, fault: { address: va, errorCode: PF_W | PF_U } });
    expect(t.access('read', va, 1)).toEqual({ ok: false, fault: { address: va, errorCode: 0 } });
    expect(t.g.dead).toBe(null);
  });

  test('a page directory may live in Guest frame 0: its first entry is at Guest-physical 0', () => {
    const { t, frame } = guest(true);
    const table = t.frame();
    t.write(BOOT_PGDIR + 8, PTE_P); // PDPT entry 1 names Guest frame 0
    t.write(0, table | PRWU | PTE_A);
    t.write(4, 0);
    t.write(table + 8, frame | PRWU | PTE_A | PTE_D); // 0x4000_1000
    expect(t.access('read', 0x4000_1000, 3)).toEqual({ ok: true, value: 0x1234 });
  });
});

describe('demandPage says what it did', () => {
  test('its trace names the Guest entries it read, the shadow entry it wrote, and the frame behind it', () => {
    const { t, frame, pdeAt } = guest(false);
    const lines: string[] = [];
    t.g.trace = (h, message) => lines.push(`H:${h} ${message}`);
    t.access('read', USER, 3);
    const pte = t.read((t.read(pdeAt) & 0xffff_f000) + ((USER >>> 12) & 0x3ff) * 4);
    const hostFrame = t.g.memBase / 4096 + frame / 4096;
    expect(lines.filter((l) => /^H:3[34]0/.test(l))).toEqual([
      `H:330 demandPage: the Guest's PDE for 0x${hex(USER)} is 0x${hex(t.read(pdeAt))}`,
      `H:330 demandPage: the Guest's PTE is 0x${hex(pte)}`,
      `H:340 gpteToSpte: Guest frame ${frame / 4096} is host frame ${hostFrame}; flags 0x${hex(pte & 0xfff)}`,
      `H:330 demandPage: Guest PTE now 0x${hex(pte)}, shadow PTE 0x${hex(hostFrame * 4096 + (pte & 0xfff))}`,
    ]);
  });
});
