import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { LHCALL_FLUSH_TLB } from '../../src/host/hypercalls.ts';
import { bootGuest, BOOT_PGDIR, hypercall, type TestGuest } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex09-release-pgd', { hidden: true });

function mapped(tg: TestGuest, pages: number[]): number[] {
  return pages.map((va) => {
    const f = tg.frame();
    tg.setPte(BOOT_PGDIR, va, f | PTE_P | PTE_RW | PTE_US);
    tg.access('write', va, 3, 1);
    return f;
  });
}
const refs = (tg: TestGuest, frames: number[]) => frames.map((f) => tg.g.pageRefs.get(tg.g.memBase / 4096 + f / 4096) ?? 0);
const throws = (fn: () => void) => {
  try {
    fn();
    return false;
  } catch {
    return true;
  }
};

t(1, 'flushing twice releases nothing twice', (see) => {
  const tg = bootGuest();
  const frames = mapped(tg, [0x0804_8000]);
  hypercall(tg.g, LHCALL_FLUSH_TLB, 0);
  const freed = tg.g.stats.shadowPagesFreed;
  see.value('a second LHCALL_FLUSH_TLB(0) throws', throws(() => hypercall(tg.g, LHCALL_FLUSH_TLB, 0)), false);
  see.value('shadow pages the second flush freed', tg.g.stats.shadowPagesFreed - freed, 0);
  see.value('references to the user frame', refs(tg, frames), [0]);
});

t(1, 'the first and last entries of a page table are released too', (see) => {
  const tg = bootGuest();
  const frames = mapped(tg, [0x0040_0000, 0x007f_f000]);
  hypercall(tg.g, LHCALL_FLUSH_TLB, 0);
  see.value('references to the frames at 0x00400000 and 0x007ff000 after the flush', refs(tg, frames), [0, 0]);
});

t(1, 'the kernel\'s mappings are not the flush\'s to release', (see) => {
  const tg = bootGuest();
  mapped(tg, [0x0804_8000]);
  const kernelRefs = [...tg.g.pageRefs.values()].reduce((a, b) => a + b, 0) - 1;
  hypercall(tg.g, LHCALL_FLUSH_TLB, 0);
  see.value('references left after the flush', [...tg.g.pageRefs.values()].reduce((a, b) => a + b, 0), kernelRefs);
});

t(1, 'a PAE Guest: a clear-all gives back page directories, page tables and every user reference', (see) => {
  const tg = bootGuest(256, undefined, undefined, { pae: true });
  const frames = mapped(tg, [0x0804_8000, 0x0820_0000, 0x4000_0000]);
  const freed = tg.g.stats.shadowPagesFreed;
  hypercall(tg.g, LHCALL_FLUSH_TLB, 1);
  see.value('references to the three user frames after LHCALL_FLUSH_TLB(1)', refs(tg, frames), [0, 0, 0]);
  // Two page directories (PDPT entries 0 and 1) and three page tables under them, and the
  // kernel stack's page table under the kernel's page directory, which stays with the Switcher.
  see.value('shadow pages freed by it', tg.g.stats.shadowPagesFreed - freed, 6);
  see.value('user read of 0x40000000 afterwards', tg.access('read', 0x4000_0000, 3), { ok: true, value: 1 });
});
