import assert from 'node:assert/strict';
import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex11-kmap-fix', { hidden: true });

t(1, 'many kmaps of different pages, each reaching the right page', () => {
  const pv = new LguestPlatform(128 * 4096);
  const os = new GuestOs(pv, { lowmemPages: 64, kmapMode: 'set-pte-at' });
  const buf = os.mmap(6);
  for (let p = 0; p < 6; p++) os.write(buf + p * 4096, p);
  for (let p = 0; p < 6; p++) os.kernelWrite(buf + p * 4096 + 8, 100 + p);
  for (let p = 0; p < 6; p++) assert.equal(os.read(buf + p * 4096 + 8), 100 + p);
  assert.equal(pv.g.stats.clearAlls, 1);
});
