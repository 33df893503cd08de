import assert from 'node:assert/strict';
import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { faultOf, machine32 } from '../support/machine.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex03-rights');

t(2, 'a user read of a supervisor page faults with P|U', () => {
  const { space, mmu } = machine32();
  space.map(0x1000, 0x9000, PTE_P | PTE_RW);
  mmu.setCpl(3);
  assert.equal(faultOf(() => mmu.read32(0x1000)).errorCode, PF_P | PF_U);
});

t(1, 'with CR0.WP a supervisor write to a read-only page faults', () => {
  const { space, mmu } = machine32({ wp: true });
  space.map(0x1000, 0x9000, PTE_P | PTE_US);
  assert.equal(faultOf(() => mmu.write32(0x1000, 1)).errorCode, PF_P | PF_W);
});
