// WRMSR to EFER (SDM 2.2.1, 4.1.1, 4.10.4.1): LME may not change while paging
// is on (#GP, with a reason a reader can act on); changing NXE changes what
// the XD bit means, so the TLB must forget what it cached under the old
// meaning; a write that leaves NXE alone keeps the TLB.
import { describe, expect, test } from 'vitest';
import { GeneralProtectionFault, PF_P, PF_RSVD } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR4_PAE, EFER_LMA, EFER_LME, EFER_NXE, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { machine32, machinePae, thrownBy } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;

const gpOf = (fn: () => void): GeneralProtectionFault => thrownBy(GeneralProtectionFault, fn);

describe('EFER writes', () => {
  test('setting LME while paging is on is #GP, says why, and changes nothing', () => {
    const { mmu } = machine32();
    expect(gpOf(() => mmu.writeEfer(EFER_LME)).reason).toMatch(/cannot change EFER\.LME while paging/);
    expect(mmu.efer).toBe(0);
    expect(mmu.mode).toBe('32bit');
  });

  test('clearing LME in IA-32e mode is #GP too', () => {
    const mmu = new Mmu(new PhysicalMemory(1 << 20));
    mmu.writeEfer(EFER_LME);
    mmu.writeCr4(CR4_PAE);
    mmu.writeCr3(0x10000);
    mmu.writeCr0(CR0_PE | CR0_PG);
    expect(gpOf(() => mmu.writeEfer(0)).reason).toMatch(/EFER\.LME/);
    expect(mmu.efer).toBe(EFER_LME | EFER_LMA);
  });

  test('clearing NXE makes a cached execute-disabled page fault with RSVD on its next use', () => {
    const { mmu } = machinePae((s) => s.map(0x1000, 0x7000, PRW, true), { nxe: true });
    expect(mmu.physical(0x1234, READ)).toBe(0x7234);
    expect(mmu.physical(0x1234, READ)).toBe(0x7234); // a TLB hit now
    mmu.writeEfer(0);
    // Without NXE, bit 63 is reserved: the walk the TLB no longer spares finds it.
    expect(mmu.physical(0x1234, READ)).toBe(-1);
    expect(mmu.lastErrorCode).toBe(PF_P | PF_RSVD);
  });

  test('an EFER write that leaves NXE as it was keeps the TLB', () => {
    const { mmu } = machinePae((s) => s.map(0x1000, 0x7000, PRW, true), { nxe: true });
    mmu.physical(0x1234, READ);
    mmu.writeEfer(EFER_NXE);
    expect(mmu.tlb.entries().map((e) => e.vpn)).toEqual([1]);
  });
});
