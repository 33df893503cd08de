import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { bootGuest, BOOT_PGDIR, shadowPte } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex08-demand-page');
const USER = 0x0804_8000;

// Every access the Guest makes runs on the shadow tables; each fault comes to
// your demandPage, which fixes it (the Guest never knows) or reflects it.
t(2, 'a user write to a read-only page is the Guest\'s fault, with P|W|U', (see) => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_US);
  see.value('user write of 1 to 0x08048000', tg.access('write', USER, 3, 1), { ok: false, fault: { address: USER, errorCode: PF_P | PF_W | PF_U } });
});

t(1, 'a user read of a supervisor page is the Guest\'s fault, with P|U', (see) => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW);
  see.value('user read of 0x08048000', tg.access('read', USER, 3), { ok: false, fault: { address: USER, errorCode: PF_P | PF_U } });
});

t(2, 'an allowed read is fixed and the Guest never knows', (see) => {
  const tg = bootGuest();
  const frame = tg.frame();
  tg.write(frame + 0x10, 42);
  tg.setPte(BOOT_PGDIR, USER, frame | PTE_P | PTE_US);
  const hidden = tg.g.stats.hiddenFaults;
  see.value('user read of 0x08048010', tg.access('read', USER + 0x10, 3), { ok: true, value: 42 });
  see.value('faults reflected to the Guest', tg.g.stats.reflectedFaults, 0);
  see.value('hidden faults the read took', tg.g.stats.hiddenFaults - hidden, 1);
});

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
