// Entries whose page number or frame do not fit the TLB's 32-bit rows are
// kept wide (full-width copies): every IA-32e entry, and under PAE a page at
// or above 2 GiB physical. A wide entry must still hit, with its own frame,
// and a page sharing its slot must not borrow that frame.
import { describe, expect, test } from 'vitest';
import { CR0_PE, CR0_PG, CR4_PAE, EFER_LME, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machinePae } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW;

/**
 * IA-32e paging with a 16-entry TLB: linear pages 1 and 0x11 (one slot) onto
 * frames 7 and 8, and the page at 4 GiB + 0x1000 (PDPT entry 4, the same page
 * table) onto frame 7 too.
 */
function ia32e() {
  const memory = new PhysicalMemory(1 << 20);
  const [pml4, pdpt, pd, pt] = [0x10000, 0x11000, 0x12000, 0x13000];
  memory.write32(pml4, pdpt | PRW);
  memory.write32(pdpt, pd | PRW);
  memory.write32(pdpt + 4 * 8, pd | PRW);
  memory.write32(pd, pt | PRW);
  memory.write32(pt + 0x01 * 8, 0x7000 | PRW);
  memory.write32(pt + 0x11 * 8, 0x8000 | PRW);
  const mmu = new Mmu(memory, { tlbSize: 16 });
  mmu.writeEfer(EFER_LME);
  mmu.writeCr4(CR4_PAE);
  mmu.writeCr3(pml4);
  mmu.writeCr0(CR0_PE | CR0_PG);
  return mmu;
}

describe('wide TLB entries', () => {
  test('under IA-32e a second access to a page hits: one walk', () => {
    const mmu = ia32e();
    expect(mmu.physical(0x1234, READ)).toBe(0x7234);
    expect(mmu.physical(0x1238, READ)).toBe(0x7238);
    expect(mmu.tlb.misses).toBe(1);
  });

  test('under IA-32e a page above 4 GiB linear hits too: its number is wider than a row\'s key', () => {
    const mmu = ia32e();
    expect(mmu.physical(2 ** 32 + 0x1234, READ)).toBe(0x7234);
    expect(mmu.physical(2 ** 32 + 0x1238, READ)).toBe(0x7238);
    expect(mmu.tlb.misses).toBe(1);
  });

  test('under IA-32e two pages of one slot each get their own frame', () => {
    const mmu = ia32e();
    expect(mmu.physical(0x1000, READ)).toBe(0x7000);
    expect(mmu.physical(0x11000, READ)).toBe(0x8000);
    expect(mmu.physical(0x1000, READ)).toBe(0x7000);
    expect(mmu.tlb.misses).toBe(3);
  });

  test('under PAE a page at exactly 2 GiB physical hits with its own address', () => {
    const { mmu } = machinePae((s) => s.map(0x5000, 0x8000_0000, PRW));
    expect(mmu.physical(0x5010, READ)).toBe(0x8000_0010);
    expect(mmu.physical(0x5020, READ)).toBe(0x8000_0020);
    expect(mmu.tlb.misses).toBe(1);
  });
});
