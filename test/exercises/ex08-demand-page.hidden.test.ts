import { PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_SET_PTE, shadowPte } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex08-demand-page', { hidden: true });
const USER = 0x0804_8000;

t(1, 'a directory entry without U/S denies its whole range to user code', (see) => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW | PTE_US, PTE_P | PTE_RW | 0x60);
  see.value('user read of 0x08048000 through a supervisor PDE', tg.access('read', USER, 3).ok, false);
  see.value('faults reflected to the Guest', tg.g.stats.reflectedFaults, 1);
});

t(1, 'the Guest\'s entries get the bits its processor would set: Accessed on both, Dirty on a write only', (see) => {
  const tg = bootGuest();
  const at = tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW | PTE_US, PTE_P | PTE_RW | PTE_US);
  tg.access('read', USER, 3);
  see.entry('the Guest PDE\'s A and D after a user read', tg.read(tg.pdeAt(BOOT_PGDIR, USER)) & (PTE_A | PTE_D), PTE_A);
  see.entry('the Guest PTE\'s A and D after it', tg.read(at) & (PTE_A | PTE_D), PTE_A);
});

t(1, 'an entry that is not present is the Guest\'s fault, with P clear', (see) => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, 0);
  see.value('user write of 1 to 0x08048000, PTE not present', tg.access('write', USER, 3, 1), { ok: false, fault: { address: USER, errorCode: PF_W | PF_U } });
  see.value('user read of 0x40000000, PDE not present', tg.access('read', 0x4000_0000, 3), { ok: false, fault: { address: 0x4000_0000, errorCode: PF_U } });
});

t(1, 'a page shadowed again holds one reference to its frame, not two', (see) => {
  const tg = bootGuest();
  const frame = tg.frame();
  tg.setPte(BOOT_PGDIR, USER, frame | PTE_P | PTE_RW | PTE_US);
  tg.access('read', USER, 3);
  tg.access('write', USER, 3, 1);
  see.value('references to the Guest frame after a read fault and a write fault', tg.g.pageRefs.get(tg.g.memBase / 4096 + frame / 4096), 1);
});

t(1, 'an entry the Guest hands over already Dirty is shadowed writable at once', (see) => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER + 0x1000, tg.frame() | PTE_P | PTE_US);
  tg.access('read', USER + 0x1000, 3);
  const at = tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
  hypercall(tg.g, LHCALL_SET_PTE, BOOT_PGDIR, USER, tg.read(at));
  see.entry('the shadow PTE\'s P and RW after SET_PTE of a Dirty entry', shadowPte(tg.g, USER) & (PTE_P | PTE_RW), PTE_P | PTE_RW);
});

t(1, 'a Guest page-table entry with bit 7 set kills the Guest', (see) => {
  const tg = bootGuest();
  tg.setPte(BOOT_PGDIR, USER, tg.frame() | PTE_P | PTE_RW | PTE_US | PTE_PS);
  try {
    tg.access('read', USER, 3);
  } catch {
    // The Host kills a Guest by throwing out of the access.
  }
  see.value('the Guest is dead after a read through that entry', tg.g.dead !== null, true);
});

t(1, 'a PAE Guest: a fault is fixed through its three levels, and an absent PDPT entry is the Guest\'s', (see) => {
  const tg = bootGuest(256, undefined, undefined, { pae: true });
  const frame = tg.frame();
  tg.write(frame + 8, 77);
  tg.setPte(BOOT_PGDIR, USER, frame | PTE_P | PTE_RW | PTE_US);
  see.value('user read of 0x08048008', tg.access('read', USER + 8, 3), { ok: true, value: 77 });
  see.entry('the shadow PTE\'s P and RW after it', shadowPte(tg.g, USER) & (PTE_P | PTE_RW), PTE_P);
  see.value('user read of 0x80000000, PDPT entry 2 not present', tg.access('read', 0x8000_0000, 3), { ok: false, fault: { address: 0x8000_0000, errorCode: PF_U } });
});
