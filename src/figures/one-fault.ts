/*
 * A figure to step through: one page fault's journey, from the running
 * system. At each thing the Host does (its trace, tagged with H: numbers),
 * the Guest's page-table entry and the shadow entry are drawn bit by bit,
 * with what the processor's TLB holds for the page.
 */
import { PTE_P } from '../hw/pte.ts';
import { ptePtr } from '../guest/kernel.ts';
import { GuestOs } from '../guest/os.ts';
import { spgdAddr, spteAddr } from '../host/shadow-walk.ts';
import { LguestPlatform } from '../guest/paravirt.ts';
import { drawEntrySteps, hex8, type EntryStep } from './entry-steps.ts';
import type { FigureOutput } from './figure.ts';

// #region X-figure-one-fault
// unwoven: draws the demand-paging chapter's stepping figure from a run of the real Host.
export function oneFaultFigure(): FigureOutput {
  const pv = new LguestPlatform(256 * 4096);
  const os = new GuestOs(pv);
  const g = pv.g;
  const buf = os.mmap(1);
  const steps: EntryStep[] = [];
  // The Guest's own entry, walked from its current page directory; the shadow's, from ours.
  const guestPte = () => {
    const ptep = ptePtr(os.k, os.k.current.pgdir, buf, false);
    return ptep ? pv.read32(ptep) : 0;
  };
  const shadowPte = () => {
    const spgd = g.memory.read32(spgdAddr(g, g.cpuPgd, buf));
    return spgd & PTE_P ? g.memory.read32(spteAddr(g, spgd, buf)) : 0;
  };
  const tlb = () => {
    const e = g.mmu.tlb.entries().find((x) => x.vpn === buf >>> 12);
    return e ? `0x${buf.toString(16)} → ${hex8(e.pageBase)}, ${e.rights & 2 ? 'writable' : 'read-only'}` : `nothing for 0x${buf.toString(16)}`;
  };
  const snap = (event: string) => steps.push({ event, guest: guestPte(), shadow: shadowPte(), tlb: tlb() });
  snap(`Guest: process ${os.pid} is about to load from 0x${buf.toString(16)}, a page it has just mapped`);
  g.trace = (h, message) => snap(`H:${String(h).padStart(3, '0')} ${message}`);
  os.read(buf);
  snap('Guest: the load is done. The shadow entry is read-only: the Guest\'s is not yet Dirty');
  os.write(buf, 7);
  g.trace = null;
  snap('Guest: the store is done, and both entries are Dirty');
  os.write(buf + 4, 8);
  snap('Guest: a second store goes straight through the shadow and the TLB, with no fault for anyone');
  return drawEntrySteps('One page fault', steps);
}
// #endregion X-figure-one-fault
