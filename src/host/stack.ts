/*
 * The Guest kernel stack: where the Guest says it is, and keeping it mapped.
 */
import { killGuest, type Guest } from './lguest.ts';
import { pinPage } from './page-writable.ts';

// #region H260-pin-stack-pages
/** Pin every page of the Guest kernel stack, top down from `esp1`. */
export function pinStackPages(g: Guest): void {
  for (let i = 0; i < g.stackPages; i++) pinPage(g, (g.esp1 - 1 - i * 4096) >>> 0);
}

/** LHCALL_SET_STACK: the Guest's kernel stack moved. One or two pages, and pinned at once. */
export function guestSetStack(g: Guest, esp: number, pages: number): void {
  if (pages < 1 || pages > 2 || !Number.isInteger(pages)) killGuest(g, `bad stack pages ${pages}`);
  g.esp1 = esp >>> 0;
  g.stackPages = pages;
  pinStackPages(g);
}
// #endregion H260-pin-stack-pages
