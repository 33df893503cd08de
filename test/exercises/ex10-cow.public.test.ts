import assert from 'node:assert/strict';
import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex10-cow');

t(2, 'after fork, a write in the child leaves the parent\'s copy alone', () => {
  const os = new GuestOs(new LguestPlatform(128 * 4096));
  const buf = os.mmap(1);
  os.write(buf, 1);
  const child = os.fork();
  os.switchTo(child);
  os.write(buf, 2);
  assert.equal(os.read(buf), 2);
  os.switchTo(1);
  assert.equal(os.read(buf), 1);
  assert.equal(os.k.faults.at(-1)?.outcome, 'cow-copy');
});
