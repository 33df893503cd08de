/*
 * The nested-paging Host's details, on a Guest built by hand: a word that
 * straddles two pages, a dead Guest, control-register loads bare hardware
 * refuses, the exit counters, the options of createNestedVm, and the
 * guards of the exit loop (out of memory twice in one access, and the
 * Host's own bug).
 */
import { expectEachHalfFromItsFrame, layStraddlingWord } from '../support/straddle.ts';
import { describe, expect, test } from 'vitest';
import { PF_ID, PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR4_PAE, CR4_SMEP, EFER_LME } from '../../src/hw/mmu.ts';
import { EPT_R, EPT_RAM, EPT_W, EptMisconfig, EptViolation } from '../../src/hw/nested.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE } from '../../src/hw/rights.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { eptSet, eptViolation } from '../../src/host/nested/ept.ts';
import {
  FAULTED, nestedAccess, nestedInvlpg, nestedWriteCr0, nestedWriteCr3, nestedWriteCr4, untilDone,
} from '../../src/host/nested/run.ts';
import { createNestedVm, killNestedVm, type NestedVm } from '../../src/host/nested/vm.ts';

const PDIR = 0x1000;
const PTAB = 0x2000;
const USER = 0x0001_0000; // page-table index 0x10
const PRWU = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;

/** Store into Guest-physical memory the way the Guest does with paging off. */
function poke(vm: NestedVm, gpa: number, value: number): void {
  expect(nestedAccess(vm, WRITE, gpa, 0, value)).toBe(value >>> 0);
}

/**
 * A two-level Guest with paging on: USER maps frame 0x5000, USER + 0x1000
 * maps frame 0x3000 (not the neighbour), and frame 0x6000, right after the
 * first, holds something else. `second` false leaves the second page unmapped.
 */
function pagedGuest(o: { second?: boolean; flags?: number; walkCache?: number } = {}): NestedVm {
  const vm = createNestedVm({ pages: 64, ...(o.walkCache === undefined ? {} : { walkCache: o.walkCache }) });
  const flags = o.flags ?? PRWU;
  poke(vm, PDIR, PTAB | PTE_P | PTE_RW | PTE_US);
  poke(vm, PTAB + 0x10 * 4, 0x5000 | flags);
  if (o.second !== false) poke(vm, PTAB + 0x11 * 4, 0x3000 | flags);
  layStraddlingWord((gpa, value) => poke(vm, gpa, value));
  nestedWriteCr3(vm, PDIR);
  nestedWriteCr0(vm, CR0_PG | CR0_PE);
  return vm;
}

const hostWord = (vm: NestedVm, gpa: number) => vm.memory.read32(vm.memBase + gpa) >>> 0;

describe('a word across two pages, under the nested Host', () => {
  test('reads, fetches and writes take each half from its own frame', () => {
    const vm = pagedGuest();
    expectEachHalfFromItsFrame((kind, va, cpl, value) => nestedAccess(vm, kind, va, cpl, value), (gpa) => hostWord(vm, gpa), USER);
  });

  test('the second page unmapped: the Guest gets its own fault, at that page, and nothing is written', () => {
    const vm = pagedGuest({ second: false });
    const exits = vm.stats.exits;
    expect(nestedAccess(vm, WRITE, USER + 0xffe, 3, 0x1234_5678)).toBe(FAULTED);
    expect(vm.lastFault).toEqual({ address: USER + 0x1000, errorCode: PF_U | PF_W });
    expect(hostWord(vm, 0x5ffc)).toBe(0x4433_2211);
    expect(nestedAccess(vm, READ, USER + 0xfff, 3)).toBe(FAULTED);
    expect(vm.lastFault).toEqual({ address: USER + 0x1000, errorCode: PF_U });
    // A fault of the Guest's own: no exit.
    expect(vm.stats.exits).toBe(exits);
  });

  test('the access is made at the CPL asked for, each time', () => {
    const vm = pagedGuest({ flags: PTE_P | PTE_RW | PTE_A | PTE_D }); // supervisor pages
    expect(nestedAccess(vm, READ, USER + 0xffe, 0)).toBe(0x6655_4433);
    expect(nestedAccess(vm, READ, USER + 0xffe, 3)).toBe(FAULTED);
    expect(vm.lastFault).toEqual({ address: USER + 0xffe, errorCode: PF_U | PF_P });
    expect(nestedAccess(vm, READ, USER + 0xffe, 0)).toBe(0x6655_4433);
  });

  test('a fetch obeys execute rights and a read does not (SMEP: the kernel may read user pages, not run them)', () => {
    const vm = pagedGuest();
    nestedWriteCr4(vm, CR4_SMEP);
    expect(nestedAccess(vm, READ, USER + 0xffe, 0)).toBe(0x6655_4433);
    expect(nestedAccess(vm, FETCH, USER + 0xffe, 0)).toBe(FAULTED);
    expect(vm.lastFault).toEqual({ address: USER + 0xffe, errorCode: PF_ID | PF_P });
  });
});

describe('a dead Guest runs no more', () => {
  test('no access, crossing or not, no control-register load, no INVLPG, and nothing counted', () => {
    const vm = pagedGuest();
    expect(nestedAccess(vm, READ, USER, 3)).toBe(hostWord(vm, 0x5000));
    expect(() => killNestedVm(vm, 'first reason')).toThrow(GuestKilled);
    expect(() => killNestedVm(vm, 'second reason')).toThrow('first reason');
    expect(vm.dead).toBe('first reason');
    const stats = { ...vm.stats };
    expect(() => nestedAccess(vm, READ, USER, 3)).toThrow(GuestKilled);
    expect(() => nestedAccess(vm, READ, USER + 0xffe, 3)).toThrow(GuestKilled);
    expect(() => nestedWriteCr0(vm, CR0_PE)).toThrow(GuestKilled);
    expect(() => nestedWriteCr4(vm, 0)).toThrow(GuestKilled);
    expect(() => nestedInvlpg(vm, USER)).toThrow(GuestKilled);
    expect(() => eptViolation(vm, new EptViolation(0x7000, READ, false, 0x7000, 0))).toThrow(GuestKilled);
    expect(vm.stats).toEqual(stats);
    expect(vm.mmu.cr0 & CR0_PG).not.toBe(0);
    expect(vm.dead).toBe('first reason');
  });

  test('INVLPG on a live Guest drops the processor\'s entry', () => {
    const vm = pagedGuest();
    expect(nestedAccess(vm, READ, USER, 3)).toBe(hostWord(vm, 0x5000));
    poke32Paged(vm, PTAB + 0x10 * 4, 0x3000 | PRWU);
    expect(nestedAccess(vm, READ, USER, 3)).toBe(hostWord(vm, 0x5000)); // stale, as on bare hardware
    nestedInvlpg(vm, USER);
    expect(nestedAccess(vm, READ, USER, 3)).toBe(0x8877_6655);
  });
});

/** A store into Guest-physical memory while paging is on: straight into the Host's copy. */
function poke32Paged(vm: NestedVm, gpa: number, value: number): void {
  vm.memory.write32(vm.memBase + gpa, value);
}

describe('control registers', () => {
  test('MOV CR0 and CR4 exit and are counted; MOV CR3 does not exit', () => {
    const vm = createNestedVm({ pages: 64 });
    const seen: string[] = [];
    vm.trace = (m) => seen.push(m);
    nestedWriteCr4(vm, CR4_SMEP);
    nestedWriteCr0(vm, CR0_PE);
    expect(vm.stats.crWrites).toBe(2);
    expect(vm.stats.exits).toBe(2);
    expect(seen).toEqual(['exit: MOV CR4, 0x100000', 'exit: MOV CR0, 0x1']);
    nestedWriteCr3(vm, PDIR);
    expect(vm.stats.crWrites).toBe(2);
    expect(vm.stats.exits).toBe(2);
    expect(vm.mmu.cr3).toBe(PDIR);
  });

  test('MOV CR0 that bare hardware refuses with #GP kills the Guest', () => {
    const vm = createNestedVm({ pages: 64 });
    expect(() => nestedWriteCr0(vm, CR0_PG)).toThrow(GuestKilled);
    expect(vm.dead).toBe('#GP on MOV CR0, 0x80000000: CR0.PG=1 requires CR0.PE=1');
    expect(vm.mmu.cr0 & CR0_PG).toBe(0);
  });

  test('MOV CR4 that bare hardware refuses with #GP kills the Guest', () => {
    const vm = createNestedVm({ pages: 64, pae: true });
    // IA-32e paging on (its empty tables are never walked here), then CR4.PAE cleared under it.
    nestedWriteCr4(vm, CR4_PAE);
    vm.mmu.writeEfer(EFER_LME);
    nestedWriteCr3(vm, PDIR);
    nestedWriteCr0(vm, CR0_PG | CR0_PE);
    expect(() => nestedWriteCr4(vm, 0)).toThrow(GuestKilled);
    expect(vm.dead).toBe('#GP on MOV CR4, 0x0: cannot clear CR4.PAE in IA-32e mode');
  });

  test('MOV CR3 that bare hardware refuses with #GP (a PDPT entry with reserved bits) kills the Guest', () => {
    const vm = createNestedVm({ pages: 64, pae: true });
    poke(vm, 0x4000, 0x5000 | PTE_P);
    poke(vm, 0x4020, 0x5000 | PTE_P | PTE_RW); // RW is reserved in a PDPT entry
    nestedWriteCr4(vm, CR4_PAE);
    nestedWriteCr3(vm, 0x4000);
    nestedWriteCr0(vm, CR0_PG | CR0_PE);
    expect(() => nestedWriteCr3(vm, 0x4020)).toThrow(GuestKilled);
    expect(vm.dead).toBe('#GP on MOV CR3, 0x4020: PDPTE 0 at 0x4020 has reserved bits set');
    expect(vm.mmu.cr3).toBe(0x4000);
  });
  test('a Host bug met during a control-register load is not blamed on the Guest', () => {
    // The Host's own entry for the Guest's PDPT page gives write without read: a misconfiguration, the Host's mistake.
    const vm = createNestedVm({ pages: 64, pae: true });
    nestedWriteCr3(vm, 0x4000);
    nestedWriteCr4(vm, CR4_PAE);
    expect(eptSet(vm.memory, vm.ept.eptp, 0x4000, vm.memBase + 0x4000, EPT_W, () => vm.hostFrames.alloc())).toBe(true);
    expect(() => nestedWriteCr0(vm, CR0_PG | CR0_PE)).toThrow(EptMisconfig);
    expect(vm.dead).toBe(null);
  });
});

describe('createNestedVm', () => {
  test('honours pae, and starts with no fault recorded', () => {
    expect(createNestedVm({ pages: 8 }).pae).toBe(false);
    expect(createNestedVm({ pages: 8, pae: true }).pae).toBe(true);
    expect(createNestedVm({ pages: 8 }).lastFault).toEqual({ address: 0, errorCode: 0 });
  });

  test('honours walkCache: the processor\'s cache of nested translations saves walks of the Host\'s tables', () => {
    const run = (walkCache?: number) => {
      const vm = pagedGuest(walkCache === undefined ? {} : { walkCache });
      for (let i = 0; i < 4; i++) {
        nestedAccess(vm, READ, USER, 3);
        nestedInvlpg(vm, USER);
      }
      return vm.ept.cacheHits;
    };
    expect(run()).toBe(0);
    expect(run(16)).toBeGreaterThan(0);
  });
});

describe('the exit loop', () => {
  test('out of pages twice in one access (a word across two tables\' worth of Guest memory) kills the Guest', () => {
    // Three pages for the Host's tables: one Guest page's worth (PDPT, directory, table), not both halves'.
    const vm = createNestedVm({ pages: 1024, hostPages: 5 });
    expect(() => nestedAccess(vm, READ, 0x1f_fffe, 0)).toThrow(GuestKilled);
    expect(vm.dead).toBe('out of memory allocating a nested page table');
    expect(vm.stats.zapAlls).toBe(2);
  });

  test('out of pages once in one access: the tables are emptied, and the Guest runs on', () => {
    const vm = createNestedVm({ pages: 1024, hostPages: 5 });
    const seen: string[] = [];
    vm.trace = (m) => seen.push(m);
    poke(vm, 0x1000, 7);
    poke(vm, 0x20_0000, 8);
    expect(vm.stats.zapAlls).toBe(1);
    expect(seen).toContain("out of pages: the Host's tables emptied");
    expect(nestedAccess(vm, READ, 0x1000, 0)).toBe(7);
    expect(vm.dead).toBe(null);
  });

  test('an exit that maps nothing, 65 times over, is the Host\'s bug: a plain Error, not the Guest\'s death', () => {
    const vm = createNestedVm({ pages: 64 });
    const always = () => { throw new EptViolation(0x3000, READ, false, 0x3000, 0); };
    expect(() => untilDone(vm, always)).toThrow(/^host bug: EPT violation: read of guest-physical 0x3000 \(the Host's tables give nothing\) again after 64 exits$/);
    expect(vm.stats.eptViolations).toBe(65);
    expect(vm.dead).toBe(null);
  });

  test('the trace names the page and where it went', () => {
    const vm = createNestedVm({ pages: 64, hostPages: 16 });
    const seen: string[] = [];
    vm.trace = (m) => seen.push(m);
    eptViolation(vm, new EptViolation(0x3000, READ, false, 0x3000, 0));
    eptViolation(vm, new EptViolation(0x4000, READ, true, 0x9000, 0));
    expect(seen).toEqual([
      'EPT violation: it touched guest-physical 0x3000; mapped to host-physical 0x13000',
      'EPT violation: its page walk reached guest-physical 0x4000; mapped to host-physical 0x14000',
    ]);
    expect(() => eptViolation(vm, new EptViolation(0x40_0000, READ, true, 0x9000, 0))).toThrow(GuestKilled);
    expect(vm.dead).toBe('outside its memory: its page walk reached guest-physical 0x400000');
  });

  test('a violation where the Host\'s tables gave rights is the Host\'s bug', () => {
    const vm = createNestedVm({ pages: 64 });
    expect(() => eptViolation(vm, new EptViolation(0x3000, WRITE, false, 0x3000, EPT_R))).toThrow(
      /^host bug: EPT violation with rights 1 at guest-physical 0x3000$/,
    );
    expect(vm.stats.tablePagesAllocated).toBe(0);
  });
});

describe('eptSet', () => {
  test('ignores the low bits of the EPT pointer (memory type, walk length) and touches only its own entries', () => {
    const memory = new PhysicalMemory(16 * 4096);
    // The root at frame 2, new tables from frame 4 up; each page before a table holds a marker in its last word.
    for (let f = 1; f < 16; f++) memory.write32(f * 4096 - 4, 0xabcd_0000 + f);
    let next = 4;
    const alloc = () => { const p = next * 4096; next += 2; memory.zeroFrame(p / 4096); memory.write32(p - 4, 0xabcd_0000 + p / 4096); return p; };
    memory.zeroFrame(2);
    expect(eptSet(memory, 2 * 4096 + 0x1e, 0, 0xa000, EPT_RAM, alloc)).toBe(true);
    expect(memory.read32(2 * 4096) & EPT_R).toBe(EPT_R);
    for (const f of [2, 4, 6, 8]) expect(memory.read32(f * 4096 - 4) >>> 0).toBe(0xabcd_0000 + f);
    expect(memory.read32(8 * 4096) >>> 0).toBe((0xa000 | EPT_RAM) >>> 0);
    // A leaf whose high half held bits: cleared.
    memory.write32(8 * 4096 + 8 + 4, 0xffff);
    expect(eptSet(memory, 2 * 4096, 0x1000, 0xb000, EPT_RAM, alloc)).toBe(true);
    expect(memory.read32(8 * 4096 + 8 + 4)).toBe(0);
    expect(memory.read32(8 * 4096 + 8) >>> 0).toBe((0xb000 | EPT_RAM) >>> 0);
  });

  test('a table may live in Host frame 0', () => {
    const memory = new PhysicalMemory(8 * 4096);
    const pages = [0, 3 * 4096, 4 * 4096];
    expect(eptSet(memory, 4096, 0, 0x5000, EPT_RAM, () => pages.shift()!)).toBe(true);
    expect(memory.read32(4096) >>> 0).toBe((0 | 7) >>> 0);
    expect(memory.read32(0) >>> 0).toBe((0x3000 | 7) >>> 0);
  });
});
