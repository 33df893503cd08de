/*
 * Turning a Guest entry into a shadow entry: same flags (less one), and the
 * host frame that really holds the Guest's page.
 */
import { PTE_D, PTE_G, PTE_P, PTE_RW } from '../hw/pte.ts';
import { killGuest, type Guest } from './lguest.ts';

// #region H340-gpte-to-spte
/**
 * The shadow entry for Guest entry `gpte`. Global is stripped: the Guest
 * believes it has PGE only so that it tells us kernel flushes from user ones,
 * and a Global shadow entry would outlive the switch back to the Host.
 */
export function gpteToSpte(g: Guest, gpte: number, write: boolean): number {
  const flags = gpte & 0xfff & ~PTE_G;
  const pfn = getPfn(g, gpte >>> 12, write);
  g.trace?.(340, `gpteToSpte: Guest frame ${gpte >>> 12} is host frame ${pfn}; flags 0x${flags.toString(16)}${write ? '' : ', read-only until Dirty'}`);
  return (pfn * 4096 + flags) >>> 0;
}

/**
 * The shadow entry we install for a present Guest entry: writable only once
 * the Guest's entry is Dirty, so that the first write to a clean page faults
 * and we can set Dirty for the Guest.
 */
export function trackedSpte(g: Guest, gpte: number): number {
  // BEGIN SOLUTION ex08-demand-page
  return gpte & PTE_D ? gpteToSpte(g, gpte, true) : gpteToSpte(g, gpte & ~PTE_RW, false);
  // END SOLUTION ex08-demand-page
  // BEGIN STUB ex08-demand-page
  // return todo('ex08-demand-page', 'a Dirty entry maps as it is; a clean one maps read-only, so the first write faults');
  // END STUB ex08-demand-page
}
// #endregion H340-gpte-to-spte

// #region H350-get-pfn
/**
 * The host frame behind Guest frame `gpfn`, with a reference held until the
 * shadow entry is released. lguest asks Linux to pin the Launcher's page
 * (get_user_pages), which can fail; our Guest memory is one contiguous
 * slice, so only a frame beyond the Guest's limit can.
 */
export function getPfn(g: Guest, gpfn: number, _write: boolean): number {
  if (gpfn >= g.pfnLimit) killGuest(g, `failed to get page ${gpfn}`);
  const pfn = g.memBase / 4096 + gpfn;
  g.pageRefs.set(pfn, (g.pageRefs.get(pfn) ?? 0) + 1);
  return pfn;
}
// #endregion H350-get-pfn

// #region H460-release-pte
/** Drop the reference a present shadow entry holds on its frame. */
export function releasePte(g: Guest, spte: number): void {
  if (!(spte & PTE_P)) return;
  const pfn = spte >>> 12;
  const n = (g.pageRefs.get(pfn) ?? 0) - 1;
  if (n < 0) throw new Error(`releasePte: frame ${pfn} has no reference to drop`);
  if (n === 0) g.pageRefs.delete(pfn);
  else g.pageRefs.set(pfn, n);
}
// #endregion H460-release-pte
