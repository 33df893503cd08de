// `mmu.access(kind, vaddr, value)` is the tools' way in: a write writes the
// value and returns it, a read reads, and a fetch obeys execute rights where
// a read does not (an execute-disabled page under PAE with NXE).
import { describe, expect, test } from 'vitest';
import { PF_ID, PF_P } from '../../src/hw/fault.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { faultOf, machinePae } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;

describe('access by name', () => {
  test('write, read and fetch each do their own kind of access', () => {
    const { mmu, memory } = machinePae((s) => {
      s.map(0x1000, 0x7000, PRW);
      s.map(0x2000, 0x8000, PRW, true); // execute-disabled
    }, { nxe: true });
    expect(mmu.access('write', 0x1010, 0xcafe_f00d)).toBe(0xcafe_f00d);
    expect(memory.read32(0x7010)).toBe(0xcafe_f00d);
    expect(mmu.access('read', 0x1010)).toBe(0xcafe_f00d);
    expect(mmu.access('fetch', 0x1010)).toBe(0xcafe_f00d);
    memory.write32(0x8020, 0x1234_5678);
    expect(mmu.access('read', 0x2020)).toBe(0x1234_5678);
    expect(memory.read32(0x8020)).toBe(0x1234_5678); // a read wrote nothing
    expect(faultOf(() => mmu.access('fetch', 0x2020)).errorCode).toBe(PF_P | PF_ID);
  });
});
