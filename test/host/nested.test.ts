/*
 * The nested-paging Host's mechanisms, on the Guest kernel of chapter 11
 * running its native platform: what exits and what does not, page-table
 * churn that costs it nothing, and a Host short of pages for its tables.
 */
import { describe, expect } from 'vitest';
import { ptePtr } from '../../src/guest/kernel.ts';
import { NestedPlatform } from '../../src/guest/nested.ts';
import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import type { Platform } from '../../src/guest/platform.ts';
import { TransparentPlatform } from '../../src/guest/transparent.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ, WRITE } from '../../src/hw/rights.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { FAULTED, nestedAccess } from '../../src/host/nested/run.ts';
import { createNestedVm, type NestedStats, type NestedVm } from '../../src/host/nested/vm.ts';
import { claim } from '../support/claim.ts';

/** A Guest on the nested Host, all of its memory lowmem, a mapping of 8 pages touched. */
function boot(pae = false, memoryPages = 256) {
  const pv = new NestedPlatform(memoryPages * 4096, { pae });
  const os = new GuestOs(pv, { lowmemPages: 256 });
  const buf = os.mmap(8);
  for (let i = 0; i < 8; i++) os.write(buf + i * 4096, i);
  return { pv, os, vm: pv.vm, buf };
}

const since = (vm: NestedVm, before: NestedStats) => Object.fromEntries(Object.entries(vm.stats).map(([k, v]) => [k, v - before[k as keyof NestedStats]])) as unknown as NestedStats;

/** Every trip into the Host so far, whichever Host it is: exits, or lguest's hypercalls and faults. */
function trips(pv: Platform): number {
  if (pv instanceof NestedPlatform || pv instanceof TransparentPlatform) return pv.vm.stats.exits;
  const s = (pv as LguestPlatform).g.stats;
  return s.hypercalls + s.hiddenFaults + s.reflectedFaults;
}

describe('the nested-paging Host', () => {
  function tablesAreTheGuests(pae: boolean): void {
    const { pv, os, vm, buf } = boot(pae);
    const k = os.k;
    const va = buf + 2 * 4096;
    const ptep = ptePtr(k, k.current.pgdir, va, false);
    // The kernel points the page at a frame it has already used, with a plain store: no exit.
    const other = (pv.inspect32(ptePtr(k, k.current.pgdir, buf + 5 * 4096, false)) & ~0xfff) >>> 0;
    let before = { ...vm.stats };
    pv.setPteAt(k.current.pgdir, va, ptep, other | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
    expect(pv.inspect32(ptep)).toBe((other | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D) >>> 0);
    // The processor still holds the old translation, as bare hardware's would: the Guest must flush, and INVLPG does not exit either.
    expect(os.read(va)).toBe(2);
    pv.flushTlbSingle(va);
    expect(os.read(va)).toBe(5);
    // A context switch and back: two CR3 loads, none of them an exit.
    const child = os.fork();
    os.switchTo(child);
    expect(os.read(buf)).toBe(0);
    os.switchTo(1);
    expect(os.read(buf + 4096)).toBe(1);
    // What did exit: only first touches of Guest memory (the child's new tables), each an EPT violation.
    expect(since(vm, before).exits).toBe(since(vm, before).eptViolations);
    // Once touched, never again: round and round (the first round's copy on write touches a new frame), not one exit.
    for (let i = 0; i < 4; i++) {
      if (i === 1) before = { ...vm.stats };
      os.switchTo(child);
      os.write(buf + 6 * 4096, i);
      pv.setPteAt(k.current.pgdir, va, ptep, other | PTE_P | PTE_US | PTE_A);
      pv.flushTlbUser();
      os.switchTo(1);
    }
    expect(since(vm, before).exits).toBe(0);
    // A fault that is the Guest's reaches its handler without the Host: no exit for that either.
    expect(pv.access(READ, 0x0900_0000, 3, 0)).toBe(FAULTED);
    expect(pv.lastFault.address).toBe(0x0900_0000);
    expect(since(vm, before).exits).toBe(0);
  }

  claim('nested-tables-are-the-guests', () => tablesAreTheGuests(false));
  claim('nested-tables-are-the-guests-pae', () => tablesAreTheGuests(true));

  claim('nested-churn', () => {
    // A round of page-table churn: fork, copy-on-write stores, a mapping made, written and unmapped, a kmap, exit.
    const perRound = (pv: Platform) => {
      const os = new GuestOs(pv, { lowmemPages: 256 });
      const buf = os.mmap(8);
      for (let i = 0; i < 8; i++) os.write(buf + i * 4096, i);
      const costs: number[] = [];
      for (let r = 0; r < 6; r++) {
        const before = trips(pv);
        const child = os.fork();
        os.switchTo(child);
        for (let i = 0; i < 8; i += 2) os.write(buf + i * 4096, 100 + i);
        const extra = os.mmap(4);
        for (let i = 0; i < 4; i++) os.write(extra + i * 4096, i);
        os.munmap(extra, 4);
        os.kernelWrite(buf + 4096, 7);
        os.exit(child, 1);
        costs.push(trips(pv) - before);
      }
      return costs;
    };
    const nested = perRound(new NestedPlatform(512 * 4096));
    const shadow = perRound(new TransparentPlatform(512 * 4096));
    const lguest = perRound(new LguestPlatform(512 * 4096));
    // The first round touches memory the Guest had not touched: EPT violations. After it, nothing.
    expect(nested[0]).toBeGreaterThan(0);
    expect(nested.slice(1)).toEqual([0, 0, 0, 0, 0]);
    // The shadow-paging Hosts pay for every round, again and again: each store into a table, each flush.
    for (const costs of [shadow, lguest]) for (const c of costs.slice(1)) expect(c).toBeGreaterThan(50);
  });

  claim('nested-out-of-pages', () => {
    // A Guest of 6 MiB, three 2 MiB regions, each needing a page table of the Host's; the Host has five frames:
    // the root, one directory-pointer table, one directory, and two page tables. Its processor has a page-walk cache.
    const vm = createNestedVm({ pages: 1536, hostPages: 6, walkCache: 16 });
    const touch = (gpa: number) => nestedAccess(vm, WRITE, gpa, 0, gpa);
    touch(0x1000);
    touch(0x20_2000);
    expect(vm.stats).toMatchObject({ eptViolations: 2, tablePagesAllocated: 4, zapAlls: 0 });
    // The third region: no frame left. The Host empties its tables, forgets what the processor cached, maps again.
    touch(0x40_3000);
    expect(vm.stats).toMatchObject({ eptViolations: 3, zapAlls: 1, tablePagesFreed: 4, tablePagesAllocated: 7 });
    expect(vm.mmu.tlb.entries().map((e) => e.vpn)).toEqual([0x403]);
    // The first region is unmapped again: its next touch is an exit, and its data is still there.
    expect(nestedAccess(vm, READ, 0x1000, 0)).toBe(0x1000);
    expect(vm.stats.eptViolations).toBe(4);
    // A Guest-physical address beyond the Guest's memory: no page to map (KVM would call it MMIO), so the Guest dies.
    expect(() => touch(1536 * 4096)).toThrow(GuestKilled);
    expect(vm.dead).toMatch(/^outside its memory: it touched guest-physical 0x600000/);
    // A Host with no room for even one path of tables kills the Guest at its first touch.
    const tiny = createNestedVm({ pages: 16, hostPages: 3 });
    expect(() => nestedAccess(tiny, READ, 0, 0)).toThrow(GuestKilled);
    expect(tiny.dead).toBe('out of memory allocating a nested page table');
    // And one whose tables cannot hold a single walk's pages at once kills it rather than loop: a 32-bit Guest
    // whose page directory, page table and page lie in three regions, on the Host of five frames.
    const three = createNestedVm({ pages: 1536, hostPages: 6 });
    const write = (gpa: number, v: number) => nestedAccess(three, WRITE, gpa, 0, v);
    write(0x1000 + (0x0800_0000 >>> 22) * 4, 0x20_1000 | PTE_P | PTE_RW);
    write(0x20_1000, 0x40_1000 | PTE_P | PTE_RW);
    three.mmu.writeCr3(0x1000);
    three.mmu.writeCr0(three.mmu.cr0 | 0x8000_0000);
    expect(() => nestedAccess(three, READ, 0x0800_0000, 0)).toThrow(GuestKilled);
    expect(three.dead).toBe('out of memory allocating a nested page table');
  });
});
