import assert from 'node:assert/strict';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex02-walk');

t(2, 'a mapped page translates to its frame plus the offset', () => {
  const { space, mmu } = machine32();
  space.map(0x0804_8000, 0x0005_0000, PTE_P | PTE_RW | PTE_US);
  assert.equal(mmu.physical(0x0804_8123, READ), 0x0005_0123);
});

t(1, 'translate reads the PTE where the PDE points', () => {
  const { space, mmu } = machine32();
  const pteAt = space.map(0x0040_3000, 0x0007_0000, PTE_P | PTE_RW);
  const steps = mmu.translate(0x0040_3abc, 'read').steps;
  assert.equal(steps[1]?.entryAddr, pteAt);
});
