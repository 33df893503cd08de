/*
 * Hypercalls: how the Guest asks the Host for what it cannot do itself.
 */
import { guestPagetableClearAll, guestPagetableFlushUser } from './flush.ts';
import { LGUEST_DATA_SIZE, pageTableGuestDataInit } from './init.ts';
import { lguestAddressOk } from './guest-memory.ts';
import { killGuest, GuestKilled, type Guest } from './lguest.ts';
import { guestNewPagetable } from './new-pagetable.ts';
import { guestSetPgd, guestSetPmd, guestSetPte } from './set-pte.ts';
import { guestSetStack } from './stack.ts';

// #region H120-do-hcall
/** lguest's hypercall numbers (2.6.24), the ones the page-table code answers. */
export const LHCALL_LGUEST_INIT = 1;
export const LHCALL_NEW_PGTABLE = 4;
export const LHCALL_FLUSH_TLB = 5;
export const LHCALL_SET_STACK = 7;
/** PAE only (lguest's later number 13): a middle-level entry changed. */
export const LHCALL_SET_PMD_PAE = 13;
export const LHCALL_SET_PTE = 14;
export const LHCALL_SET_PMD = 15;

const HCALL_NAMES: Record<number, string> = {
  [LHCALL_LGUEST_INIT]: 'LGUEST_INIT', [LHCALL_NEW_PGTABLE]: 'NEW_PGTABLE', [LHCALL_FLUSH_TLB]: 'FLUSH_TLB',
  [LHCALL_SET_STACK]: 'SET_STACK', [LHCALL_SET_PTE]: 'SET_PTE', [LHCALL_SET_PMD]: 'SET_PMD', [LHCALL_SET_PMD_PAE]: 'SET_PMD(PAE)',
};

/**
 * One hypercall. The first must be LGUEST_INIT; anything the Host does not
 * understand kills the Guest. A killed Guest's calls are refused.
 */
export function hypercall(g: Guest, call: number, arg1 = 0, arg2 = 0, arg3 = 0, arg4 = 0): void {
  if (g.dead !== null) throw new GuestKilled(g.dead);
  g.stats.hypercalls++;
  g.trace?.(120, `hypercall ${HCALL_NAMES[call] ?? call}(0x${(arg1 >>> 0).toString(16)}, 0x${(arg2 >>> 0).toString(16)}, 0x${(arg3 >>> 0).toString(16)})`);
  if (!g.initialized) {
    if (call !== LHCALL_LGUEST_INIT) killGuest(g, `hypercall ${call} before INIT`);
    return initialize(g, arg1);
  }
  switch (call) {
    case LHCALL_LGUEST_INIT: return killGuest(g, 'already have lguest_data');
    // arg1 says whether kernel mappings changed: if so, everything goes.
    case LHCALL_FLUSH_TLB: return arg1 ? guestPagetableClearAll(g) : guestPagetableFlushUser(g);
    case LHCALL_NEW_PGTABLE: return guestNewPagetable(g, arg1 >>> 0);
    case LHCALL_SET_STACK: return guestSetStack(g, arg1, arg2);
    // Under PAE a PTE is eight bytes: arg3 is its low word and arg4 its high one.
    case LHCALL_SET_PTE: return guestSetPte(g, arg1 >>> 0, arg2 >>> 0, arg3 >>> 0, g.pae ? arg4 >>> 0 : 0);
    case LHCALL_SET_PMD: return guestSetPgd(g, arg1 >>> 0, arg2);
    case LHCALL_SET_PMD_PAE: return g.pae ? guestSetPmd(g) : killGuest(g, `Bad hypercall ${call}`);
    default: return killGuest(g, `Bad hypercall ${call}`);
  }
}
// #endregion H120-do-hcall

// #region H124-initialize
/**
 * LGUEST_INIT: the Guest tells us where its lguest_data is. The whole of it
 * must lie inside the Guest, checked now, once, as lguest does: the Host will
 * write into it for as long as the Guest runs (CR2 at every fault it
 * reflects), and a Guest should die for a bad address when it hands it over,
 * not at some later fault. After reading it we throw every shadow away: the
 * Host's first writes into Guest memory may have changed pages we had
 * already shadowed.
 */
function initialize(g: Guest, lguestData: number): void {
  if (!lguestAddressOk(g, lguestData, LGUEST_DATA_SIZE)) killGuest(g, `bad guest page 0x${lguestData.toString(16)}`);
  pageTableGuestDataInit(g, lguestData);
  g.lguestData = lguestData;
  g.initialized = true;
  guestPagetableClearAll(g);
}
// #endregion H124-initialize
