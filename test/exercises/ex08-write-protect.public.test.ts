import { PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { bootGuest, BOOT_PGDIR, shadowPte } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex08-write-protect');
const USER = 0x0804_8000;

t(2, 'after a read fault the shadow entry is read-only, though the Guest\'s is writable', (see) => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW | PTE_US);
  tg.access('read', USER, 3);
  see.entry('the shadow PTE\'s P and RW after a user read', shadowPte(tg.g, USER) & (PTE_P | PTE_RW), PTE_P);
});

t(2, 'the first write faults again and sets Dirty in both', (see) => {
  const tg = bootGuest();
  const at = tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW | PTE_US);
  tg.access('read', USER, 3);
  const hidden = tg.g.stats.hiddenFaults;
  tg.access('write', USER, 3, 9);
  see.value('hidden faults taken by the write', tg.g.stats.hiddenFaults - hidden, 1);
  see.entry('the Guest PTE\'s D', tg.read(at) & PTE_D, PTE_D);
  see.entry('the shadow PTE\'s RW and D', shadowPte(tg.g, USER) & (PTE_RW | PTE_D), PTE_RW | PTE_D);
});
