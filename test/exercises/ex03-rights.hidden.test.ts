import assert from 'node:assert/strict';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { faultOf, machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex03-rights', { hidden: true });

t(1, 'a user may read and write its own writable page, but not write a read-only one', () => {
  const { space, mmu, memory } = machine32();
  space.map(0x1000, 0x9000, PTE_P | PTE_RW | PTE_US);
  space.map(0x2000, 0xa000, PTE_P | PTE_US);
  memory.write32(0xa000, 77);
  mmu.setCpl(3);
  mmu.write32(0x1000, 5);
  assert.equal(mmu.read32(0x1000), 5);
  assert.equal(mmu.read32(0x2000), 77);
  assert.equal(faultOf(() => mmu.write32(0x2000, 1)).errorCode, 7);
});
