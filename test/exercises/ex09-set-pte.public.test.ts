import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { PGDIR_SLOTS } from '../../src/host/lguest.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE, LHCALL_SET_PTE, PAGE_OFFSET, shadowPte } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex09-set-pte');

t(3, 'SET_PTE on a kernel address updates every shadow in use', (see) => {
  const tg = bootGuest();
  const dirs = [tg.newPgdir(), tg.newPgdir()];
  const k = PAGE_OFFSET + 0x20_0000;
  for (const d of dirs) {
    hypercall(tg.g, LHCALL_NEW_PGTABLE, d);
    tg.access('read', k);
  }
  const f = tg.frame();
  const at = tg.setPte(BOOT_PGDIR, k, f | PTE_P | PTE_RW | PTE_A | PTE_D);
  hypercall(tg.g, LHCALL_SET_PTE, dirs[0]!, k, tg.read(at));
  const inUse = [...Array(PGDIR_SLOTS).keys()].filter((s) => tg.g.pgdirs[s]!.pgdir && tg.g.pgdirs[s]!.gpgdir);
  see.value(
    'the host frame each shadow in use maps at 0xc0200000',
    inUse.map((slot) => ({ slot, frame: (shadowPte(tg.g, k, slot) & 0xffff_f000) >>> 0 })),
    inUse.map((slot) => ({ slot, frame: tg.g.memBase + f })),
  );
});
