// Under PAE paging the four PDPTEs live in registers, loaded from memory only
// at the moments SDM 4.4.1 names: MOV to CR3; MOV to CR0 that changes PG, CD
// or NW, and MOV to CR4 that changes PAE, PGE, PSE or SMEP, when PAE paging is
// in use afterwards. A CR0 write that only flips WP loads nothing, so an
// edit of the PDPT in memory stays unseen until CR3 is written again; and
// setting CR4.PAE with paging already on starts PAE paging from the table
// CR3 names, with its PDPTEs loaded then and there.
import { describe, expect, test } from 'vitest';
import { CR0_CD, CR0_NW, CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, CR4_SMEP, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { GeneralProtectionFault } from '../../src/hw/fault.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_XD_HI } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { BuilderPae, FrameAllocator } from '../../src/tools/builder.ts';
import { machinePae, thrownBy } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;

describe('when the PDPTE registers are loaded', () => {
  test('bit 63 of a PDPTE is reserved even with EFER.NXE=1 (a PDPTE has no XD bit): the CR3 load is #GP', () => {
    for (const nxe of [false, true]) {
      const { memory, space, mmu } = machinePae((s) => s.map(0x1000, 0x7000, PRW), { nxe });
      const was = [Array.from(mmu.pdpteLo), Array.from(mmu.pdpteHi)];
      memory.write32(space.cr3 + 4, PTE_XD_HI);
      expect(thrownBy(GeneralProtectionFault, () => mmu.writeCr3(space.cr3)).reason).toMatch(/^PDPTE 0 at .* has reserved bits set$/);
      expect([Array.from(mmu.pdpteLo), Array.from(mmu.pdpteHi)]).toEqual(was);
      // Below it, MAXPHYADDR's bits 62:40 are reserved too; bits 39:32 are address bits.
      memory.write32(space.cr3 + 4, 1 << 30);
      expect(() => mmu.writeCr3(space.cr3)).toThrow(GeneralProtectionFault);
      memory.write32(space.cr3 + 4, 0xff);
      mmu.writeCr3(space.cr3);
      expect(mmu.pdpteHi[0]).toBe(0xff);
    }
  });

  test('a CR0 write that only changes WP keeps the PDPTEs loaded at the last CR3 write', () => {
    const { memory, space, mmu } = machinePae((s) => s.map(0x1000, 0x7000, PRW));
    const was = Array.from(mmu.pdpteLo);
    expect(was[0]! & PTE_P).toBe(PTE_P);
    // The Guest removes the first gigabyte from its PDPT in memory, then writes CR0.
    memory.write32(space.cr3, 0);
    mmu.writeCr0(CR0_PE | CR0_PG);
    mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
    expect(Array.from(mmu.pdpteLo)).toEqual(was);
    expect(mmu.physical(0x1234, READ)).toBe(0x7234);
    // Only MOV to CR3 reads the table again.
    mmu.writeCr3(space.cr3);
    expect(mmu.pdpteLo[0]).toBe(0);
    expect(mmu.physical(0x1234, READ)).toBe(-1);
  });

  test('setting CR4.PAE with paging on loads the PDPTEs from where CR3 points', () => {
    const memory = new PhysicalMemory(1 << 20);
    const space = new BuilderPae(memory, new FrameAllocator(memory, 16));
    space.map(0x1000, 0x7000, PRW);
    const mmu = new Mmu(memory);
    // 32-bit paging first, with CR3 already naming the PAE table (its words read as empty PDEs).
    mmu.writeCr3(space.cr3);
    mmu.writeCr0(CR0_PE | CR0_PG);
    expect(mmu.mode).toBe('32bit');
    expect(Array.from(mmu.pdpteLo)).toEqual([0, 0, 0, 0]);
    mmu.writeCr4(CR4_PAE);
    expect(mmu.mode).toBe('pae');
    expect(mmu.pdpteLo[0]).toBe(memory.read32(space.cr3));
    expect(mmu.physical(0x1234, READ)).toBe(0x7234);
  });

  const noPrepare = (_: Mmu) => {};
  test.each([
    ['CR4.PGE', (m: Mmu) => m.writeCr4(CR4_PAE | CR4_PGE), noPrepare],
    ['CR4.PSE', (m: Mmu) => m.writeCr4(CR4_PAE | CR4_PSE), noPrepare],
    ['CR4.SMEP', (m: Mmu) => m.writeCr4(CR4_PAE | CR4_SMEP), noPrepare],
    ['CR0.CD', (m: Mmu) => m.writeCr0(CR0_PE | CR0_PG | CR0_CD), noPrepare],
    // NW=1 needs CD=1 (NW without CD is #GP), so CD is set first, while the PDPTEs in memory are still whole.
    ['CR0.NW', (m: Mmu) => m.writeCr0(CR0_PE | CR0_PG | CR0_CD | CR0_NW), (m: Mmu) => m.writeCr0(CR0_PE | CR0_PG | CR0_CD)],
  ])('changing %s with PAE paging on reloads the PDPTEs from memory', (_, write, prepare) => {
    const { memory, space, mmu } = machinePae((s) => { s.map(0x1000, 0x7000, PRW); s.map(0x2000, 0x8000, PRW); });
    prepare(mmu);
    expect(mmu.physical(0x1234, READ)).toBe(0x7234);
    memory.write32(space.cr3, 0);
    write(mmu);
    expect(mmu.pdpteLo[0]).toBe(0);
    // A page the TLB never held is walked from the new PDPTE. (CD and NW flush nothing, so the
    // page already cached may still be used: the SDM lets a TLB keep it.)
    expect(mmu.physical(0x2234, READ)).toBe(-1);
  });

  test('a CR4 write that changes none of those four keeps the PDPTEs, and so does one that changes nothing', () => {
    const { memory, space, mmu } = machinePae((s) => s.map(0x1000, 0x7000, PRW));
    const was = Array.from(mmu.pdpteLo);
    memory.write32(space.cr3, 0);
    mmu.writeCr4(mmu.cr4);
    mmu.writeCr0(mmu.cr0);
    expect(Array.from(mmu.pdpteLo)).toEqual(was);
    expect(mmu.physical(0x1234, READ)).toBe(0x7234);
  });
});
