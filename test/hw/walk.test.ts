import { describe, expect, test } from 'vitest';
import { PF_P } from '../../src/hw/fault.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { claim } from '../support/claim.ts';
import { faultOf, machine32 } from '../support/machine.ts';

describe('the two-level walk', () => {
  claim('walk32-translates', () => {
    const { space, mmu, memory } = machine32();
    space.map(0x0804_8000, 0x7000, PTE_P | PTE_RW | PTE_US);
    memory.write32(0x7abc, 0xfeed_beef);
    expect(mmu.read32(0x0804_8abc)).toBe(0xfeed_beef);
    expect(mmu.physical(0x0804_8abc, 0)).toBe(0x7abc);
    // A frame above 2 GiB: its address is read as unsigned, never negative.
    space.map(0x0805_0000, 0x9000_0000, PTE_P | PTE_RW | PTE_US);
    expect(mmu.physical(0x0805_0abc, 0)).toBe(0x9000_0abc);
    expect(mmu.translate(0x0805_0abc, 'read').paddr).toBe(0x9000_0abc);
  });

  claim('walk32-not-present', () => {
    const { space, mmu } = machine32();
    // PDE present, PTE not: and a PDE that is not present at all.
    space.map(0x0040_0000, 0x7000, 0);
    for (const va of [0x0040_0123, 0x0080_0456]) {
      const f = faultOf(() => mmu.read8(va));
      expect(f.errorCode & PF_P).toBe(0);
      expect(f.address).toBe(va);
      expect(mmu.cr2).toBe(va);
    }
  });

  claim('translate-dry-run', () => {
    const { space, mmu, memory } = machine32();
    space.map(0x1000, 0x7000, PTE_P | PTE_RW);
    const r = mmu.translate(0x1234, 'write');
    expect(r.ok).toBe(true);
    expect(r.paddr).toBe(0x7234);
    expect(r.steps.map((s) => s.level)).toEqual(['PDE', 'PTE']);
    // The report says what would change…
    expect(Number(r.steps[1]!.after) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(Number(r.steps[0]!.after) & PTE_A).toBe(PTE_A);
    // …but memory does not change, neither entry, nor the TLB, until asked.
    const pdeAt = space.pdeAddr(0x1000);
    const before = { pde: memory.read32(pdeAt), pte: space.pte(0x1000) };
    expect(before.pde & PTE_A).toBe(0);
    expect(before.pte & (PTE_A | PTE_D)).toBe(0);
    expect(mmu.tlb.entries()).toEqual([]);
    mmu.translate(0x1234, 'write', { apply: true });
    expect(memory.read32(pdeAt)).toBe((before.pde | PTE_A) >>> 0);
    expect(space.pte(0x1000)).toBe((before.pte | PTE_A | PTE_D) >>> 0);
    // The story's "after", entry by entry, is what the applied walk wrote.
    for (const s of r.steps) expect(memory.read32(s.entryAddr), s.level).toBe(Number(s.after & 0xffff_ffffn));
  });

  test('a page table entry beyond physical memory is a bus error, not a wrap', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7fff_f000, PTE_P | PTE_RW);
    expect(() => mmu.read32(0x1000)).toThrow(/outside physical memory/);
  });
});
