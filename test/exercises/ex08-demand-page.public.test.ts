import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { bootGuest, BOOT_PGDIR } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex08-demand-page');
const USER = 0x0804_8000;
// A Guest booted without a stack takes no fault at boot: these tests run only
// faults that are the Guest's, and need nothing of ex08-write-protect.

t(2, 'a user write to a read-only page is the Guest\'s fault, with P|W|U', (see) => {
  const tg = bootGuest(256, undefined, undefined, { stack: false });
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_US);
  see.value('user write of 1 to 0x08048000', tg.access('write', USER, 3, 1), { ok: false, fault: { address: USER, errorCode: PF_P | PF_W | PF_U } });
});

t(1, 'a user read of a supervisor page is the Guest\'s fault, with P|U', (see) => {
  const tg = bootGuest(256, undefined, undefined, { stack: false });
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW);
  see.value('user read of 0x08048000', tg.access('read', USER, 3), { ok: false, fault: { address: USER, errorCode: PF_P | PF_U } });
});
