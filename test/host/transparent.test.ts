/*
 * The transparent Host's mechanisms, one at a time, on the Guest kernel of
 * chapter 11 running its native platform: stores into page tables trap and
 * the shadow follows, shadows are shared and found again by Guest frame,
 * the reverse map write-protects every mapping of a new table, and a table
 * reused as data stops being one.
 */
import { describe, expect } from 'vitest';
import { PF_P, PF_RSVD, PF_U } from '../../src/hw/fault.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { FAULTED } from '../../src/guest/platform.ts';
import { ptePtr } from '../../src/guest/kernel.ts';
import { KERNEL_PT } from '../../src/guest/layout.ts';
import { GuestOs } from '../../src/guest/os.ts';
import { TransparentPlatform } from '../../src/guest/transparent.ts';
import { findShadowPage } from '../../src/host/transparent/shadow-cache.ts';
import { isWriteProtected } from '../../src/host/transparent/write-protect.ts';
import type { Vm, VmStats } from '../../src/host/transparent/vm.ts';
import { claim } from '../support/claim.ts';

/** A Guest on the transparent Host, all of its memory lowmem (no kmap: fewer moving parts), a mapping of 8 pages touched. */
function boot(pae = false) {
  const pv = new TransparentPlatform(256 * 4096, { pae });
  const os = new GuestOs(pv, { lowmemPages: 256 });
  const buf = os.mmap(8);
  for (let i = 0; i < 8; i++) os.write(buf + i * 4096, i);
  return { pv, os, vm: pv.vm, buf };
}

/** The shadow PTE for `vaddr` under the root the processor runs on (0 when there is none). */
function shadowPte(vm: Vm, vaddr: number): number {
  const e = vm.pae ? 8 : 4;
  let dir = vm.root;
  if (vm.pae) {
    const pdpte = vm.memory.read32(vm.paeRoot + (vaddr >>> 30) * 8);
    if (!(pdpte & PTE_P)) return 0;
    dir = (pdpte & ~0xfff) >>> 0;
  }
  const pde = vm.memory.read32(dir + (vm.pae ? (vaddr >>> 21) & 0x1ff : vaddr >>> 22) * e);
  if (!(pde & PTE_P)) return 0;
  return vm.memory.read32(((pde & ~0xfff) >>> 0) + (vm.pae ? (vaddr >>> 12) & 0x1ff : (vaddr >>> 12) & 0x3ff) * e);
}

/** What happened between two snapshots of the Host's counters. */
const since = (vm: Vm, before: VmStats) => Object.fromEntries(Object.entries(vm.stats).map(([k, v]) => [k, v - before[k as keyof VmStats]])) as unknown as VmStats;

describe('transparent shadow paging', () => {
  /** A store into a page table: one trip, and the shadow follows. */
  function storeTraps(pae: boolean): void {
    const { pv, os, vm, buf } = boot(pae);
    const k = os.k;
    const va = buf + 2 * 4096;
    const ptep = ptePtr(k, k.current.pgdir, va, false);
    const frame = (pv.inspect32(ptep) & ~0xfff) >>> 0;
    expect(isWriteProtected(vm, ptep >>> 12)).toBe(true);
    // The kernel points the page elsewhere with a plain store, as bare hardware's set_pte_at is.
    const other = k.frames.allocUser();
    let before = { ...vm.stats };
    pv.setPteAt(k.current.pgdir, va, ptep, other | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
    expect(since(vm, before)).toMatchObject({ exits: 1, emulatedWrites: 1, hiddenFaults: 0 });
    // The store is in the Guest's table, and the shadow already maps the new frame, writable (Accessed and Dirty).
    expect(pv.inspect32(ptep)).toBe((other | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D) >>> 0);
    expect((shadowPte(vm, va) >>> 12) - vm.memBase / 4096).toBe(other / 4096);
    expect(shadowPte(vm, va) & PTE_RW).toBe(PTE_RW);
    // The Guest flushes as it must; the next access runs without a trip to the Host and sees the new frame.
    pv.flushTlbSingle(va);
    before = { ...vm.stats };
    expect(os.read(va)).toBe(0);
    os.write(va, 77);
    expect(since(vm, before).exits).toBe(0);
    expect(pv.inspect32(other)).toBe(77);
    expect(pv.inspect32(frame)).toBe(2);
  }

  claim('transparent-store-traps', () => storeTraps(false));
  claim('transparent-store-traps-pae', () => storeTraps(true));

  claim('transparent-store-halves-pae', () => {
    const { pv, os, vm, buf } = boot(true);
    const k = os.k;
    const va = buf + 2 * 4096;
    const ptep = ptePtr(k, k.current.pgdir, va, false);
    const low = pv.inspect32(ptep);
    // The high word alone, with bit 63 (XD) in it: this Guest runs without EFER.NXE, so the bit is reserved.
    let before = { ...vm.stats };
    pv.write32(ptep + 4, 0x8000_0000);
    expect(since(vm, before)).toMatchObject({ exits: 1, emulatedWrites: 1, unshadowed: 0 });
    expect([pv.inspect32(ptep), pv.inspect32(ptep + 4)]).toEqual([low, 0x8000_0000]);
    // The shadow was recomputed from the whole entry, both words: it no longer maps the page.
    expect(shadowPte(vm, va) & PTE_P).toBe(0);
    pv.flushTlbSingle(va);
    // So the program's next read faults, and the fault is the Guest's, as bare hardware's would be:
    // a present entry with a reserved bit set.
    before = { ...vm.stats };
    expect(pv.access(READ, va, 3, 0)).toBe(FAULTED);
    expect(pv.lastFault).toEqual({ address: va, errorCode: PF_P | PF_U | PF_RSVD });
    expect(since(vm, before)).toMatchObject({ reflectedFaults: 1, hiddenFaults: 0 });
    // native_set_pte's order for a new entry: the high word, then the low one. Each half is one trip,
    // and after each the shadow says what the whole entry says: first the old frame again, then the new.
    pv.write32(ptep + 4, 0);
    expect(shadowPte(vm, va) & PTE_P).toBe(PTE_P);
    before = { ...vm.stats };
    expect(pv.access(READ, va, 3, 0)).toBe(2);
    expect(since(vm, before).exits).toBe(0);
    const other = k.frames.allocUser();
    before = { ...vm.stats };
    pv.write32(ptep, other | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
    expect(since(vm, before)).toMatchObject({ exits: 1, emulatedWrites: 1, unshadowed: 0 });
    expect((shadowPte(vm, va) >>> 12) - vm.memBase / 4096).toBe(other / 4096);
    pv.flushTlbSingle(va);
    before = { ...vm.stats };
    os.write(va, 78);
    expect(since(vm, before).exits).toBe(0);
    expect(pv.inspect32(other)).toBe(78);
  });

  claim('transparent-shadows-shared', () => {
    const { os, vm, buf } = boot();
    // Six processes: more than lguest's four cached page directories.
    const pids = [1];
    for (let i = 0; i < 5; i++) {
      os.switchTo(1);
      pids.push(os.fork());
    }
    // Each runs its program over the buffer, and its kernel reads its own page table through the direct map.
    const run = (pid: number) => {
      os.switchTo(pid);
      for (let i = 0; i < 8; i++) os.read(buf + i * 4096);
      os.pv.read32(KERNEL_PT);
    };
    for (const pid of pids) run(pid);
    // The kernel's page table is one shadow page, whoever runs; each process has its own directory's.
    const kernelPt = findShadowPage(vm, KERNEL_PT / 4096, 1)!;
    expect(kernelPt).toBeDefined();
    expect(kernelPt.parents.size).toBeGreaterThanOrEqual(pids.length);
    for (const pid of pids) {
      // Each process's directory shadow has an entry naming the one kernel page-table shadow, and
      // that entry is among the kernel shadow's parents (the links the Host would drop on a change).
      const dir = findShadowPage(vm, os.k.procs.get(pid)!.pgdir / 4096, 2)!;
      expect(dir).toBeDefined();
      const links = Array.from({ length: 1024 }, (_, i) => dir.page + i * 4).filter((at) => (vm.memory.read32(at) & PTE_P) !== 0 && (vm.memory.read32(at) & 0xffff_f000) >>> 0 === kernelPt.page);
      expect(links.length).toBeGreaterThanOrEqual(1);
      for (const at of links) expect(kernelPt.parents.has(at)).toBe(true);
    }
    // Round and round: every switch is a trap, and finds its root by the directory's frame. No fault, no new shadow.
    const before = { ...vm.stats };
    for (let round = 0; round < 3; round++) for (const pid of pids) run(pid);
    expect(since(vm, before)).toMatchObject({ cr3Loads: 3 * pids.length, hiddenFaults: 0, emulatedWrites: 0, shadowPagesAllocated: 0 });
    expect(since(vm, before).exits).toBe(3 * pids.length);
  });

  claim('transparent-write-protect', () => {
    const { pv, os, vm, buf } = boot();
    const k = os.k;
    // A frame the process maps writable, and writes (it is Dirty, and the shadow lets it write).
    const alias = os.mmap(1);
    const frame = k.frames.allocKernel();
    pv.zeroFrame(frame);
    pv.setPteAt(k.current.pgdir, alias, ptePtr(k, k.current.pgdir, alias, true), frame | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
    os.write(alias, 0);
    expect(shadowPte(vm, alias) & PTE_RW).toBe(PTE_RW);
    // Now the kernel makes the frame a page table, for a region 4 MiB up, and maps the buffer's first frame in it.
    const region = (buf + 0x40_0000) & ~0x3f_ffff;
    os.mmapAt(region, 1);
    const pdeAt = k.current.pgdir + (region >>> 22) * 4;
    pv.setPmd(pdeAt, frame | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
    const target = (pv.inspect32(ptePtr(k, k.current.pgdir, buf, false)) & ~0xfff) >>> 0;
    pv.write32(frame, target | PTE_P | PTE_RW | PTE_US | PTE_A);
    expect(os.read(region)).toBe(0);
    // Its first use as a table made it one: the alias lost its write right, through the reverse map.
    expect(isWriteProtected(vm, frame / 4096)).toBe(true);
    expect(shadowPte(vm, alias) & (PTE_P | PTE_RW)).toBe(PTE_P);
    // A user store through the alias traps, is done by the Host, and the shadow of the table it wrote follows.
    const before = { ...vm.stats };
    os.write(alias, 0);
    expect(since(vm, before)).toMatchObject({ emulatedWrites: 1, reflectedFaults: 0 });
    expect(pv.inspect32(frame)).toBe(0);
    expect(shadowPte(vm, region)).toBe(0);
  });

  claim('transparent-flood', () => {
    const { pv, os, vm, buf } = boot();
    const k = os.k;
    // A process's page directory, shadowed; the process exits, and nobody tells the Host.
    os.switchTo(1);
    const child = os.fork();
    os.switchTo(child);
    os.read(buf);
    const dir = k.current.pgdir;
    os.exit(child, 1);
    expect(findShadowPage(vm, dir / 4096, 2)).toBeDefined();
    expect(isWriteProtected(vm, dir / 4096)).toBe(true);
    // The kernel reuses the frame and zeroes it. Three stores trap; the third tells the Host the page is data
    // now, and its shadow goes; one more fault makes the kernel's mapping of it writable again; the other
    // 1,020 stores run untrapped.
    const before = { ...vm.stats };
    pv.zeroFrame(dir);
    expect(since(vm, before)).toMatchObject({ emulatedWrites: 3, unshadowed: 1, hiddenFaults: 1, exits: 4 });
    expect(findShadowPage(vm, dir / 4096, 2)).toBeUndefined();
    expect(isWriteProtected(vm, dir / 4096)).toBe(false);
    for (let off = 0; off < 4096; off += 4) expect(pv.inspect32(dir + off)).toBe(0);
  });
});
