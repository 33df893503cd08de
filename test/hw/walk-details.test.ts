/*
 * Details of the walks that no claim spells out but a reader (or translate's
 * explanation) can see: which level a walk stopped at, rights on large pages,
 * and the high physical-address bits of a PSE-36 page.
 */
import { describe, expect, test } from 'vitest';
import { GeneralProtectionFault, PF_P, PF_RSVD, PF_U, PF_W } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR4_PSE, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ, WRITE } from '../../src/hw/rights.ts';
import { canonicalToUnsigned } from '../../src/hw/walk-ia32e.ts';
import { Builder32, FrameAllocator } from '../../src/tools/builder.ts';
import { faultOf, machine32 } from '../support/machine.ts';
import { machineIn, type Mode } from '../support/modes.ts';

const PRW = PTE_P | PTE_RW;
const PRWU = PTE_P | PTE_RW | PTE_US;

describe('where a walk stops, in words', () => {
  // The level each mode's walk reads first from memory, and the one below it.
  const cases: [Mode, string[]][] = [['32bit', ['PDE', 'PTE']], ['pae', ['PDE', 'PTE']], ['ia32e', ['PML4E', 'PDPTE', 'PDE', 'PTE']]];
  for (const [mode, levels] of cases) {
    test(`${mode}: translate names the level that was not present, and the one with a reserved bit`, () => {
      const m = machineIn(mode);
      m.map(0x0040_1000, 0x7000, PRWU);
      // Not present at each level in turn: clear the entry at that depth for a fresh address.
      for (const [i, level] of levels.entries()) {
        const depth = m.levels - levels.length + i;
        const va = 0x0040_1000 + (i + 1) * 0x1000 * (mode === '32bit' ? 1024 : 512) ** (levels.length - 1 - i);
        m.map(va, 0x7000, PRWU);
        m.setEntry(va, depth, 0);
        m.mmu.tlb.flushAll();
        expect(m.mmu.translate(va, 'read').reason).toBe(`${level} not present`);
      }
      if (mode === 'pae') {
        // Under PAE the top level is a register: a PDPTE not present when CR3 was loaded.
        const bare = machineIn('pae');
        bare.memory.write32(bare.root + 3 * 8, 0);
        bare.mmu.writeCr3(bare.root);
        expect(bare.mmu.translate(0xc000_0000, 'read').reason).toBe('PDPTE not present');
      }
      // A reserved bit in the leaf: bit 21 of a 4 MiB PDE, or bit 51 of an eight-byte PTE.
      if (mode === '32bit') {
        const r = machineIn('32bit', { cr4: CR4_PSE });
        r.mapLarge(0x0080_0000, 0, 0x0080_0000, PRW | (1 << 21));
        expect(r.mmu.translate(0x0080_0000, 'read').reason).toBe('reserved bit set in PDE');
      } else {
        m.map(0x0040_1000, 0x7000, PRWU, 1 << 19);
        m.mmu.tlb.flushAll();
        expect(m.mmu.translate(0x0040_1000, 'read').reason).toBe('reserved bit set in PTE');
      }
    });
  }
});

describe('reserved bits of large pages and PDPTEs', () => {
  test('a large page must have zeroes below its frame: bits 20:13 of a 2 MiB PDE, 29:13 of a 1 GiB PDPTE; a PML4E may not be large', () => {
    for (const mode of ['pae', 'ia32e'] as const) {
      const m = machineIn(mode);
      m.mapLarge(0x0040_0000, m.levels - 2, 0x0060_0000, PRW | (1 << 13));
      expect(m.mmu.physical(0x0040_0000, READ), mode).toBe(-1);
      expect(m.mmu.lastErrorCode).toBe(PF_P | PF_RSVD);
      expect(m.mmu.translate(0x0040_0000, 'read').reason).toBe('reserved bit set in PDE');
      m.mapLarge(0x0040_0000, m.levels - 2, 0x0060_0000, PRW | (1 << 12)); // bit 12 is PAT: allowed
      expect(m.mmu.physical(0x0040_0000, READ), mode).toBe(0x0060_0000);
    }
    const m = machineIn('ia32e');
    m.mapLarge(0x4000_0000, 1, 0x4000_0000, PRW | (1 << 20));
    expect(m.mmu.translate(0x4000_0000, 'read').reason).toBe('reserved bit set in PDPTE');
    m.mapLarge(0x4000_0000, 1, 0x4000_0000, PRW | (1 << 12));
    expect(m.mmu.physical(0x4000_1234, READ)).toBe(0x4000_1234);
    m.mapLarge(2 ** 40, 0, 0, PRW);
    expect(m.mmu.translate(2 ** 40, 'read').reason).toBe('reserved bit set in PML4E');
  });

  test('CR3 refuses a PAE PDPT with a reserved bit, and says which entry and where', () => {
    const m = machineIn('pae');
    m.memory.write32(m.root + 8, m.memory.read32(m.root + 8) | PTE_RW);
    expect(() => m.mmu.writeCr3(m.root)).toThrow(`#GP(0): PDPTE 1 at 0x${(m.root + 8).toString(16)} has reserved bits set`);
  });
});

describe('IA-32e linear addresses', () => {
  test('a canonical address is a signed 48-bit integer; its unsigned form counts up from 0', () => {
    expect(canonicalToUnsigned(0)).toBe(0);
    expect(canonicalToUnsigned(2 ** 47 - 1)).toBe(2 ** 47 - 1);
    expect(canonicalToUnsigned(-1)).toBe(2 ** 48 - 1);
    expect(canonicalToUnsigned(-(2 ** 47))).toBe(2 ** 47);
    for (const bad of [2 ** 47, -(2 ** 47) - 1, -(2 ** 47) - 4096, 1.5, Number.NaN]) {
      expect(() => canonicalToUnsigned(bad), String(bad)).toThrow(GeneralProtectionFault);
    }
  });
});

describe('4 MiB pages', () => {
  test('their rights are checked like any other page: U/S and R/W of the PDE, CR0.WP for the supervisor', () => {
    const { space, mmu } = machine32({ cr4: CR4_PSE, wp: true });
    space.map4M(0x0040_0000, 0x0080_0000, PRW); // supervisor, writable
    space.map4M(0x0080_0000, 0x00c0_0000, PTE_P | PTE_US); // user, read-only
    const outcome = (va: number, kind: typeof READ | typeof WRITE) => (mmu.physical(va, kind) >= 0 ? 'ok' : mmu.lastErrorCode);
    mmu.setCpl(3);
    expect(outcome(0x0040_1000, READ)).toBe(PF_P | PF_U);
    expect(outcome(0x0080_1000, READ)).toBe('ok');
    expect(outcome(0x0080_1000, WRITE)).toBe(PF_P | PF_W | PF_U);
    mmu.setCpl(0);
    expect(outcome(0x0080_1000, WRITE)).toBe(PF_P | PF_W);
    expect(outcome(0x0040_1000, WRITE)).toBe('ok');
    expect(mmu.translate(0x0080_1000, 'write').reason).toBe('supervisor write to a read-only page with CR0.WP=1');
  });

  test('PSE-36: PDE bits 20:13 are physical-address bits 39:32', () => {
    const { space, mmu, memory } = machine32({ cr4: CR4_PSE });
    const at = space.map4M(0x0040_0000, 0x0080_0000, PRW);
    memory.write32(at, memory.read32(at) | (0x81 << 13)); // bits 39 and 32
    expect(mmu.physical(0x0052_3456, READ)).toBe(0x81_0092_3456);
    expect(mmu.physical(0x0052_3456, WRITE)).toBe(0x81_0092_3456);
  });

  test('PSE-36 bits at or above MAXPHYADDR are reserved', () => {
    const memory = new PhysicalMemory(1 << 20);
    const space = new Builder32(memory, new FrameAllocator(memory, 16));
    const mmu = new Mmu(memory, { maxPhysAddr: 36 });
    mmu.writeCr4(CR4_PSE);
    mmu.writeCr3(space.cr3);
    mmu.writeCr0(CR0_PE | CR0_PG);
    const at = space.map4M(0x0040_0000, 0x0080_0000, PRW | (1 << 16)); // physical-address bit 35: below 36
    expect(mmu.physical(0x0040_0000, READ)).toBe(0x8_0080_0000);
    memory.write32(at, memory.read32(at) | (1 << 17)); // bit 36: reserved on this machine
    mmu.invlpg(0x0040_0000);
    expect(faultOf(() => mmu.read8(0x0040_0000)).errorCode).toBe(PF_P | PF_RSVD);
  });
});
