import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex11-kmap-fix');

t(2, 'with the entry named, a kmap_atomic throws no shadow away', (see) => {
  const pv = new LguestPlatform(128 * 4096);
  const os = new GuestOs(pv, { lowmemPages: 64, kmapMode: 'set-pte-at' });
  const buf = os.mmap(2);
  os.write(buf, 1);
  const clears = pv.g.stats.clearAlls;
  see.value('os.kernelWrite(buf, 7)', os.kernelWrite(buf, 7), true);
  see.value('the Host\'s clear-alls it caused', pv.g.stats.clearAlls - clears, 0);
  see.value('the process reads back', os.read(buf), 7);
});
