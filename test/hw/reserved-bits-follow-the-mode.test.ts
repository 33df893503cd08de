// Which entry bits are reserved depends on the paging mode (SDM 4.4.2, 4.5.4,
// 4.3): under PAE every bit from MAXPHYADDR to 62 is reserved; under IA-32e
// only those from MAXPHYADDR to 51, bits 62:52 being free for software; and a
// 32-bit 4 MiB page's bits 20:13 carry physical-address bits 39:32 (PSE-36),
// reserved from MAXPHYADDR up, bit 20 (address bit 39) included.
import { describe, expect, test } from 'vitest';
import { PF_P, PF_RSVD } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR4_PAE, CR4_PSE, EFER_LME, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machinePae } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;
const BIT52 = 1 << 20; // of an entry's high word

describe('reserved bits by mode', () => {
  test('PAE: bit 52 of a page-table entry is reserved', () => {
    const { mmu, memory, space } = machinePae((s) => s.map(0x1000, 0x7000, PRW));
    memory.write32(space.pteAddr(0x1000) + 4, BIT52);
    expect(mmu.physical(0x1234, READ)).toBe(-1);
    expect(mmu.lastErrorCode).toBe(PF_P | PF_RSVD);
  });

  test('IA-32e: bits 52 to 62 of an entry are free for software', () => {
    const memory = new PhysicalMemory(1 << 20);
    const pml4 = 0x10000, pdpt = 0x11000;
    memory.write32(pml4, pdpt | PRW);
    memory.write32(pml4 + 4, BIT52 | (1 << 30)); // bits 52 and 62
    memory.write32(pdpt, 0x4000_0000 | PRW | PTE_PS); // a 1 GiB page at 1 GiB
    memory.write32(pdpt + 4, BIT52 | (1 << 30));
    const mmu = new Mmu(memory);
    mmu.writeEfer(EFER_LME);
    mmu.writeCr4(CR4_PAE);
    mmu.writeCr3(pml4);
    mmu.writeCr0(CR0_PE | CR0_PG);
    expect(mmu.physical(0x1234, READ)).toBe(0x4000_1234);
  });

  test('32-bit PSE-36: with MAXPHYADDR 39, PDE bit 20 (address bit 39) is reserved', () => {
    const memory = new PhysicalMemory(1 << 20);
    const pd = 0x10000;
    memory.write32(pd + 4, (0x0040_0000 | PRW | PTE_PS | (1 << 20)) >>> 0);
    memory.write32(pd + 8, (0x0040_0000 | PRW | PTE_PS | (1 << 19)) >>> 0); // address bit 38: a real frame bit
    const mmu = new Mmu(memory, { maxPhysAddr: 39 });
    mmu.writeCr4(CR4_PSE);
    mmu.writeCr3(pd);
    mmu.writeCr0(CR0_PE | CR0_PG);
    expect(mmu.physical(0x0040_1234, READ)).toBe(-1);
    expect(mmu.lastErrorCode).toBe(PF_P | PF_RSVD);
    expect(mmu.physical(0x0080_1234, READ)).toBe(2 ** 38 + 0x0040_1234);
  });
});
