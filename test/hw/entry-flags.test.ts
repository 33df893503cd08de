/*
 * The flags are not the same at every level: what a bit means depends on the
 * level and the paging mode (chapter 1's table). These tests walk entries
 * with the bits that differ set, and watch what the MMU makes of them.
 */
import { describe, expect } from 'vitest';
import { GeneralProtectionFault } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR4_PAE, CR4_PGE, CR4_PSE, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { Builder32, BuilderPae, FrameAllocator } from '../../src/tools/builder.ts';
import { claim } from '../support/claim.ts';

describe('flags by level and mode', () => {
  claim('flags-by-level', () => {
    // 32-bit paging: bit 7 of a PTE is PAT, not a size; D and G in a directory entry change nothing
    // (on the common-case miss path and the full walk alike).
    for (const fastMisses of [true, false]) {
      const memory = new PhysicalMemory(1 << 20);
      const space = new Builder32(memory, new FrameAllocator(memory, 16));
      const pte = space.map(0x40_1000, 0x5000, PTE_P | PTE_RW | PTE_PS);
      const pdeAt = space.cr3 + (0x40_1000 >>> 22) * 4;
      memory.write32(pdeAt, memory.read32(pdeAt) | PTE_D | PTE_G);
      memory.write32(0x5004, 0x1234);
      const mmu = new Mmu(memory, { fastMisses });
      // With PSE on, where bit 7 of a directory entry would mean a large page: in a PTE it still does not.
      mmu.writeCr4(CR4_PGE | CR4_PSE);
      mmu.writeCr3(space.cr3);
      mmu.writeCr0(CR0_PE | CR0_PG);
      const r = mmu.translate(0x40_1004, 'write', { apply: true });
      expect(r.ok).toBe(true);
      expect(r.pageSize).toBe(4096);
      expect(r.paddr).toBe(0x5004);
      expect(memory.read32(pte) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
      // The directory entry's G did not make the page Global: a CR3 load forgets it.
      mmu.read32(0x40_1004);
      mmu.writeCr3(space.cr3);
      expect(mmu.tlb.entries().length).toBe(0);
    }

    // PAE: a PDPT entry has no rights, no Accessed and no Dirty; those bits are reserved, and
    // loading CR3 with one of them set is a general-protection fault.
    for (const bit of [PTE_RW, PTE_US, PTE_A, PTE_D]) {
      const m2 = new PhysicalMemory(1 << 20);
      const pae = new BuilderPae(m2, new FrameAllocator(m2, 16));
      pae.map(0x1000, 0x5000, PTE_P | PTE_RW);
      const mmu2 = new Mmu(m2);
      mmu2.writeCr4(CR4_PAE);
      mmu2.writeCr3(pae.cr3);
      mmu2.writeCr0(CR0_PE | CR0_PG);
      m2.write32(pae.cr3, m2.read32(pae.cr3) | bit);
      expect(() => mmu2.writeCr3(pae.cr3)).toThrow(GeneralProtectionFault);
      // Only a present entry is checked: a PDPTE with P clear may hold anything in its other bits.
      m2.write32(pae.cr3 + 8, PTE_RW | PTE_US | PTE_A | PTE_D | 0x7000);
      m2.write32(pae.cr3, m2.read32(pae.cr3) & ~bit);
      mmu2.writeCr3(pae.cr3);
      expect(mmu2.pdpteLo[1]).toBe(PTE_RW | PTE_US | PTE_A | PTE_D | 0x7000);
    }
  });
});
