import assert from 'node:assert/strict';
import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex11-kmap-fix');

t(2, 'with the entry named, a kmap_atomic throws no shadow away', () => {
  const pv = new LguestPlatform(128 * 4096);
  const os = new GuestOs(pv, { lowmemPages: 64, kmapMode: 'set-pte-at' });
  const buf = os.mmap(2);
  os.write(buf, 1);
  const clears = pv.g.stats.clearAlls;
  assert.equal(os.kernelWrite(buf, 7), true);
  assert.equal(pv.g.stats.clearAlls, clears);
  assert.equal(os.read(buf), 7);
});
