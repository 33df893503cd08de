import assert from 'node:assert/strict';
import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_P, PTE_US } from '../../src/hw/pte.ts';
import { bootGuest, BOOT_PGDIR } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex08-demand-page');
const USER = 0x0804_8000;

t(2, 'a user write to a read-only page is the Guest\'s fault, with P|W|U', () => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_US);
  assert.deepEqual(tg.access('write', USER, 3, 1), { ok: false, fault: { address: USER, errorCode: PF_P | PF_W | PF_U } });
});

t(1, 'an allowed read is fixed and the Guest never knows', () => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_US);
  assert.deepEqual(tg.access('read', USER, 3), { ok: true, value: 0 });
  assert.equal(tg.g.stats.reflectedFaults, 0);
});
