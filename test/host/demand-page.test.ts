import { describe, expect, test } from 'vitest';
import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { lguestAddressOk } from '../../src/host/guest-memory.ts';
import { LGUEST_DATA_CR2 } from '../../src/host/init.ts';
import { claim } from '../support/claim.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LGUEST_DATA, LHCALL_SET_PTE, shadowPte } from '../support/guest.ts';

const USER = 0x0804_8000;
const PRWU = PTE_P | PTE_RW | PTE_US;

describe('demand paging (H:330)', () => {
  claim('host-read-fault-write-protects', () => {
    const t = bootGuest();
    const f = t.frame();
    t.setPte(BOOT_PGDIR, USER, f | PRWU);
    const hidden = t.g.stats.hiddenFaults;
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 0 });
    expect(t.g.stats.hiddenFaults).toBe(hidden + 1);
    expect(t.pte(BOOT_PGDIR, USER) & (PTE_A | PTE_D)).toBe(PTE_A);
    const spte = shadowPte(t.g, USER);
    expect(spte & (PTE_P | PTE_RW)).toBe(PTE_P);
    expect(spte >>> 12).toBe(t.g.memBase / 4096 + f / 4096);
  });

  claim('host-write-after-read-sets-dirty', () => {
    const t = bootGuest();
    t.setPte(BOOT_PGDIR, USER, t.frame() | PRWU);
    t.access('read', USER, 3);
    const hidden = t.g.stats.hiddenFaults;
    expect(t.access('write', USER, 3, 42).ok).toBe(true);
    expect(t.g.stats.hiddenFaults).toBe(hidden + 1); // the write faulted again…
    expect(t.pte(BOOT_PGDIR, USER) & PTE_D).toBe(PTE_D); // …and set the Guest's Dirty
    expect(shadowPte(t.g, USER) & PTE_RW).toBe(PTE_RW);
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 42 });
    expect(t.g.stats.hiddenFaults).toBe(hidden + 1);
  });

  claim('host-dirty-read-maps-writable', () => {
    const t = bootGuest();
    t.setPte(BOOT_PGDIR, USER, t.frame() | PRWU | PTE_D);
    t.access('read', USER, 3);
    const hidden = t.g.stats.hiddenFaults;
    expect(shadowPte(t.g, USER) & PTE_RW).toBe(PTE_RW);
    t.access('write', USER, 3, 1);
    expect(t.g.stats.hiddenFaults).toBe(hidden);
  });

  claim('host-reflects-guest-faults', () => {
    const t = bootGuest();
    t.setPte(BOOT_PGDIR, USER, t.frame() | PTE_P | PTE_US); // read-only
    t.setPte(BOOT_PGDIR, USER + 0x1000, t.frame() | PTE_P | PTE_RW); // kernel-only
    // Each fault leaves its own address in lguest_data's CR2, protection faults and missing pages alike.
    expect(t.access('write', USER, 3, 1)).toEqual({ ok: false, fault: { address: USER, errorCode: PF_P | PF_W | PF_U } });
    expect(t.read(LGUEST_DATA + LGUEST_DATA_CR2)).toBe(USER);
    expect(t.access('read', USER + 0x1000, 3)).toEqual({ ok: false, fault: { address: USER + 0x1000, errorCode: PF_P | PF_U } });
    expect(t.read(LGUEST_DATA + LGUEST_DATA_CR2)).toBe(USER + 0x1000);
    expect(t.access('read', USER + 0x5000, 3)).toEqual({ ok: false, fault: { address: USER + 0x5000, errorCode: PF_U } });
    expect(t.read(LGUEST_DATA + LGUEST_DATA_CR2)).toBe(USER + 0x5000);
    expect(t.g.stats.reflectedFaults).toBe(3);
  });

  claim('host-directory-rights-count', () => {
    const t = bootGuest();
    // The PTE says user and writable; the directory entry says supervisor, read-only.
    t.setPte(BOOT_PGDIR, USER, t.frame() | PRWU, PTE_P | PTE_A);
    expect(t.access('read', USER, 3)).toEqual({ ok: false, fault: { address: USER, errorCode: PF_P | PF_U } });
    expect(t.access('write', USER, 1, 5)).toEqual({ ok: false, fault: { address: USER, errorCode: PF_P | PF_W } });
    expect(t.access('read', USER, 1).ok).toBe(true);
  });

  claim('host-kills-bad-entries', () => {
    // The Guest's last frame is its own; the next one, the first past its 256 pages, is not.
    const last = bootGuest(256);
    last.setPte(BOOT_PGDIR, USER, 255 * 4096 | PRWU);
    expect(last.access('read', USER, 3).ok).toBe(true);
    const t = bootGuest(256);
    t.setPte(BOOT_PGDIR, USER, 256 * 4096 | PRWU);
    expect(() => t.access('read', USER, 3)).toThrow('guest killed: bad page table entry 0x100007');
    expect(t.g.dead).toBe('bad page table entry 0x100007');
    expect(shadowPte(t.g, USER)).toBe(0);
    expect(() => hypercall(t.g, 5, 0)).toThrow('guest killed: bad page table entry');
    const u = bootGuest();
    u.setPte(BOOT_PGDIR, USER, u.frame() | PRWU, 0x67 | PTE_G); // a directory entry with a flag Linux never sets
    expect(() => u.access('read', USER, 3)).toThrow(/bad page directory entry/);
  });

  claim('host-strips-global', () => {
    const t = bootGuest();
    t.setPte(BOOT_PGDIR, USER, t.frame() | PRWU | PTE_G);
    t.access('read', USER, 3);
    expect(shadowPte(t.g, USER) & PTE_G).toBe(0);
  });

  test('the Guest kernel reads its own memory through PAGE_OFFSET', () => {
    const t = bootGuest();
    t.write(0x9000, 0xabcd);
    expect(t.access('read', 0xc000_9000)).toEqual({ ok: true, value: 0xabcd });
  });

  claim('host-address-ok', () => {
    const { g } = bootGuest(16);
    expect(lguestAddressOk(g, 16 * 4096 - 4, 4)).toBe(true);
    expect(lguestAddressOk(g, 16 * 4096 - 3, 4)).toBe(false);
    expect(lguestAddressOk(g, -4, 4)).toBe(false);
    hypercall(g, LHCALL_SET_PTE, 0xffff_f000, USER, 0); // no slot shadows it: nothing is read, nothing happens
    expect(g.dead).toBe(null);
    // NEW_PGTABLE is not checked when made; the first read through it is, and kills.
    expect(() => hypercall(g, 4, 0xffff_f000)).toThrow(/^guest killed: bad read address 0xfffff\w+ len 4$/);
  });
});
