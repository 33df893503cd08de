/*
 * The Guest's memory system calls: mmap and munmap of anonymous memory, fork
 * with copy-on-write, exit, and the context switch. Each page-table change
 * goes through the pv-op Linux 2.6.24 used for it, no more and no less.
 */
import { PTE_A, PTE_P, PTE_RW } from '../hw/pte.ts';
import { PAGE_OFFSET } from './layout.ts';
import { entryBytes, newProcess, ptePtr, userTables, type Kernel, type Process } from './kernel.ts';

// #region G-mm
/** mmap(NULL, pages * 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS): a new range, nothing mapped until touched. */
export function mmap(k: Kernel, pages: number, write: boolean): number {
  const p = k.current;
  const start = p.mmapNext;
  const end = start + pages * 4096;
  if (pages < 1 || end > PAGE_OFFSET) throw new RangeError(`mmap of ${pages} pages does not fit below PAGE_OFFSET`);
  p.vmas.push({ start, end, write });
  p.mmapNext = end + 4096; // a guard page between mappings
  return start;
}

/** mmap(addr, …, MAP_FIXED): a range at a given place (how a replayed program gets its folded layout). */
export function mmapAt(k: Kernel, start: number, pages: number, write: boolean): void {
  const end = start + pages * 4096;
  if (start % 4096 !== 0 || pages < 1 || end > PAGE_OFFSET) throw new RangeError(`mmap at 0x${start.toString(16)} of ${pages} pages does not fit below PAGE_OFFSET`);
  const p = k.current;
  if (p.vmas.some((v) => v.start < end && start < v.end)) throw new RangeError(`mmap at 0x${start.toString(16)} overlaps a mapping`);
  p.vmas.push({ start, end, write });
  p.mmapNext = Math.max(p.mmapNext, end + 4096);
}

/** munmap: clear each mapped page with set_pte_at, free it, then flush the range (a user flush). */
export function munmap(k: Kernel, start: number, pages: number): void {
  const p = k.current;
  const end = start + pages * 4096;
  let cleared = 0;
  for (let va = start; va < end; va += 4096) {
    const ptep = ptePtr(k, p.pgdir, va, false);
    const pte = ptep ? k.pv.read32(ptep) : 0;
    if (!(pte & PTE_P)) continue;
    k.pv.setPteAt(p.pgdir, va, ptep, 0);
    k.frames.put((pte & 0xffff_f000) >>> 0);
    cleared++;
  }
  // x86-32's flush_tlb_range is flush_tlb_mm: a whole user flush.
  if (cleared) k.pv.flushTlbUser();
  p.vmas = p.vmas.flatMap((v) => {
    if (v.end <= start || v.start >= end) return [v];
    const parts = [];
    if (v.start < start) parts.push({ ...v, end: start });
    if (v.end > end) parts.push({ ...v, start: end });
    return parts;
  });
}

/**
 * fork: the child gets a copy of every user page table. Writable pages
 * become read-only in both, shared, so that the first write copies. The
 * parent's entries are changed in place (2.6.24 had no pv-op for that), and
 * the parent's user TLB is flushed at the end, as dup_mmap does.
 */
export function fork(k: Kernel): number {
  const parent = k.current;
  const child = newProcess(k);
  const e = entryBytes(k);
  for (const { table, base } of userTables(k, parent.pgdir)) {
    for (let j = 0; j < 4096 / e; j++) {
      let pte = k.pv.read32(table + j * e);
      if (!(pte & PTE_P)) continue;
      const va = base + j * 4096;
      if (pte & PTE_RW) {
        pte &= ~PTE_RW;
        k.pv.write32(table + j * e, pte >>> 0);
      }
      k.frames.get((pte & 0xffff_f000) >>> 0);
      // The child's copy is "old": it has not used the page yet.
      k.pv.setPteAt(child.pgdir, va, ptePtr(k, child.pgdir, va, true), (pte & ~PTE_A) >>> 0);
    }
  }
  child.vmas = parent.vmas.map((v) => ({ ...v }));
  child.mmapNext = parent.mmapNext;
  k.pv.flushTlbUser();
  return child.pid;
}

/** schedule(): switch to process `pid` by loading its page directory. */
export function switchTo(k: Kernel, pid: number): void {
  const p = k.procs.get(pid);
  if (!p) throw new Error(`no process ${pid}`);
  if (p === k.current) return;
  k.current = p;
  k.stats.contextSwitches++;
  k.pv.writeCr3(p.pgdir);
}

/**
 * exit: in the dying process's own context, clear and free its user pages
 * (zap_pte_range clears entries in place), flush, switch away, and free its
 * page tables and directory.
 */
export function exit(k: Kernel, pid: number, next: number): void {
  if (pid === next) throw new Error('exit: the next process must be another one');
  switchTo(k, pid);
  const p: Process = k.current;
  const e = entryBytes(k);
  const tables = userTables(k, p.pgdir).map((t) => t.table);
  for (const table of tables) {
    for (let j = 0; j < 4096 / e; j++) {
      const pte = k.pv.read32(table + j * e);
      if (!(pte & PTE_P)) continue;
      k.pv.write32(table + j * e, 0);
      k.frames.put((pte & 0xffff_f000) >>> 0);
    }
  }
  k.pv.flushTlbUser();
  switchTo(k, next);
  for (const table of tables) k.frames.put(table);
  // Under PAE the user PMDs go too.
  if (k.pae) for (let i = 0; i < 3; i++) k.frames.put((k.pv.read32(p.pgdir + i * 8) & 0xffff_f000) >>> 0);
  k.frames.put(p.pgdir);
  k.procs.delete(pid);
}
// #endregion G-mm

