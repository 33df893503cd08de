/*
 * The transparent (shadow-paging) Host's details, on a Guest built by hand:
 * a word that straddles two pages (each half from its own frame, the
 * Guest's own fault for an unmapped second page, a store whose half lands
 * in a write-protected page table), a dead Guest that runs no more, and the
 * reverse map, which forgets an empty frame and calls a missing entry a Host bug.
 */
import { expectEachHalfFromItsFrame, layStraddlingWord } from '../support/straddle.ts';
import { PDIR, poke, PRWU, PTAB, USER, word } from '../support/transparent-guest.ts'; // USER: page-table index 0x10
import { describe, expect, test } from 'vitest';
import { PF_U, PF_W } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR0_WP } from '../../src/hw/mmu.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ, WRITE } from '../../src/hw/rights.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { guestInvlpg, guestWriteCr0, guestWriteCr3, guestWriteCr4 } from '../../src/host/transparent/exits.ts';
import { FAULTED, vmAccess } from '../../src/host/transparent/run.ts';
import { rmapAdd, rmapRemove } from '../../src/host/transparent/rmap.ts';
import { createVm, killVm, type Vm } from '../../src/host/transparent/vm.ts';


/** USER maps frame 0x5000, USER + 0x1000 frame 0x3000 (or nothing); frame 0x6000 holds something else. */
function pagedGuest(second = true): Vm {
  const vm = createVm({ pages: 64 });
  poke(vm, PDIR, PTAB | PTE_P | PTE_RW | PTE_US);
  poke(vm, PTAB + 0x10 * 4, 0x5000 | PRWU);
  if (second) poke(vm, PTAB + 0x11 * 4, 0x3000 | PRWU);
  poke(vm, PDIR + 0x3ff * 4, PTAB | PTE_P | PTE_RW); // the last 4 MiB: the page table itself, at 0xfffff000 + …
  poke(vm, PTAB + 0x3ff * 4, 0x2000 | PTE_P | PTE_RW | PTE_A | PTE_D); // 0x003ff000 maps the page table
  layStraddlingWord((gpa, value) => poke(vm, gpa, value));
  guestWriteCr3(vm, PDIR);
  guestWriteCr0(vm, CR0_PG | CR0_PE | CR0_WP);
  return vm;
}

describe('a word across two pages, under the transparent Host', () => {
  test('reads, fetches and writes take each half from its own frame', () => {
    const vm = pagedGuest();
    expectEachHalfFromItsFrame((kind, va, cpl, value) => vmAccess(vm, kind, va, cpl, value), (gpa) => word(vm, gpa), USER);
    // Again, now that both halves are in the shadows: the same answers, with no exit.
    const exits = vm.stats.exits;
    expect(vmAccess(vm, READ, USER + 0xffd, 3)).toBe(0xccbb_aa22);
    expect(vm.stats.exits).toBe(exits);
  });

  test('the second page unmapped: the Guest gets its own fault, at that page, and nothing is written', () => {
    const vm = pagedGuest(false);
    expect(vmAccess(vm, WRITE, USER + 0xffe, 3, 0x1234_5678)).toBe(FAULTED);
    expect(vm.lastFault).toEqual({ address: USER + 0x1000, errorCode: PF_U | PF_W });
    expect(word(vm, 0x5ffc)).toBe(0x4433_2211);
  });

  test('a store whose second half lands in a shadowed page table is done by the Host, and the shadow follows', () => {
    const vm = pagedGuest();
    expect(vmAccess(vm, READ, 0, 3)).toBe(FAULTED); // page 0 not mapped yet
    // The page before the table's own mapping (0x003ff000) maps frame 0x6000.
    poke32(vm, PTAB + 0x3fe * 4, 0x6000 | PTE_P | PTE_RW | PTE_A | PTE_D);
    guestInvlpg(vm, 0x003f_e000);
    // The low half goes to 0x6ffe..0x6fff, the high half into the page table's entry 0: page 0 mapped to frame 0.
    const emulated = vm.stats.emulatedWrites;
    expect(vmAccess(vm, WRITE, 0x003f_effe, 0, 0x0067_bbaa)).toBe(0x0067_bbaa);
    expect(word(vm, 0x6ffc) >>> 16).toBe(0xbbaa);
    expect(word(vm, PTAB)).toBe(0x67);
    expect(vm.stats.emulatedWrites).toBe(emulated + 1);
    poke32(vm, 0, 0x1357_9bdf);
    expect(vmAccess(vm, READ, 0, 3)).toBe(0x1357_9bdf);
  });
});

/** A store into Guest-physical memory behind the Guest's back (as its kernel would through another mapping). */
function poke32(vm: Vm, gpa: number, value: number): void {
  vm.memory.write32(vm.memBase + gpa, value);
}

describe('a dead transparent Guest runs no more', () => {
  test('no access, crossing or not, no control-register load, no INVLPG, and nothing counted', () => {
    const vm = pagedGuest();
    expect(() => killVm(vm, 'first reason')).toThrow(GuestKilled);
    expect(() => killVm(vm, 'second reason')).toThrow('first reason');
    const stats = { ...vm.stats };
    expect(() => vmAccess(vm, READ, USER, 3)).toThrow(GuestKilled);
    expect(() => vmAccess(vm, READ, USER + 0xffe, 3)).toThrow(GuestKilled);
    expect(() => guestWriteCr3(vm, PDIR)).toThrow(GuestKilled);
    expect(() => guestWriteCr4(vm, 0)).toThrow(GuestKilled);
    expect(() => guestInvlpg(vm, USER)).toThrow(GuestKilled);
    expect(vm.stats).toEqual(stats);
    expect(vm.dead).toBe('first reason');
  });
});

describe('the transparent Host before paging, and the control registers it refuses', () => {
  test('with paging off a load reads Guest-physical memory; past its end the Guest is killed', () => {
    const vm = createVm({ pages: 16 });
    poke(vm, 0x5ffc, 0x4433_2211);
    expect(vmAccess(vm, READ, 0x5ffc, 0)).toBe(0x4433_2211);
    expect(vmAccess(vm, READ, 0xfffc, 0)).toBe(0);
    expect(() => vmAccess(vm, READ, 0xfffd, 0)).toThrow(GuestKilled);
    expect(vm.dead).toBe("access to 0xfffd with paging off, outside the Guest's memory");
  });

  test('CR4 other than the paging width it was made for, or after paging is on, kills the Guest', () => {
    const seen: string[] = [];
    const vm = createVm({ pages: 16 });
    vm.trace = (m) => seen.push(m);
    guestWriteCr4(vm, 0);
    expect(seen).toEqual(['exit: MOV CR4, 0x0']);
    expect(vm.stats.exits).toBe(1);
    expect(() => guestWriteCr4(vm, 0x20)).toThrow(GuestKilled);
    expect(vm.dead).toBe('unsupported CR4 0x20: this Host runs two-level paging, set before paging is on, and nothing else');
    const pae = createVm({ pages: 16, pae: true });
    expect(() => guestWriteCr4(pae, 0x10)).toThrow('unsupported CR4 0x10: this Host runs PAE paging');
    const on = pagedGuest();
    expect(() => guestWriteCr4(on, 0)).toThrow('unsupported CR4 0x0');
  });

  test('CR0 without PE, PG and WP, or a second time, kills the Guest; INVLPG and CR3 exit and say so', () => {
    const vm = createVm({ pages: 16 });
    expect(() => guestWriteCr0(vm, CR0_PG | CR0_PE)).toThrow(GuestKilled);
    expect(vm.dead).toBe('unsupported CR0 0x80000001: paging goes on once, with PE and WP');
    const on = pagedGuest();
    const seen: string[] = [];
    on.trace = (m) => seen.push(m);
    guestInvlpg(on, USER);
    guestWriteCr3(on, PDIR);
    expect(seen.filter((m) => m.startsWith('exit'))).toEqual(['exit: INVLPG 0x10000', 'exit: MOV CR3, 0x1000']);
    expect(() => guestWriteCr0(on, CR0_PG | CR0_PE | CR0_WP)).toThrow('unsupported CR0 0x80010001');
  });
});

describe("the transparent Host's reverse map", () => {
  test('holds a frame only while some shadow PTE maps it, and calls removing what it does not hold a Host bug', () => {
    const vm = createVm({ pages: 16 });
    rmapAdd(vm, 3, 0x1000);
    rmapAdd(vm, 3, 0x1008);
    rmapRemove(vm, 3, 0x1000);
    expect([...vm.rmap.get(3)!]).toEqual([0x1008]);
    rmapRemove(vm, 3, 0x1008);
    expect(vm.rmap.has(3)).toBe(false);
    expect(() => rmapRemove(vm, 3, 0x1008)).toThrow('host bug: no reverse-map entry for the shadow PTE at 0x1008 (frame 3)');
    rmapAdd(vm, 4, 0x2000);
    expect(() => rmapRemove(vm, 4, 0x2004)).toThrow('host bug: no reverse-map entry for the shadow PTE at 0x2004 (frame 4)');
  });
});
