import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex10-cow');

t(2, 'after fork, a write in the child leaves the parent\'s copy alone', (see) => {
  const os = new GuestOs(new LguestPlatform(128 * 4096));
  const buf = os.mmap(1);
  os.write(buf, 1);
  const child = os.fork();
  os.switchTo(child);
  os.write(buf, 2);
  see.value('the child reads back its write', os.read(buf), 2);
  os.switchTo(1);
  see.value('the parent reads its own value', os.read(buf), 1);
  see.value('how the child\'s write fault was handled', os.k.faults.at(-1)?.outcome, 'cow-copy');
});
