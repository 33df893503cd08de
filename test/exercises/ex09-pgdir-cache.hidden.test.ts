import assert from 'node:assert/strict';
import { findPgdir } from '../../src/host/new-pagetable.ts';
import { PGDIR_SLOTS } from '../../src/host/lguest.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex09-pgdir-cache', { hidden: true });

t(1, 'a directory with no shadow has no slot; a shadowed one has its own', () => {
  const tg = bootGuest();
  const a = tg.newPgdir();
  assert.equal(findPgdir(tg.g, a), PGDIR_SLOTS);
  hypercall(tg.g, LHCALL_NEW_PGTABLE, a);
  assert.equal(tg.g.pgdirs[findPgdir(tg.g, a)]!.gpgdir, a);
  assert.equal(tg.g.pgdirs[findPgdir(tg.g, BOOT_PGDIR)]!.gpgdir, BOOT_PGDIR);
});
