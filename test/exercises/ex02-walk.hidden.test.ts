import assert from 'node:assert/strict';
import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex02-walk', { hidden: true });

t(1, 'the last entry of a page table is found too', () => {
  const { space, mmu } = machine32();
  space.map(0x003f_f000, 0x0009_0000, PTE_P | PTE_RW);
  space.map(0x0040_0000, 0x000a_0000, PTE_P | PTE_RW);
  assert.equal(mmu.physical(0x003f_fffc, READ), 0x0009_0ffc);
  assert.equal(mmu.physical(0x0040_0004, READ), 0x000a_0004);
});
