/*
 * Guest memory as the Host sees it: every "physical" address a Guest hands
 * us is an offset into its slice of host memory, and is checked before use.
 */
import { killGuest, type Guest } from './lguest.ts';

// #region H032-address-ok
/**
 * Is `[addr, addr + len)` inside the Guest's memory? lguest, in C, checks
 * `addr + len >= addr` first, because there 0xFFFFFFFF + 2 wraps round to 1.
 * Our numbers do not wrap (the sum is 0x1_0000_0001, and the limit refuses
 * it), so here the same term refuses a negative length; kept, so that the
 * check stays right whatever a caller passes.
 */
export function lguestAddressOk(g: Guest, addr: number, len: number): boolean {
  // BEGIN SOLUTION ex07-address-ok
  return Number.isInteger(addr) && addr >= 0 && addr + len >= addr && addr + len <= g.pfnLimit * 4096;
  // END SOLUTION ex07-address-ok
  // BEGIN STUB ex07-address-ok
  // return todo('ex07-address-ok', 'true exactly when [addr, addr + len) lies inside the Guest: below pfnLimit pages, with no overflow');
  // END STUB ex07-address-ok
}
// #endregion H032-address-ok

// #region H035-lgread
/** Read a 32-bit word of Guest-physical memory, or kill the Guest for a bad address. */
export function lgread32(g: Guest, addr: number): number {
  if (!lguestAddressOk(g, addr, 4)) killGuest(g, `bad read address 0x${addr.toString(16)} len 4`);
  return g.memory.read32(g.memBase + addr);
}

/** Write a 32-bit word of Guest-physical memory, or kill the Guest for a bad address. */
export function lgwrite32(g: Guest, addr: number, value: number): void {
  if (!lguestAddressOk(g, addr, 4)) killGuest(g, `bad write address 0x${addr.toString(16)} len 4`);
  g.memory.write32(g.memBase + addr, value);
}
// #endregion H035-lgread
