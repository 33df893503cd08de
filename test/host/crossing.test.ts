/*
 * Crossing the line between Guest and Host: the processor the Host sets up,
 * the Guest kernel's ring, the trips across, and the hypercalls' rules.
 */
import { describe, expect, test } from 'vitest';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PGE, Mmu } from '../../src/hw/mmu.ts';
import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ, WRITE } from '../../src/hw/rights.ts';
import { LHCALL_FLUSH_TLB, LHCALL_SET_STACK } from '../../src/host/hypercalls.ts';
import { adjustPge, hostCpu } from '../../src/host/init.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { SWITCHER_ADDR } from '../../src/host/switcher.ts';
import { Builder32, FrameAllocator } from '../../src/tools/builder.ts';
import { claim } from '../support/claim.ts';
import { cachedPages } from '../support/machine.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_SET_PTE, PAGE_OFFSET, shadowPte } from '../support/guest.ts';

const USER = 0x0804_8000;
const PRWU = PTE_P | PTE_RW | PTE_US;

describe('crossing the line', () => {
  claim('host-cpu-for-guests', () => {
    const memory = new PhysicalMemory(1 << 20);
    const space = new Builder32(memory, new FrameAllocator(memory, 16));
    space.map(0x1000, 0x5000, PTE_P | PTE_G); // Global, read-only, the kernel's
    space.map(0x2000, 0x6000, PTE_P | PTE_RW | PTE_G);
    // A Host CPU as Linux runs it, Global pages on, with the kernel's Global entries cached...
    const linux = new Mmu(memory);
    linux.writeCr4(CR4_PGE);
    linux.writeCr0(CR0_PE | CR0_PG | CR0_WP);
    linux.writeCr3(space.cr3);
    linux.read32(0x1000);
    linux.writeCr3(space.cr3);
    expect(cachedPages(linux)).toEqual([1]); // a CR3 load keeps them
    // ...loses them when lguest loads, and a CR3 load keeps none from then on.
    adjustPge(linux);
    expect(linux.cr4 & CR4_PGE).toBe(0);
    expect(linux.tlb.entries()).toEqual([]);
    const mmu = hostCpu(memory);
    expect(mmu.cr4 & CR4_PGE).toBe(0);
    expect(mmu.cr0 & CR0_WP).toBe(CR0_WP);
    mmu.writeCr3(space.cr3);
    mmu.setCpl(1);
    mmu.read32(0x1000);
    mmu.read32(0x2000);
    expect(mmu.tlb.entries().length).toBe(2);
    // With Global pages off, loading CR3 empties the TLB, Global entries too.
    mmu.writeCr3(space.cr3);
    expect(mmu.tlb.entries().length).toBe(0);
    // With WP on, read-only means read-only at ring 1 as well.
    expect(() => mmu.write32(0x1000, 1)).toThrow(expect.objectContaining({ errorCode: PF_P | PF_W }));
    expect(() => mmu.write32(0x2000, 1)).not.toThrow();
  });

  claim('host-ring-one', () => {
    const t = bootGuest();
    const k = PAGE_OFFSET + 0x9000;
    // The kernel's own pages are supervisor pages: ring 1 reads and writes them, ring 3 cannot.
    expect(t.access('write', k, 1, 5)).toEqual({ ok: true, value: 5 });
    expect(t.access('read', k, 3)).toEqual({ ok: false, fault: { address: k, errorCode: PF_P | PF_U } });
    // The Switcher's code: the kernel can read it, not write it, and its programs cannot see it.
    expect(t.access('read', SWITCHER_ADDR, 1).ok).toBe(true);
    expect(t.access('write', SWITCHER_ADDR, 1, 0).ok).toBe(false);
    expect(t.access('read', SWITCHER_ADDR, 3).ok).toBe(false);
    // Its registers page, the second, is the one the Guest kernel may write; its programs cannot touch it.
    expect(t.access('write', SWITCHER_ADDR + 0x1000, 1, 0)).toEqual({ ok: true, value: 0 });
    expect(t.access('write', SWITCHER_ADDR + 0x1000, 3, 0).ok).toBe(false);
    // A read-only kernel page is read-only to the kernel too.
    const ro = PAGE_OFFSET + 0xa000;
    t.write(0x3000 + 10 * 4, 0xa000 | PTE_P | PTE_A);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, ro, 0xa000 | PTE_P | PTE_A);
    expect(t.access('write', ro, 1, 1)).toEqual({ ok: false, fault: { address: ro, errorCode: PF_P | PF_W } });
  });

  claim('host-trips-across', () => {
    const t = bootGuest();
    const frame = t.frame();
    t.write(frame, 0x600d);
    const writes: number[] = [];
    const invlpgs: number[] = [];
    const mmu = t.g.mmu;
    const writeCr3 = mmu.writeCr3.bind(mmu);
    const invlpg = mmu.invlpg.bind(mmu);
    mmu.writeCr3 = (v: number) => {
      writes.push(v);
      writeCr3(v);
    };
    mmu.invlpg = (v: number) => {
      invlpgs.push(v);
      invlpg(v);
    };
    const trips = () => t.g.stats.hypercalls + t.g.stats.hiddenFaults + t.g.stats.reflectedFaults;
    t.setPte(BOOT_PGDIR, USER, t.frame() | PRWU);
    // The Guest settles on its shadow first (boot left the processor to load CR3 once).
    expect(t.access('read', frame + PAGE_OFFSET, 1)).toEqual({ ok: true, value: 0x600d });
    writes.length = 0;
    invlpgs.length = 0;
    const before = trips();
    // A hidden fault: one trip, the shadow page table made, and just that page dropped from the TLB.
    expect(t.access('read', USER, 3).ok).toBe(true);
    expect(trips() - before).toBe(1);
    expect(t.g.stats.hiddenFaults).toBeGreaterThan(0);
    expect(writes).toEqual([]);
    // The processor drops the page itself when it faults (SDM 4.10.4.1), and demandPage again after its fix.
    expect(invlpgs).toEqual([USER, USER]);
    // SET_PTE of a used entry (Accessed, Dirty): one trip, the shadow updated in place, CR3 loaded once.
    writes.length = 0;
    const mark = trips();
    t.setPte(BOOT_PGDIR, USER, frame | PRWU | PTE_A | PTE_D);
    hypercall(t.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, frame | PRWU | PTE_A | PTE_D);
    expect(t.access('read', USER, 3)).toEqual({ ok: true, value: 0x600d });
    expect(trips() - mark).toBe(1);
    expect(writes.length).toBe(1);
    // A fault whose fix changes a shadow directory entry's rights: the Guest made the directory entry
    // read-only in place, and a new page under it faults; the processor may hold the old rights for
    // any page below, so CR3 is loaded again.
    const pdeAt = t.pdeAt(BOOT_PGDIR, USER);
    t.write(pdeAt, t.read(pdeAt) & ~PTE_RW);
    t.setPte(BOOT_PGDIR, USER + 0x1000, t.frame() | PRWU);
    writes.length = 0;
    invlpgs.length = 0;
    expect(t.access('read', USER + 0x1000, 3).ok).toBe(true);
    expect(writes.length).toBe(1);
    // A fault the Guest must take changes no shadow: the Guest runs on without a CR3 load.
    writes.length = 0;
    invlpgs.length = 0;
    expect(t.access('read', USER + 0x2000, 3).ok).toBe(false);
    expect(t.access('read', USER, 3).ok).toBe(true);
    expect(writes.length).toBe(0);
    expect(invlpgs).toEqual([USER + 0x2000]); // the processor's own, at the fault; the Host fixed nothing
    expect(trips()).toBeGreaterThan(before);
  });

  claim('host-set-stack', () => {
    for (const pages of [1, 2]) {
      const t = bootGuest();
      hypercall(t.g, LHCALL_SET_STACK, PAGE_OFFSET + 0x20000, pages);
      for (let i = 0; i < pages; i++) expect(shadowPte(t.g, PAGE_OFFSET + 0x20000 - 4096 * (i + 1)) & (PTE_P | PTE_RW)).toBe(PTE_P | PTE_RW);
      // The pages stay pinned through a flush of everything.
      hypercall(t.g, LHCALL_FLUSH_TLB, 1);
      for (let i = 0; i < pages; i++) expect(shadowPte(t.g, PAGE_OFFSET + 0x20000 - 4096 * (i + 1)) & (PTE_P | PTE_RW)).toBe(PTE_P | PTE_RW);
    }
    for (const pages of [0, 3, 1.5]) {
      const t = bootGuest();
      expect(() => hypercall(t.g, LHCALL_SET_STACK, PAGE_OFFSET + 0x20000, pages)).toThrow(`guest killed: bad stack pages ${pages}`);
    }
  });

  claim('host-bad-hypercall-kills', () => {
    for (const call of [0, 2, 3, 6, 8, 9, 10, 11, 12, 16, 17, 99]) {
      const t = bootGuest();
      expect(() => hypercall(t.g, call, 0, 0, 0)).toThrow(`guest killed: Bad hypercall ${call}`);
      // Once killed, always killed, with the first reason.
      expect(() => t.access('read', PAGE_OFFSET, 1)).toThrow(GuestKilled);
      expect(() => hypercall(t.g, LHCALL_FLUSH_TLB, 0)).toThrow(`guest killed: Bad hypercall ${call}`);
    }
    // SET_PMD's PAE number from a Guest without PAE is no call at all.
    const t = bootGuest();
    expect(() => hypercall(t.g, 13, 0, 0)).toThrow('guest killed: Bad hypercall 13');
  });

  test('a Guest write through the shadow is a write to the Guest frame, never elsewhere', () => {
    const t = bootGuest();
    const frame = t.frame();
    t.setPte(BOOT_PGDIR, USER, frame | PRWU | PTE_A | PTE_D);
    expect(t.access('write', USER + 8, 3, 0x1234)).toEqual({ ok: true, value: 0x1234 });
    expect(t.read(frame + 8)).toBe(0x1234);
    expect(t.g.memory.read32(t.g.memBase + frame + 8)).toBe(0x1234);
    expect(READ).not.toBe(WRITE);
  });
});
