import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE, LHCALL_SET_PTE, PAGE_OFFSET } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex09-set-pte', { hidden: true });

t(1, 'after the update, no process takes a fault on the kernel page', (see) => {
  const tg = bootGuest();
  const dirs = [tg.newPgdir(), tg.newPgdir()];
  const k = PAGE_OFFSET + 0x30_0000;
  for (const d of dirs) {
    hypercall(tg.g, LHCALL_NEW_PGTABLE, d);
    tg.access('read', k);
  }
  const at = tg.setPte(BOOT_PGDIR, k, tg.frame() | PTE_P | PTE_RW | PTE_A | PTE_D);
  hypercall(tg.g, LHCALL_SET_PTE, dirs[1]!, k, tg.read(at));
  const hidden = tg.g.stats.hiddenFaults;
  for (const d of dirs) {
    hypercall(tg.g, LHCALL_NEW_PGTABLE, d);
    tg.access('write', k, 1, 5);
  }
  see.value('hidden faults of the writes to 0xc0300000 from both processes', tg.g.stats.hiddenFaults - hidden, 0);
});
