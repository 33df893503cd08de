import assert from 'node:assert/strict';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex04-dirty', { hidden: true });

t(1, 'after a read, a write through the cached entry still sets Dirty', () => {
  const { space, mmu, memory } = machine32();
  const at = space.map(0x1000, 0x9000, PTE_P | PTE_RW);
  mmu.read32(0x1000);
  mmu.write32(0x1004, 1);
  assert.equal(memory.read32(at) & PTE_D, PTE_D);
});
