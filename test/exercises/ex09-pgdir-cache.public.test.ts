import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { bootGuest, hypercall, LHCALL_NEW_PGTABLE } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex09-pgdir-cache');
const USER = 0x0804_8000;

t(2, 'switching back to a cached page directory costs no hidden fault', (see) => {
  const tg = bootGuest();
  const a = tg.newPgdir();
  const b = tg.newPgdir();
  tg.setPte(a, USER, tg.frame() | PTE_P | PTE_RW | PTE_US);
  hypercall(tg.g, LHCALL_NEW_PGTABLE, a);
  tg.access('write', USER, 3, 1);
  hypercall(tg.g, LHCALL_NEW_PGTABLE, b);
  hypercall(tg.g, LHCALL_NEW_PGTABLE, a);
  const hidden = tg.g.stats.hiddenFaults;
  see.value('user read of 0x08048000 back in the first directory', tg.access('read', USER, 3), { ok: true, value: 1 });
  see.value('hidden faults it took', tg.g.stats.hiddenFaults - hidden, 0);
});
