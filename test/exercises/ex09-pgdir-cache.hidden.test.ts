import { findPgdir } from '../../src/host/new-pagetable.ts';
import { PGDIR_SLOTS } from '../../src/host/lguest.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex09-pgdir-cache', { hidden: true });

t(1, 'a directory with no shadow has no slot; a shadowed one has its own', (see) => {
  const tg = bootGuest();
  const a = tg.newPgdir();
  see.value('findPgdir of a directory never loaded is PGDIR_SLOTS', findPgdir(tg.g, a) === PGDIR_SLOTS, true);
  hypercall(tg.g, LHCALL_NEW_PGTABLE, a);
  see.addr('the Guest directory of the slot findPgdir(g, a) names', tg.g.pgdirs[findPgdir(tg.g, a)]?.gpgdir, a);
  see.addr('the Guest directory of the slot findPgdir(g, BOOT_PGDIR) names', tg.g.pgdirs[findPgdir(tg.g, BOOT_PGDIR)]?.gpgdir, BOOT_PGDIR);
});
