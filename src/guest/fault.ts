/*
 * The Guest kernel's page-fault handler (Linux's do_page_fault, much
 * reduced): zero-fill anonymous memory on first touch, copy a shared page on
 * the first write after fork, and refuse everything else. It cannot tell, and
 * must not be able to tell, whether it runs on bare hardware or on our Host.
 */
import { PF_P, PF_W } from '../hw/fault.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../hw/pte.ts';
import { findVma, ptePtr, type FaultRecord, type Kernel } from './kernel.ts';
import { clearPage, copyPage } from './kmap.ts';

// #region G-page-fault
/** Handle a fault from user mode. Returns true when the access should be retried, false for SIGSEGV. */
export function doPageFault(k: Kernel, address: number, errorCode: number): boolean {
  const p = k.current;
  const record = (outcome: FaultRecord['outcome']) => k.faults.push({ pid: p.pid, address, errorCode, outcome });
  const vma = findVma(p, address);
  const write = (errorCode & PF_W) !== 0;
  if (!vma || (write && !vma.write)) return record('segv'), false;

  const page = (address & ~0xfff) >>> 0;
  const ptep = ptePtr(k, p.pgdir, page, true);
  const pte = k.pv.read32(ptep);
  if (!(errorCode & PF_P)) {
    // Anonymous memory appears on first touch, zeroed. Accessed is set now, as
    // Linux's protections have it; Dirty only if this touch is a write.
    const frame = k.frames.allocUser();
    clearPage(k, frame);
    const flags = PTE_P | PTE_US | PTE_A | (vma.write ? PTE_RW : 0) | (write ? PTE_D : 0);
    k.pv.setPteAt(p.pgdir, page, ptep, (frame | flags) >>> 0);
    return record('zero-fill'), true;
  }
  // A present page and a write: the only protection fault we fix is copy-on-write.
  if (!write || !(pte & PTE_P) || pte & PTE_RW) return record('segv'), false;
  const old = (pte & 0xffff_f000) >>> 0;
  let frame = old;
  // BEGIN SOLUTION ex10-cow
  if (k.frames.count(old) > 1) {
    frame = k.frames.allocUser();
    copyPage(k, frame, old);
    k.frames.put(old);
  }
  // END SOLUTION ex10-cow
  // BEGIN STUB ex10-cow
  // todo('ex10-cow', 'if another process still shares the frame, copy it to a new one and drop this process\'s reference to the old');
  // END STUB ex10-cow
  k.pv.setPteAt(p.pgdir, page, ptep, (frame | (pte & 0xfff) | PTE_RW | PTE_A | PTE_D) >>> 0);
  // The old, read-only translation may still be cached.
  k.pv.flushTlbSingle(page);
  return record(frame === old ? 'cow-reuse' : 'cow-copy'), true;
}
// #endregion G-page-fault
