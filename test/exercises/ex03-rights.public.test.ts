import { accessPolicy, permits, R_RW, R_US, R_XD, READ, WRITE, FETCH, type PrivilegeState } from '../../src/hw/rights.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex03-rights');
const state = (s: Partial<PrivilegeState>): PrivilegeState => ({ cpl: 0, wp: false, smep: false, smap: false, ac: false, nxe: false, reportsFetch: false, ...s });

// permits() is called by every walk and every TLB hit; these tests ask it
// directly, so they need no other exercise. (The walks of ex04 and ex05 then
// turn a refusal into a page fault.)
t(2, 'permits: a user needs U/S, and R/W to write', (see) => {
  const user = state({ cpl: 3 });
  see.value('permits(R_US, user read)', permits(R_US, accessPolicy(READ, user)), true);
  see.value('permits(R_RW, user read)', permits(R_RW, accessPolicy(READ, user)), false);
  see.value('permits(R_US, user write)', permits(R_US, accessPolicy(WRITE, user)), false);
  see.value('permits(R_US|R_RW, user write)', permits(R_US | R_RW, accessPolicy(WRITE, user)), true);
  see.value('permits(R_US|R_XD, user fetch)', permits(R_US | R_XD, accessPolicy(FETCH, user)), false);
});

t(1, 'a supervisor may read a supervisor page, a user may not', (see) => {
  see.value('permits(R_RW, supervisor read)', permits(R_RW, accessPolicy(READ, state({}))), true);
  see.value('permits(R_RW, user read)', permits(R_RW, accessPolicy(READ, state({ cpl: 3 }))), false);
});

t(1, 'with CR0.WP a supervisor write to a read-only page is refused', (see) => {
  see.value('permits(R_US, supervisor write, CR0.WP=1)', permits(R_US, accessPolicy(WRITE, state({ wp: true }))), false);
  see.value('permits(R_US|R_RW, supervisor write, CR0.WP=1)', permits(R_US | R_RW, accessPolicy(WRITE, state({ wp: true }))), true);
});
