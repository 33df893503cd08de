import { describe, expect, test } from 'vitest';
import { PageFault, PF_ID, PF_P, PF_RSVD, PF_U, PF_W } from '../../src/hw/fault.ts';
import { CR4_SMAP, CR4_SMEP } from '../../src/hw/mmu.ts';
import { PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { claim } from '../support/claim.ts';
import { faultOf, machine32, machinePae } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW;
const PRWU = PTE_P | PTE_RW | PTE_US;

describe('rights', () => {
  claim('user-needs-us-every-level', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PRWU, PRW); // the PTE says user, the PDE says supervisor
    mmu.setCpl(3);
    expect(faultOf(() => mmu.read8(0x1000)).errorCode).toBe(PF_P | PF_U);
    mmu.setCpl(0);
    expect(mmu.read8(0x1000)).toBe(0);
  });

  claim('write-needs-rw-every-level', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PRWU, PTE_P | PTE_US); // read-only directory entry
    mmu.setCpl(3);
    expect(mmu.read8(0x1000)).toBe(0);
    expect(faultOf(() => mmu.write8(0x1000, 1)).errorCode).toBe(PF_P | PF_W | PF_U);
  });

  claim('wp-supervisor-write', () => {
    for (const wp of [false, true]) {
      const { space, mmu, memory } = machine32({ wp });
      space.map(0x1000, 0x7000, PTE_P);
      if (wp) expect(faultOf(() => mmu.write32(0x1000, 5)).errorCode).toBe(PF_P | PF_W);
      else {
        mmu.write32(0x1000, 5);
        expect(memory.read32(0x7000)).toBe(5);
      }
    }
  });

  claim('smep-smap', () => {
    const { space, mmu } = machine32({ cr4: CR4_SMEP | CR4_SMAP });
    space.map(0x1000, 0x7000, PRWU);
    expect(faultOf(() => mmu.fetch32(0x1000)).errorCode).toBe(PF_P | PF_ID);
    expect(faultOf(() => mmu.read32(0x1000)).errorCode).toBe(PF_P);
    mmu.setAc(true);
    expect(mmu.read32(0x1000)).toBe(0);
    // AC lifts SMAP only: the fetch still faults.
    expect(faultOf(() => mmu.fetch32(0x1000)).errorCode).toBe(PF_P | PF_ID);
    mmu.setCpl(3);
    expect(mmu.fetch32(0x1000)).toBe(0);
  });

  claim('xd-needs-nxe', () => {
    const build = (s: Parameters<Parameters<typeof machinePae>[0]>[0]) => { s.map(0x1000, 0x7000, PRW, true); };
    const withNxe = machinePae(build, { nxe: true });
    expect(withNxe.mmu.read32(0x1000)).toBe(0);
    expect(faultOf(() => withNxe.mmu.fetch32(0x1000)).errorCode).toBe(PF_P | PF_ID);
    const without = machinePae(build);
    // Without NXE, bit 63 is reserved: any access faults with RSVD.
    expect(faultOf(() => without.mmu.read32(0x1000)).errorCode).toBe(PF_P | PF_RSVD);
  });

  claim('error-code-bits', () => {
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PTE_P | PTE_US);
    mmu.setCpl(3);
    expect(faultOf(() => mmu.read8(0x5000)).errorCode).toBe(PF_U);
    expect(faultOf(() => mmu.write8(0x5000, 0)).errorCode).toBe(PF_W | PF_U);
    expect(faultOf(() => mmu.write8(0x1000, 0)).errorCode).toBe(PF_P | PF_W | PF_U);
    // Without NXE or SMEP a fetch reports no I/D bit: it looks like a read.
    expect(faultOf(() => mmu.fetch32(0x5000)).errorCode).toBe(PF_U);
  });

  claim('page-crossing-access', () => {
    const { space, mmu, memory } = machine32();
    space.map(0x1000, 0x7000, PRW);
    const f = faultOf(() => mmu.write32(0x1ffe, 0xaabb_ccdd));
    expect(f.address).toBe(0x2000);
    expect(memory.read16(0x7ffe)).toBe(0); // nothing was written
    space.map(0x2000, 0x9000, PRW);
    mmu.write32(0x1ffe, 0xaabb_ccdd);
    expect([memory.read16(0x7ffe), memory.read16(0x9000)]).toEqual([0xccdd, 0xaabb]);
    expect(mmu.read32(0x1ffe)).toBe(0xaabb_ccdd);
  });

  test('a PageFault names its error code in words', () => {
    expect(new PageFault(0x1000, PF_P | PF_W | PF_U).message).toBe('#PF at 0x1000, error code 0x7 (P|W|U)');
  });

  test('translate explains a denial', () => {
    const { space, mmu } = machine32({ wp: true });
    space.map(0x1000, 0x7000, PTE_P);
    expect(mmu.translate(0x1000, 'write').reason).toBe('supervisor write to a read-only page with CR0.WP=1');
  });
});
