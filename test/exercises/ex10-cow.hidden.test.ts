import { GuestOs } from '../../src/guest/os.ts';
import { NativePlatform } from '../../src/guest/native.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex10-cow', { hidden: true });

t(1, 'once the child has its own copy, the parent\'s write reuses its frame', (see) => {
  const os = new GuestOs(new NativePlatform(128 * 4096));
  const buf = os.mmap(1);
  os.write(buf, 1);
  const child = os.fork();
  os.switchTo(child);
  os.write(buf, 2);
  os.switchTo(1);
  const free = os.k.frames.free;
  os.write(buf, 3);
  see.value('how the parent\'s write fault was handled', os.k.faults.at(-1)?.outcome, 'cow-reuse');
  see.value('frames it took', free - os.k.frames.free, 0);
  see.value('the parent reads back', os.read(buf), 3);
});

t(1, 'both sides of a fork copy on their first write', (see) => {
  const os = new GuestOs(new NativePlatform(128 * 4096));
  const buf = os.mmap(2);
  os.write(buf, 10);
  os.write(buf + 4096, 20);
  const child = os.fork();
  os.write(buf, 11);
  os.switchTo(child);
  os.write(buf + 4096, 21);
  see.value('the child reads both pages', [os.read(buf), os.read(buf + 4096)], [10, 21]);
  os.switchTo(1);
  see.value('the parent reads both pages', [os.read(buf), os.read(buf + 4096)], [11, 20]);
});
