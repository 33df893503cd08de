import { BOOT_PGDIR, FIXMAP_BASE, kmapSlotAddr, KM_USER0, KM_USER1 } from '../../src/guest/layout.ts';
import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex11-kmap-fix', { hidden: true });

/** A Guest whose set_pte_at calls on the fixmap are written down. */
function spied() {
  const pv = new LguestPlatform(128 * 4096);
  const os = new GuestOs(pv, { lowmemPages: 64, kmapMode: 'set-pte-at' });
  const calls: { pgdir: number; vaddr: number }[] = [];
  const real = pv.setPteAt.bind(pv);
  pv.setPteAt = (pgdir: number, vaddr: number, ptep: number, pte: number) => {
    if (vaddr >>> 0 >= FIXMAP_BASE && pte) calls.push({ pgdir, vaddr: vaddr >>> 0 });
    real(pgdir, vaddr, ptep, pte);
  };
  return { pv, os, calls };
}

t(1, 'many kmaps of different pages, each reaching the right page', (see) => {
  const { pv, os } = spied();
  const buf = os.mmap(6);
  for (let p = 0; p < 6; p++) os.write(buf + p * 4096, p);
  for (let p = 0; p < 6; p++) os.kernelWrite(buf + p * 4096 + 8, 100 + p);
  see.value('what the process reads at offset 8 of each page', [0, 1, 2, 3, 4, 5].map((p) => os.read(buf + p * 4096 + 8)), [100, 101, 102, 103, 104, 105]);
  see.value('the Host\'s clear-alls', pv.g.stats.clearAlls, 1);
});

t(1, 'a kmap from a process names the kernel\'s page directory and the slot\'s own address', (see) => {
  const { os, calls } = spied();
  const buf = os.mmap(1);
  os.write(buf, 1);
  calls.length = 0;
  os.kernelWrite(buf, 7);
  see.value('set_pte_at calls that mapped the slot', calls, [{ pgdir: BOOT_PGDIR, vaddr: kmapSlotAddr(KM_USER0) }]);
});

t(1, 'a copy-on-write maps both slots, each at its own address, and copies the right page', (see) => {
  const { os, calls } = spied();
  const buf = os.mmap(1);
  os.write(buf, 41);
  const child = os.fork();
  os.switchTo(child);
  calls.length = 0;
  os.write(buf + 4, 2);
  see.value('set_pte_at calls that mapped slots for the copy', calls, [{ pgdir: BOOT_PGDIR, vaddr: kmapSlotAddr(KM_USER0) }, { pgdir: BOOT_PGDIR, vaddr: kmapSlotAddr(KM_USER1) }]);
  see.value('the child\'s copy, first word', os.read(buf), 41);
  os.switchTo(1);
  see.value('the parent\'s page, second word', os.read(buf + 4), 0);
});
