import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { bootGuest, BOOT_PGDIR } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex08-demand-page', { hidden: true });
const USER = 0x0804_8000;

t(1, 'an allowed read is fixed and the Guest never knows', (see) => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_US);
  see.value('user read of 0x08048000', tg.access('read', USER, 3), { ok: true, value: 0 });
  see.value('faults reflected to the Guest', tg.g.stats.reflectedFaults, 0);
});

t(1, 'a directory entry without U/S denies its whole range to user code', (see) => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW | PTE_US, PTE_P | PTE_RW | 0x60);
  see.value('user read of 0x08048000 through a supervisor PDE', tg.access('read', USER, 3).ok, false);
});
