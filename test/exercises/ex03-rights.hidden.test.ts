import { accessPolicy, permits, R_RW, R_US, R_XD, READ, WRITE, FETCH, type PrivilegeState } from '../../src/hw/rights.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex03-rights', { hidden: true });
const state = (s: Partial<PrivilegeState>): PrivilegeState => ({ cpl: 0, wp: false, smep: false, smap: false, ac: false, nxe: false, reportsFetch: false, ...s });

t(1, 'without CR0.WP a supervisor may write anything; SMAP forbids user pages', (see) => {
  const sup = state({});
  see.value('permits(0, supervisor write, no WP)', permits(0, accessPolicy(WRITE, sup)), true);
  see.value('permits(R_RW, supervisor write, WP)', permits(R_RW, accessPolicy(WRITE, state({ wp: true }))), true);
  see.value('permits(R_US|R_RW, supervisor read, SMAP)', permits(R_US | R_RW, accessPolicy(READ, state({ smap: true }))), false);
  see.value('permits(R_US|R_RW, supervisor read, SMAP with AC)', permits(R_US | R_RW, accessPolicy(READ, state({ smap: true, ac: true }))), true);
});

t(1, 'a fetch is refused from an execute-disable page, and under SMEP from a user page', (see) => {
  see.value('permits(R_RW|R_XD, supervisor fetch)', permits(R_RW | R_XD, accessPolicy(FETCH, state({ nxe: true }))), false);
  see.value('permits(R_US|R_RW, supervisor fetch, SMEP)', permits(R_US | R_RW, accessPolicy(FETCH, state({ smep: true }))), false);
  see.value('permits(R_US|R_RW, supervisor read, SMEP)', permits(R_US | R_RW, accessPolicy(READ, state({ smep: true }))), true);
  see.value('permits(R_US|R_RW|R_XD, user read)', permits(R_US | R_RW | R_XD, accessPolicy(READ, state({ cpl: 3 }))), true);
});
