import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { exercise } from '../support/graded.ts';

const t = exercise('ex12-pae-reload', { hidden: true });

t(1, 'the processor\'s PDPTE registers match the shadow PDPT', (see) => {
  const pv = new LguestPlatform(128 * 4096, { pae: true });
  const os = new GuestOs(pv);
  os.k.current.mmapNext = 0x4000_0000;
  const va = os.mmap(1);
  os.write(va, 5);
  const g = pv.g;
  see.entry('PDPTE register 1 against the shadow PDPT\'s entry 1', g.mmu.pdpteLo[1], g.memory.read32(g.pgdirs[g.cpuPgd]!.pgdir + 8));
});
