/*
 * Running the Guest: the loop that lets it go until it traps, and the
 * decision every page fault needs: ours, or the Guest's?
 */
import { PageFault } from '../hw/fault.ts';
import { READ, WRITE, type AccessKind } from '../hw/rights.ts';
import { demandPage } from './demand-page.ts';
import { lgwrite32 } from './guest-memory.ts';
import { LGUEST_DATA_CR2 } from './init.ts';
import { GuestKilled, type Guest } from './lguest.ts';
import { mapSwitcherInGuest } from './switcher.ts';

// #region H030-run-guest
/** What one Guest access came to: a value, or a page fault for the Guest's own handler. */
export type RunResult = { ok: true; value: number } | { ok: false; fault: { address: number; errorCode: number } };

/** The Guest kernel runs at privilege level 1, its programs at 3. */
export const GUEST_KERNEL_CPL = 1;

/**
 * Run one Guest access (a load, a store or a fetch at `cpl`) on the shadow
 * tables, fixing the faults that are ours until it completes or faults for
 * the Guest. lguest's run_guest loops over whole stretches of Guest code; our
 * Guest is a model that performs one access at a time.
 */
export function runGuest(g: Guest, kind: AccessKind, vaddr: number, cpl: number, value = 0): RunResult {
  if (g.dead !== null) throw new GuestKilled(g.dead);
  enterGuest(g, cpl);
  // Each hidden fault fixes one level of one entry; three in a row means a bug, not a slow Guest.
  for (let tries = 0; tries < 4; tries++) {
    try {
      if (kind === READ) return { ok: true, value: g.mmu.read32(vaddr) };
      if (kind === WRITE) {
        g.mmu.write32(vaddr, value);
        return { ok: true, value };
      }
      return { ok: true, value: g.mmu.fetch32(vaddr) };
    } catch (e) {
      if (!(e instanceof PageFault)) throw e;
      const reflected = handlePageFault(g, e.address, e.errorCode);
      if (reflected) return { ok: false, fault: reflected };
      enterGuest(g, cpl);
    }
  }
  throw new Error(`host bug: access at 0x${vaddr.toString(16)} still faults after three fixes`);
}

/** Switch the processor to the Guest: its shadow, the Switcher, its privilege level. */
function enterGuest(g: Guest, cpl: number): void {
  mapSwitcherInGuest(g);
  const shadow = g.pgdirs[g.cpuPgd]!.pgdir;
  if (g.tlbStale || g.mmu.cr3 !== shadow) {
    g.mmu.writeCr3(shadow);
    g.tlbStale = false;
  }
  if (g.mmu.cpl !== cpl) g.mmu.setCpl(cpl);
}
// #endregion H030-run-guest

// #region H050-handle-trap
/**
 * Trap 14. If `demandPage` fixes it, the Guest never knows; otherwise we put
 * the address where the Guest reads its CR2 and hand the fault over, with the
 * error code its own tables call for.
 */
export function handlePageFault(g: Guest, cr2: number, errcode: number): { address: number; errorCode: number } | null {
  const result = demandPage(g, cr2, errcode);
  if (result.fixed) return null;
  g.stats.reflectedFaults++;
  if (g.lguestData !== null) lgwrite32(g, g.lguestData + LGUEST_DATA_CR2, cr2);
  return { address: cr2, errorCode: result.errorCode };
}
// #endregion H050-handle-trap
