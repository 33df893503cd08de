import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_SET_PTE, shadowPte } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex08-write-protect', { hidden: true });
const USER = 0x0804_8000;

t(1, 'an entry the Guest hands over already Dirty is shadowed writable at once', (see) => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER + 0x1000, tg.frame() | PTE_P | PTE_US);
  tg.access('read', USER + 0x1000, 3);
  const at = tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
  hypercall(tg.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, tg.read(at));
  see.entry('the shadow PTE\'s P and RW after SET_PTE of a Dirty entry', shadowPte(tg.g, USER) & (PTE_P | PTE_RW), PTE_P | PTE_RW);
});
