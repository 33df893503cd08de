/*
 * The Guest stored into one of its page tables. The shadows map those pages
 * read-only, so the store trapped; the Host does it on the Guest's behalf,
 * then makes every shadow of that table say what the table now says.
 */
import { PTE_A, PTE_P } from '../../hw/pte.ts';
import { dropEntry, findShadowPage, setSpte, zapShadowPage } from './shadow-cache.ts';
import { leafSpte } from './write-protect.ts';
import { entrySize, type ShadowPage, type Vm } from './vm.ts';

// #region K-emulate
/**
 * Store the low `len` bytes of `value` at Guest-physical `gpa` (a page the
 * Host shadows as a table), then bring its shadows along (KVM's
 * kvm_mmu_pte_write). A page-table entry's shadow is recomputed at once, as
 * a prefetch: the Guest usually writes an entry because it is about to use
 * it. A directory entry's shadow is cleared, and refilled by the next fault
 * through it. And if the Guest keeps writing the page without using what it
 * writes, or writes it piecemeal, the page is no table any more, whatever
 * it was: its shadows go, and with them the write protection.
 */
export function emulateWrite(vm: Vm, gpa: number, value: number, len: number): void {
  vm.stats.emulatedWrites++;
  const at = vm.memBase + gpa;
  if (len === 4) vm.memory.write32(at, value);
  else for (let i = 0; i < len; i++) vm.memory.write8(at + i, (value >>> (8 * i)) & 0xff);
  const gfn = Math.floor(gpa / 4096);
  const shadows = [findShadowPage(vm, gfn, 1), findShadowPage(vm, gfn, 2)].filter((sp): sp is ShadowPage => sp !== undefined);
  vm.trace?.(`the Guest's store of 0x${(value >>> 0).toString(16)} into its table at 0x${gpa.toString(16)} trapped: done by the Host`);
  if (!shadows.length) return;
  const e = entrySize(vm);
  const offset = gpa % 4096;
  const flooded = floodedBy(vm, gfn);
  const misaligned = len < 4 || ((offset ^ (offset + len - 1)) & ~(e - 1)) !== 0;
  for (const sp of shadows) {
    if (flooded || misaligned) {
      vm.stats.unshadowed++;
      zapShadowPage(vm, sp);
      continue;
    }
    const entryAt = sp.page + (offset & ~(e - 1));
    if (sp.level === 2) {
      dropEntry(vm, entryAt);
      continue;
    }
    const g = vm.memBase + (gpa & ~(e - 1));
    const spte = leafSpte(vm, vm.memory.read32(g), e === 8 ? vm.memory.read32(g + 4) : 0, false);
    setSpte(vm, entryAt, spte);
    if (spte & PTE_P) vm.flood.lastSpte = entryAt;
  }
}

/**
 * KVM's flood detector (2.6.2x): three writes in a row to the same table,
 * with the entry the last one prefetched still unused (the processor sets
 * Accessed in a shadow entry it uses, and a prefetched entry starts
 * without), and the Guest is treating the page as data: a memset, a page
 * being reused. Keeping it write-protected would trap every store.
 */
function floodedBy(vm: Vm, gfn: number): boolean {
  const f = vm.flood;
  if (f.gfn === gfn && !(f.lastSpte && vm.memory.read32(f.lastSpte) & PTE_A)) return ++f.count >= 3;
  f.gfn = gfn;
  f.count = 1;
  f.lastSpte = 0;
  return false;
}
// #endregion K-emulate
