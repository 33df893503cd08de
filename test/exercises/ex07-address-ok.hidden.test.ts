import { lguestAddressOk } from '../../src/host/guest-memory.ts';
import { initGuest } from '../../src/host/init.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex07-address-ok', { hidden: true });

t(1, 'no wrap-around and no negative addresses', (see) => {
  const g = initGuest({ pages: 64, pgdir: 0x2000 });
  see.value('lguestAddressOk(g, 0xffffffff, 2)', lguestAddressOk(g, 0xffff_ffff, 2), false);
  see.value('lguestAddressOk(g, -4, 4)', lguestAddressOk(g, -4, 4), false);
  see.value('lguestAddressOk(g, 2 ** 53 - 1, 2)', lguestAddressOk(g, 2 ** 53 - 1, 2), false);
});

t(1, 'an address that is not a whole number is refused', (see) => {
  const g = initGuest({ pages: 64, pgdir: 0x2000 });
  see.value('lguestAddressOk(g, 100.5, 4)', lguestAddressOk(g, 100.5, 4), false);
});
