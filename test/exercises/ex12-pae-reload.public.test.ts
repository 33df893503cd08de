import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex12-pae-reload');

t(2, 'a PAE Guest can use memory in two different gigabytes', (see) => {
  const os = new GuestOs(new LguestPlatform(128 * 4096, { pae: true }));
  const low = os.mmap(1);
  os.k.current.mmapNext = 0x8000_0000;
  const high = os.mmap(1);
  os.write(low, 1);
  os.write(high, 2);
  see.value('the two pages read back', [os.read(low), os.read(high)], [1, 2]);
});
