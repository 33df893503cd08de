import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex02-walk');

// An entry that is not present ends the walk right after it is read: these
// tests see which entry your walk reads, and need no other exercise.
t(2, 'the walk reads the PTE the PDE points to', (see) => {
  const { space, mmu } = machine32();
  const pteAt = space.map(0x0040_3000, 0x0007_0000, 0);
  const steps = mmu.translate(0x0040_3abc, 'read').steps;
  see.value("translate(0x00403abc, 'read'): levels read", steps.map((s) => s.level), ['PDE', 'PTE']);
  see.addr("translate(0x00403abc, 'read'): address of the PTE read", steps[1]?.entryAddr, pteAt);
});

t(1, 'neighbouring pages use neighbouring entries of one page table', (see) => {
  const { space, mmu } = machine32();
  const first = space.map(0x0804_8000, 0x0005_0000, 0);
  const second = space.map(0x0804_9000, 0x0005_1000, 0);
  see.addr("translate(0x08048123, 'read'): address of the PTE read", mmu.translate(0x0804_8123, 'read').steps[1]?.entryAddr, first);
  see.addr("translate(0x08049ffc, 'read'): address of the PTE read", mmu.translate(0x0804_9ffc, 'read').steps[1]?.entryAddr, second);
  see.value('the two entries are 4 bytes apart', second - first, 4);
});
