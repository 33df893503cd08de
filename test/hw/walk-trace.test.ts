import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CR0_PE, CR0_PG, CR4_PAE, EFER_LME, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machine32, machinePae } from '../support/machine.ts';
import { runs } from '../support/budget.ts';

const PRW = PTE_P | PTE_RW;

/**
 * Every byte of memory, to show a dry run changed none. One buffer serves
 * every snapshot: a fresh megabyte per property run made the engine collect
 * garbage constantly, and the property took seconds.
 */
const copy = new Uint8Array(1 << 20);
const snapshot = (memory: PhysicalMemory) => {
  if (memory.size !== copy.length) throw new Error('snapshot: these tests use 1 MiB machines');
  copy.set(memory.bytes);
  return copy;
};
/** Whether memory holds just what `before` does. */
const unchanged = (memory: PhysicalMemory, before: Uint8Array) => Buffer.compare(memory.bytes, before) === 0;

describe('translate watches the walk through a recorder', () => {
  test('under PAE it reports the PDPTE register, then the two entries read from memory', () => {
    const { mmu, memory, space } = machinePae((s) => s.map(0x4020_3000, 0x9000, PRW | PTE_US));
    const before = snapshot(memory);
    const r = mmu.translate(0x4020_3abc, 'write');
    expect(r.paddr).toBe(0x9abc);
    expect(r.steps.map((s) => [s.level, s.index, s.size])).toEqual([['PDPTE', 1, 8], ['PDE', 1, 8], ['PTE', 3, 8]]);
    expect(r.steps[0]!.entryAddr).toBe(space.cr3 + 8);
    expect(Number(r.steps[1]!.after & BigInt(PTE_A))).toBe(PTE_A);
    expect(Number(r.steps[2]!.after & BigInt(PTE_A | PTE_D))).toBe(PTE_A | PTE_D);
    expect(unchanged(memory, before)).toBe(true);
  });

  test('under IA-32e it reports all four levels, each entry eight bytes with its high word', () => {
    const memory = new PhysicalMemory(1 << 20);
    const pml4 = 0x10000, pdpt = 0x11000;
    memory.write32(pml4 + 511 * 8, pdpt | PRW);
    memory.write32(pdpt + 510 * 8, 0x4000_0000 | PRW | PTE_PS);
    memory.write32(pdpt + 510 * 8 + 4, 0x12); // physical-address bits 36 and 33
    const mmu = new Mmu(memory);
    mmu.writeEfer(EFER_LME);
    mmu.writeCr4(CR4_PAE);
    mmu.writeCr3(pml4);
    mmu.writeCr0(CR0_PE | CR0_PG);
    const r = mmu.translate(-(2 ** 31) + 0x12_3456, 'read');
    expect(r.steps.map((s) => s.level)).toEqual(['PML4E', 'PDPTE']);
    expect(r.steps[1]!.before).toBe((0x12n << 32n) | BigInt(0x4000_0000 | PRW | PTE_PS));
    expect(r.paddr).toBe(0x12_4012_3456);
  });

  test('a dry run reads back the bits it would have set, as memory would have given them', () => {
    // A page directory that maps itself: its last entry names the directory,
    // so 0xffc0_0000 up is a window onto the page tables (the "recursive" trick).
    const { mmu, memory, space } = machine32();
    memory.write32(space.pdeAddr(0xffc0_0000), space.cr3 | PRW);
    const before = snapshot(memory);
    // The directory's last entry is read twice: as the PDE, then as the PTE.
    const dry = mmu.translate(0xffff_f000, 'read');
    expect(dry.steps.map((s) => s.entryAddr)).toEqual([space.cr3 + 4092, space.cr3 + 4092]);
    expect(Number(dry.steps[1]!.before) & PTE_A).toBe(PTE_A); // set a moment ago, as the PDE
    expect(unchanged(memory, before)).toBe(true);
    const applied = mmu.translate(0xffff_f000, 'read', { apply: true });
    expect(applied).toEqual(dry);
  });

  test('property: a dry run changes nothing, and reports what the applied walk then does', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ page: fc.integer({ min: 0, max: 63 }), flags: fc.integer({ min: 0, max: 0x7f }) }), { minLength: 1, maxLength: 24 }),
      fc.integer({ min: 0, max: 63 }), fc.constantFrom('read', 'write', 'fetch'), fc.integer({ min: 0, max: 3 }),
      (maps, page, access, cpl) => {
        const { mmu, memory, space } = machine32({ wp: true });
        for (const m of maps) space.map(0x0040_0000 * (m.page % 4) + (m.page << 12), 0x2_0000 + (m.page << 12), m.flags);
        mmu.setCpl(cpl);
        const va = 0x0040_0000 * (page % 4) + (page << 12) + 0x123;
        const before = snapshot(memory);
        const dry = mmu.translate(va, access);
        expect(unchanged(memory, before)).toBe(true);
        const applied = mmu.translate(va, access, { apply: true });
        expect(applied).toEqual(dry);
        // What the applied walk wrote is what the dry run said it would.
        for (const s of dry.steps) expect(memory.read32(s.entryAddr)).toBe(Number(s.after));
        // And the MMU, walking for real on a cold TLB, agrees.
        mmu.tlb.flushAll();
        const paddr = mmu.physical(va, access === 'read' ? READ : access === 'write' ? 1 : 2);
        expect(paddr === -1 ? null : paddr).toBe(dry.paddr);
      },
    ), { numRuns: runs(300) });
  });
});
