/*
 * A small Guest of the transparent Host, built by hand at either paging
 * width, for the detail tests: a page directory, one page table that maps a
 * few user pages and itself, and the Guest's own stores into its tables made
 * the only way a Guest can make them, through a mapping (so they trap).
 *
 *   Guest-physical   what
 *   0x1000           the page directory (under PAE: of the first 1 GiB)
 *   0x2000           the page table of the first 2 or 4 MiB
 *   0x3000, 0x5000   user data: USER maps 0x5000, USER + 0x1000 maps 0x3000
 *   0x6000           other data
 *   0x7000           under PAE, the PDPT
 *   0x8000, 0x9000   spare frames (more tables, when a test wants them)
 *
 * Virtual: USER = 0x10000 (table index 0x10); the page table itself is
 * mapped (kernel, writable) at PT_VA, the directory at DIR_VA.
 */
import { expect } from 'vitest';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE } from '../../src/hw/mmu.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ, WRITE } from '../../src/hw/rights.ts';
import { guestWriteCr0, guestWriteCr3, guestWriteCr4 } from '../../src/host/transparent/exits.ts';
import { vmAccess } from '../../src/host/transparent/run.ts';
import { createVm, type Vm } from '../../src/host/transparent/vm.ts';
import { layStraddlingWord } from './straddle.ts';

export const PDIR = 0x1000;
export const PTAB = 0x2000;
export const PDPT = 0x7000;
export const USER = 0x0001_0000;
/** Present, writable, user, Accessed and Dirty: an entry the shadows copy as it is. */
export const PRWU = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
/** A directory entry: present, writable, user. */
export const DIR = PTE_P | PTE_RW | PTE_US;

export interface SmallGuest {
  vm: Vm;
  /** Bytes per entry. */
  e: 4 | 8;
  /** Where the Guest sees its page table, and its page directory. */
  ptVa: number;
  dirVa: number;
}

/** Before paging: a store to Guest-physical memory, as the Guest makes it. */
export function poke(vm: Vm, gpa: number, value: number): void {
  expect(vmAccess(vm, WRITE, gpa, 0, value)).toBe(value >>> 0);
}

/** What Guest-physical `gpa` holds, read behind the Guest's back. */
export const word = (vm: Vm, gpa: number): number => vm.memory.read32(vm.memBase + gpa) >>> 0;

/**
 * The Guest of the picture above, paging on. `setup` runs before paging is
 * turned on, with the tables written but CR3 not yet loaded: a test adds
 * entries there with `poke`.
 */
export function smallGuest(o: { pae?: boolean; pages?: number; hostPages?: number; setup?: (g: SmallGuest) => void } = {}): SmallGuest {
  const pae = o.pae ?? false;
  const vm = createVm({ pages: o.pages ?? 64, hostPages: o.hostPages, pae });
  const e = pae ? 8 : 4;
  // The table's own mapping: the last entry of the page table maps it, the one before maps the directory.
  const last = pae ? 0x1ff : 0x3ff;
  const g: SmallGuest = { vm, e, ptVa: last * 0x1000, dirVa: (last - 1) * 0x1000 };
  if (pae) {
    guestWriteCr4(vm, CR4_PAE);
    poke(vm, PDPT, PDIR | PTE_P);
  }
  poke(vm, PDIR, PTAB | DIR);
  poke(vm, PTAB + 0x10 * e, 0x5000 | PRWU);
  poke(vm, PTAB + 0x11 * e, 0x3000 | PRWU);
  poke(vm, PTAB + last * e, PTAB | PTE_P | PTE_RW | PTE_A | PTE_D);
  poke(vm, PTAB + (last - 1) * e, PDIR | PTE_P | PTE_RW | PTE_A | PTE_D);
  layStraddlingWord((gpa, value) => poke(vm, gpa, value));
  o.setup?.(g);
  guestWriteCr3(vm, pae ? PDPT : PDIR);
  guestWriteCr0(vm, CR0_PG | CR0_PE | CR0_WP);
  return g;
}

/** The Guest stores `lo` (and, if given, under PAE `hi`, first) into entry `index` of its page table, through its mapping: the store traps. */
export function setPte(g: SmallGuest, index: number, lo: number, hi?: number): void {
  const at = g.ptVa + index * g.e;
  if (g.e === 8 && hi !== undefined) expect(vmAccess(g.vm, WRITE, at + 4, 0, hi)).toBe(hi >>> 0);
  expect(vmAccess(g.vm, WRITE, at, 0, lo)).toBe(lo >>> 0);
}

/** The Guest stores into entry `index` of its page directory, through its mapping. */
export function setPde(g: SmallGuest, index: number, lo: number): void {
  expect(vmAccess(g.vm, WRITE, g.dirVa + index * g.e, 0, lo)).toBe(lo >>> 0);
}

/** A user read, as the Guest's program makes it. */
export const userRead = (g: SmallGuest, va: number): number => vmAccess(g.vm, READ, va, 3);
