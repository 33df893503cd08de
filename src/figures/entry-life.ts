/*
 * A figure to step through: the life of one entry, from the running system.
 * A process reads and writes a page, forks, switches away and back, has its
 * page copied on write, and lives through a flush of everything; after each
 * event, the Guest's entry and the shadow's, the TLB, and the H: sections the
 * Host ran.
 */
import { ptePtr } from '../guest/kernel.ts';
import { GuestOs } from '../guest/os.ts';
import { LguestPlatform } from '../guest/paravirt.ts';
import { findSpte } from '../host/shadow-walk.ts';
import { drawEntrySteps, hex8, type EntryStep } from './entry-steps.ts';
import type { FigureOutput } from './figure.ts';

// #region X-figure-entry-life
// unwoven: draws the keeping-shadows-honest chapter's stepping figure from a run of the real Host.
export function entryLifeFigure(): FigureOutput {
  const pv = new LguestPlatform(256 * 4096, { seed: 3 });
  // Little lowmem: the process's pages are highmem, which the kernel reaches only through kmap.
  const os = new GuestOs(pv, { lowmemPages: 64 });
  const g = pv.g;
  const parent = os.pid;
  const buf = os.mmap(1);
  const steps: EntryStep[] = [];
  const tags = new Set<number>();
  g.trace = (h) => tags.add(h);
  // The parent's entries, whichever process runs: its page directory, and the slot shadowing it.
  const parentDir = () => os.k.procs.get(parent)!.pgdir;
  const guestPte = () => {
    const ptep = ptePtr(os.k, parentDir(), buf, false);
    return ptep ? pv.read32(ptep) : 0;
  };
  const shadowPte = () => {
    const slot = g.pgdirs.findIndex((p) => p.pgdir && p.gpgdir === parentDir());
    const at = slot < 0 ? 0 : findSpte(g, slot, buf);
    return at ? g.memory.read32(at) : 0;
  };
  const tlb = () => {
    if (os.pid !== parent) return `process ${os.pid} runs; the TLB holds its translations`;
    if (g.tlbStale) return 'emptied when the Guest next runs (the Host reloads CR3)';
    const e = g.mmu.tlb.entries().find((x) => x.vpn === buf >>> 12);
    return e ? `0x${buf.toString(16)} → ${hex8(e.pageBase)}, ${e.rights & 2 ? 'writable' : 'read-only'}` : `nothing for 0x${buf.toString(16)}`;
  };
  const step = (event: string, act: () => void) => {
    tags.clear();
    const hidden = g.stats.hiddenFaults;
    act();
    const ran = [...tags].sort((a, b) => a - b).map((h) => `H:${String(h).padStart(3, '0')}`).join(' ');
    const faults = g.stats.hiddenFaults - hidden;
    steps.push({ event: `${event} (${faults} hidden fault${faults === 1 ? '' : 's'}${ran ? `; the Host ran ${ran}` : ''})`, guest: guestPte(), shadow: shadowPte(), tlb: tlb() });
  };
  step(`Process ${parent} reads its fresh page at 0x${buf.toString(16)}: its kernel zero-fills the frame through kmap_atomic (a flush of everything), then the shadow gets the entry, read-only since it is not yet Dirty`, () => os.read(buf));
  step('It writes the page: one more fault, and both entries are Dirty', () => os.write(buf, 1));
  let child = 0;
  step('It forks: the kernel write-protects the entry in place and flushes the user TLB', () => {
    child = os.fork();
  });
  step('It reads again: the shadow follows the read-only entry', () => os.read(buf));
  step(`Process ${child} runs, then process ${parent} again: the slot kept its shadow`, () => {
    os.switchTo(child);
    os.read(buf);
    os.switchTo(parent);
    os.read(buf);
  });
  step('It writes: its handler copies the page (kmap_atomic again: a flush of everything), tells the Host the new entry, then flushes that page, which lguest\'s Guest does with SET_PTE 0; the retried store faults, and the Host maps the copy, Accessed and Dirty', () => os.write(buf, 2));
  step('The kernel writes through kmap_atomic: lguest\'s Guest can only say "flush everything"', () => os.kernelWrite(buf, 3));
  step('The next read rebuilds the entry, on demand, as at the start', () => os.read(buf));
  g.trace = null;
  return drawEntrySteps('The life of one entry', steps);
}
// #endregion X-figure-entry-life
