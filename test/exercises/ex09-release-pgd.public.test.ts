import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { LHCALL_FLUSH_TLB } from '../../src/host/hypercalls.ts';
import { bootGuest, BOOT_PGDIR, hypercall, type TestGuest } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex09-release-pgd');
const PAGES = [0x0804_8000, 0x0804_9000, 0x4000_0000];

/** A Guest whose user pages (two page tables' worth) are mapped, and shadowed by a read each. */
function userPages(): { tg: TestGuest; frames: number[] } {
  const tg = bootGuest();
  const frames = PAGES.map((va) => {
    const f = tg.frame();
    tg.setPte(BOOT_PGDIR, va, f | PTE_P | PTE_RW | PTE_US);
    tg.access('read', va, 3);
    return f;
  });
  return { tg, frames };
}
const refs = (tg: TestGuest, frames: number[]) => frames.map((f) => tg.g.pageRefs.get(tg.g.memBase / 4096 + f / 4096) ?? 0);

// LHCALL_FLUSH_TLB(0) releases every user entry of the current shadow
// directory with your releasePgd.
t(2, 'flushing the user mappings drops every reference the shadows held on user pages', (see) => {
  const { tg, frames } = userPages();
  see.value('references to the three user frames before the flush', refs(tg, frames), [1, 1, 1]);
  hypercall(tg.g, LHCALL_FLUSH_TLB, 0);
  see.value('references to them after LHCALL_FLUSH_TLB(0)', refs(tg, frames), [0, 0, 0]);
});

t(1, 'the shadow page tables go back to the Host', (see) => {
  const { tg } = userPages();
  const freed = tg.g.stats.shadowPagesFreed;
  hypercall(tg.g, LHCALL_FLUSH_TLB, 0);
  see.value('shadow pages freed by LHCALL_FLUSH_TLB(0)', tg.g.stats.shadowPagesFreed - freed, 2);
});

t(1, 'after a flush, the next access faults and sees the Guest\'s entry as it is now', (see) => {
  const { tg } = userPages();
  const moved = tg.frame();
  tg.write(moved, 99);
  // The Guest points the page elsewhere, then flushes (as Linux does after changing entries in bulk).
  tg.setPte(BOOT_PGDIR, PAGES[0]!, moved | PTE_P | PTE_RW | PTE_US);
  hypercall(tg.g, LHCALL_FLUSH_TLB, 0);
  const hidden = tg.g.stats.hiddenFaults;
  see.value('user read of 0x08048000 after the flush', tg.access('read', PAGES[0]!, 3), { ok: true, value: 99 });
  see.value('hidden faults it took', tg.g.stats.hiddenFaults - hidden, 1);
});
