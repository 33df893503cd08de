import { lguestAddressOk } from '../../src/host/guest-memory.ts';
import { initGuest } from '../../src/host/init.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex07-address-ok');

t(2, 'the last word of Guest memory is inside it; one byte further is not', (see) => {
  const g = initGuest({ pages: 64, pgdir: 0x2000 });
  const top = 64 * 4096;
  see.value('lguestAddressOk(g, top - 4, 4), 64-page Guest', lguestAddressOk(g, top - 4, 4), true);
  see.value('lguestAddressOk(g, top - 3, 4)', lguestAddressOk(g, top - 3, 4), false);
  see.value('lguestAddressOk(g, 0, 4)', lguestAddressOk(g, 0, 4), true);
});
