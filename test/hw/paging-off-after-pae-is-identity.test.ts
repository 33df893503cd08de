// Clearing CR0.PG makes every linear address its own physical address again,
// whatever the PDPTE registers and the tables in memory still say: no fast
// miss path of the mode just left may translate it.
import { describe, expect, test } from 'vitest';
import { CR0_PE } from '../../src/hw/mmu.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machinePae } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;

describe('paging off after PAE', () => {
  test('linear = physical, though the PDPTEs and tables still map the page', () => {
    const { mmu, memory, space } = machinePae((s) => s.map(0x1000, 0x7000, PRW));
    expect(mmu.physical(0x1234, READ)).toBe(0x7234);
    memory.write32(space.pdeAddr(0x1000), memory.read32(space.pdeAddr(0x1000)) | PTE_A);
    mmu.writeCr0(CR0_PE);
    expect(mmu.mode).toBe('off');
    expect(mmu.physical(0x1234, READ)).toBe(0x1234);
  });
});
