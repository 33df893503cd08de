import { describe, expect } from 'vitest';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { claim } from '../support/claim.ts';
import { faultOf, machine32 } from '../support/machine.ts';
import { access, machineIn, MODES } from '../support/modes.ts';
import { WRITE } from '../../src/hw/rights.ts';

const AD = PTE_A | PTE_D;

describe('Accessed and Dirty', () => {
  claim('accessed-on-read', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PTE_P | PTE_RW);
    mmu.read8(0x1000);
    expect(space.pde(0x1000) & AD).toBe(PTE_A);
    expect(space.pte(0x1000) & AD).toBe(PTE_A);
  });

  claim('dirty-only-in-leaf', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PTE_P | PTE_RW);
    mmu.write8(0x1000, 1);
    expect(space.pde(0x1000) & AD).toBe(PTE_A);
    expect(space.pte(0x1000) & AD).toBe(AD);
    // In every mode, on the common-case miss path and the full walk: Accessed all the way down, Dirty in the leaf alone.
    for (const mode of MODES) {
      for (const fastMisses of [true, false]) {
        const m = machineIn(mode, { fastMisses, build: (b) => { b.map(0x1000, 0x7000, PTE_P | PTE_RW); } });
        expect(access(m.mmu, 0x1000, WRITE)).toEqual({ paddr: 0x7000 });
        const where = `${mode}, fast misses ${fastMisses ? 'on' : 'off'}`;
        // (A PAE PDPTE has neither bit: the processor never writes one.)
        for (let depth = mode === 'pae' ? 1 : 0; depth < m.levels - 1; depth++) expect(m.memory.read32(m.entryAddr(0x1000, depth)) & AD, `${where}, level ${depth}`).toBe(PTE_A);
        expect(m.memory.read32(m.entryAddr(0x1000, m.levels - 1)) & AD, where).toBe(AD);
      }
    }
  });

  claim('rights-fault-accessed-upper-only', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PTE_P | PTE_RW); // supervisor page
    mmu.setCpl(3);
    faultOf(() => mmu.read8(0x1000));
    expect(space.pde(0x1000) & PTE_A).toBe(PTE_A);
    expect(space.pte(0x1000) & AD).toBe(0);
    // And a not-present leaf: the directory entry was used, so it is Accessed.
    space.map(0x0040_0000, 0x8000, 0);
    faultOf(() => mmu.read8(0x0040_0000));
    expect(space.pde(0x0040_0000) & PTE_A).toBe(PTE_A);
  });

  claim('write-after-read-sets-dirty', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PTE_P | PTE_RW | PTE_US);
    mmu.read8(0x1000); // the TLB now holds a clean entry
    expect(space.pte(0x1000) & PTE_D).toBe(0);
    const misses = mmu.tlb.misses;
    mmu.read8(0x1002);
    expect(mmu.tlb.misses).toBe(misses); // a read hits it
    mmu.write8(0x1000, 1);
    expect(mmu.tlb.misses).toBe(misses + 1); // the write walked again…
    expect(space.pte(0x1000) & PTE_D).toBe(PTE_D); // …and set Dirty
    mmu.write8(0x1001, 2);
    expect(mmu.tlb.misses).toBe(misses + 1); // now the entry is dirty, writes hit
  });

  claim('clearing-dirty-needs-flush', () => {
    const { space, mmu, memory } = machine32();
    const pteAt = space.map(0x1000, 0x7000, PTE_P | PTE_RW | PTE_US);
    mmu.write8(0x1000, 1); // cached dirty
    // Writeback is done: the kernel clears Dirty, and forgets to flush.
    memory.write32(pteAt, memory.read32(pteAt) & ~PTE_D);
    mmu.write8(0x1002, 3);
    expect(space.pte(0x1000) & PTE_D).toBe(0); // the write went through the TLB, unrecorded
    mmu.invlpg(0x1000);
    mmu.write8(0x1003, 4);
    expect(space.pte(0x1000) & PTE_D).toBe(PTE_D);
  });
});
