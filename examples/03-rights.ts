/*
 * Who may do what: one page, four ways of marking it, three kinds of access,
 * at user and supervisor level, with CR0.WP on. Each cell is "ok" or the
 * page-fault error code. Run: npx tsx examples/03-rights.ts
 */
import { errorCodeNames, PageFault } from '../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR0_WP, Mmu } from '../src/hw/mmu.ts';
import { PhysicalMemory } from '../src/hw/phys-memory.ts';
import { flagNames, PTE_P, PTE_RW, PTE_US } from '../src/hw/pte.ts';
import { Builder32, FrameAllocator } from '../src/tools/builder.ts';

const marks = [PTE_P, PTE_P | PTE_RW, PTE_P | PTE_US, PTE_P | PTE_RW | PTE_US];
const memory = new PhysicalMemory(1 << 20);
const space = new Builder32(memory, new FrameAllocator(memory, 16));
marks.forEach((flags, i) => space.map(0x1000 * (i + 1), 0x5000, flags));
const mmu = new Mmu(memory);
mmu.writeCr3(space.cr3);
mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);

const cell = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof PageFault) return errorCodeNames(e.errorCode);
    throw e;
  }
};
console.log('PTE flags     CPL  read    write      fetch');
marks.forEach((flags, i) => {
  const va = 0x1000 * (i + 1);
  for (const cpl of [0, 3]) {
    mmu.setCpl(cpl);
    const row = [cell(() => mmu.read32(va)), cell(() => mmu.write32(va, 1)), cell(() => mmu.fetch32(va))];
    console.log(`${flagNames(flags).padEnd(12)}  ${cpl}    ${row[0]!.padEnd(6)}  ${row[1]!.padEnd(9)}  ${row[2]}`);
  }
});
