import assert from 'node:assert/strict';
import { PF_P, PF_U } from '../../src/hw/fault.ts';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { bootGuest, BOOT_PGDIR } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex08-demand-page', { hidden: true });
const USER = 0x0804_8000;

t(1, 'a user read of a supervisor page is reflected with P|U, even through a user directory entry', () => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW);
  assert.deepEqual(tg.access('read', USER, 3), { ok: false, fault: { address: USER, errorCode: PF_P | PF_U } });
});

t(1, 'a directory entry without U/S denies its whole range to user code', () => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW | PTE_US, PTE_P | PTE_RW | 0x60);
  assert.equal(tg.access('read', USER, 3).ok, false);
});
