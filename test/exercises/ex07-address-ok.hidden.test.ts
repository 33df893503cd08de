import assert from 'node:assert/strict';
import { lguestAddressOk } from '../../src/host/guest-memory.ts';
import { bootGuest } from '../support/guest.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex07-address-ok', { hidden: true });

t(1, 'no wrap-around and no negative addresses', () => {
  const { g } = bootGuest(64);
  assert.equal(lguestAddressOk(g, 0xffff_ffff, 2), false);
  assert.equal(lguestAddressOk(g, -4, 4), false);
  assert.equal(lguestAddressOk(g, 2 ** 53 - 1, 2), false);
});

t(1, 'an address that is not a whole number is refused', () => {
  const { g } = bootGuest(64);
  assert.equal(lguestAddressOk(g, 100.5, 4), false);
});
