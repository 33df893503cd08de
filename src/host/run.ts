/*
 * Running the Guest: the loop that lets it go until it traps, and the
 * decision every page fault needs: ours, or the Guest's?
 */
import { GeneralProtectionFault, PageFault } from '../hw/fault.ts';
import { READ, WRITE, type AccessKind } from '../hw/rights.ts';
import { demandPage } from './demand-page.ts';
import { lgwrite32 } from './guest-memory.ts';
import { LGUEST_DATA_CR2 } from './init.ts';
import { GuestKilled, killGuest, type Guest } from './lguest.ts';
import { mapSwitcherInGuest } from './switcher.ts';

// #region H030-run-guest
/** What one Guest access came to: a value, or a page fault for the Guest's own handler. */
export type RunResult = { ok: true; value: number } | { ok: false; fault: { address: number; errorCode: number } };

/** The Guest kernel runs at privilege level 1, its programs at 3. */
export const GUEST_KERNEL_CPL = 1;

/** What `guestAccess` returns when the access faulted for the Guest (loaded values are never negative). */
export const FAULTED = -1;

/**
 * Run one Guest access (a load, a store or a fetch of a word at `cpl`) on
 * the shadow tables, fixing the faults that are ours until it completes or
 * faults for the Guest. lguest's run_guest loops over whole stretches of
 * Guest code; our Guest is a model that performs one access at a time.
 *
 * Returns the word loaded (or stored), or FAULTED with the fault for the
 * Guest in `g.lastFault`. The common case allocates nothing.
 */
export function guestAccess(g: Guest, kind: AccessKind, vaddr: number, cpl: number, value = 0): number {
  if (g.dead !== null) throw new GuestKilled(g.dead);
  // A word that crosses a page is two translations: the MMU's own path does it.
  if ((vaddr & 0xfff) > 0xffc) return crossingAccess(g, kind, vaddr, cpl, value);
  enterGuest(g, cpl);
  const mmu = g.mmu;
  // Each hidden fault fixes one thing (Accessed, then Dirty, then the rights
  // of a directory entry); four in a row means a Host bug, not a slow Guest.
  for (let tries = 0; tries < 4; tries++) {
    const paddr = mmu.physical(vaddr, kind);
    if (paddr >= 0) {
      if (kind !== WRITE) return g.memory.read32(paddr);
      g.memory.write32(paddr, value);
      return value >>> 0;
    }
    if (guestTakesFault(g, cpl, mmu.cr2, mmu.lastErrorCode)) return FAULTED;
  }
  throw new Error(`host bug: access at 0x${vaddr.toString(16)} still faults after four fixes`);
}

/**
 * The Guest faulted: fix it and go back in, or hand it to the Guest (its
 * fault in `g.lastFault`). True when the Guest must take it.
 */
function guestTakesFault(g: Guest, cpl: number, cr2: number, errcode: number): boolean {
  g.trace?.(30, `the Guest faulted at 0x${hex(cr2)}, error code ${errcode}: back to the Host`);
  const reflected = handlePageFault(g, cr2, errcode);
  if (reflected) {
    g.lastFault = reflected;
    return true;
  }
  enterGuest(g, cpl);
  return false;
}

/** The same, with the answer as a value the tests and the book can print. */
export function runGuest(g: Guest, kind: AccessKind, vaddr: number, cpl: number, value = 0): RunResult {
  const v = guestAccess(g, kind, vaddr, cpl, value);
  return v === FAULTED ? { ok: false, fault: g.lastFault! } : { ok: true, value: v };
}

// #endregion H030-run-guest

// #region H040-enter-guest
/**
 * Switch the processor to the Guest: the Switcher mapped into its shadow,
 * the shadow in CR3, the Guest's privilege level. lguest's Switcher loads
 * CR3 on every entry, and with Global pages off that empties the TLB each
 * time. Our model runs one access at a time, so it hooks the Switcher in and
 * loads CR3 only when the shadows changed under the processor (or it was
 * not the Guest's): the same translations, without a refill per access that
 * lguest's Guest never paid. Nothing else can move the Switcher's entries:
 * the Guest can neither reach them nor name them in a hypercall.
 */
function enterGuest(g: Guest, cpl: number): void {
  const shadow = g.pgdirs[g.cpuPgd]!.pgdir;
  if (g.tlbStale || g.mmu.cr3 !== shadow) {
    mapSwitcherInGuest(g);
    g.mmu.writeCr3(shadow);
    g.tlbStale = false;
  }
  if (g.mmu.cpl !== cpl) g.mmu.setCpl(cpl);
}
// #endregion H040-enter-guest

// #region H050-handle-trap
/**
 * Trap 14. If `demandPage` fixes it, the Guest never knows; otherwise we put
 * the address where the Guest reads its CR2 and hand the fault over, with the
 * error code its own tables call for.
 */
export function handlePageFault(g: Guest, cr2: number, errcode: number): { address: number; errorCode: number } | null {
  const result = demandPage(g, cr2, errcode);
  if (result.fixed) {
    g.trace?.(50, 'fixed: the Guest runs on, none the wiser');
    return null;
  }
  g.trace?.(50, `not ours: cr2 goes into lguest_data, error code ${result.errorCode} to the Guest's handler`);
  g.stats.reflectedFaults++;
  if (g.lguestData !== null) lgwrite32(g, g.lguestData + LGUEST_DATA_CR2, cr2);
  return { address: cr2, errorCode: result.errorCode };
}

const hex = (n: number) => (n >>> 0).toString(16);
// #endregion H050-handle-trap

// #region X-crossing-access
// unwoven: the rare word that straddles two pages, done with the MMU's own split path.
/*
 * A word that would run past 4 GiB is #GP on bare hardware (the segment
 * limit), not a page fault. lguest would hand that trap to the Guest's own
 * handler; our Guest model has none, so the Host kills it, with the reason.
 */
function crossingAccess(g: Guest, kind: AccessKind, vaddr: number, cpl: number, value: number): number {
  enterGuest(g, cpl);
  for (let tries = 0; tries < 8; tries++) {
    try {
      if (kind === READ) return g.mmu.read32(vaddr);
      if (kind === WRITE) {
        g.mmu.write32(vaddr, value);
        return value >>> 0;
      }
      return g.mmu.fetch32(vaddr);
    } catch (e) {
      if (e instanceof GeneralProtectionFault) killGuest(g, e.message);
      if (!(e instanceof PageFault)) throw e;
      if (guestTakesFault(g, cpl, e.address, e.errorCode)) return FAULTED;
    }
  }
  throw new Error(`host bug: access at 0x${vaddr.toString(16)} still faults after eight tries`);
}
// #endregion X-crossing-access
