import { PF_P, PF_U, PF_W } from '../../src/hw/fault.ts';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { accessPolicy, permits, R_RW, R_US, R_XD, READ, WRITE, FETCH, type PrivilegeState } from '../../src/hw/rights.ts';
import { machine32 } from '../support/machine.ts';
import { exercise, faultCode } from '../support/graded.ts';

const t = exercise('ex03-rights');
const state = (s: Partial<PrivilegeState>): PrivilegeState => ({ cpl: 0, wp: false, smep: false, smap: false, ac: false, nxe: false, reportsFetch: false, ...s });

t(1, 'permits: a user needs U/S, and R/W to write', (see) => {
  const user = state({ cpl: 3 });
  see.value('permits(R_US, user read)', permits(R_US, accessPolicy(READ, user)), true);
  see.value('permits(R_RW, user read)', permits(R_RW, accessPolicy(READ, user)), false);
  see.value('permits(R_US, user write)', permits(R_US, accessPolicy(WRITE, user)), false);
  see.value('permits(R_US|R_RW, user write)', permits(R_US | R_RW, accessPolicy(WRITE, user)), true);
  see.value('permits(R_US|R_XD, user fetch)', permits(R_US | R_XD, accessPolicy(FETCH, user)), false);
});

// Refused accesses stop the walk before it sets Accessed: these need only ex02.
t(2, 'a user read of a supervisor page faults with P|U', (see) => {
  const { space, mmu } = machine32();
  space.map(0x1000, 0x9000, PTE_P | PTE_RW);
  mmu.setCpl(3);
  see.pf('user mmu.read32(0x1000)', faultCode(() => mmu.read32(0x1000)), PF_P | PF_U);
});

t(1, 'with CR0.WP a supervisor write to a read-only page faults', (see) => {
  const { space, mmu } = machine32({ wp: true });
  space.map(0x1000, 0x9000, PTE_P | PTE_US);
  see.pf('supervisor mmu.write32(0x1000, 1) with CR0.WP', faultCode(() => mmu.write32(0x1000, 1)), PF_P | PF_W);
});
