// What the processor refuses outright, with #GP rather than a page fault or
// a silent "yes": control-register values the SDM calls invalid or reserved
// (MOV to CR0/CR3/CR4, WRMSR to EFER), and a word that runs past the 4 GiB
// segment limit outside IA-32e mode (where SDM 5.3 lets a processor fault
// or wrap; this model always faults). Each refusal changes nothing.
// INVLPG of a non-canonical address is the exception: a NOP, not a #GP.
import { describe, expect, test } from 'vitest';
import { GeneralProtectionFault } from '../../src/hw/fault.ts';
import {
  CR0_CD, CR0_NW, CR0_PE, CR0_PG, CR4_PAE, CR4_PGE, CR4_PSE, CR4_SMAP, CR4_SMEP, EFER_LMA, EFER_LME, EFER_NXE, EFER_SCE, Mmu,
} from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { claim } from '../support/claim.ts';
import { cachedPages, machine32, machinePae, thrownBy } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;
const gpOf = (fn: () => void): GeneralProtectionFault => thrownBy(GeneralProtectionFault, fn);

/**
 * IA-32e paging: linear 0xffff_f000 onto frame 0x7000 and 0x1_0000_0000 onto
 * frame 0x8000, so a word at 0xffff_fffe straddles 4 GiB inside mapped memory.
 */
function ia32e(options: { maxPhysAddr?: number } = {}) {
  const memory = new PhysicalMemory(1 << 20);
  const [pml4, pdpt, pd3, pt3, pd4, pt4] = [0x10000, 0x11000, 0x12000, 0x13000, 0x14000, 0x15000];
  memory.write32(pml4, pdpt | PRW);
  memory.write32(pdpt + 3 * 8, pd3 | PRW);
  memory.write32(pd3 + 511 * 8, pt3 | PRW);
  memory.write32(pt3 + 511 * 8, 0x7000 | PRW);
  memory.write32(pdpt + 4 * 8, pd4 | PRW);
  memory.write32(pd4, pt4 | PRW);
  memory.write32(pt4, 0x8000 | PRW);
  const mmu = new Mmu(memory, options);
  mmu.writeEfer(EFER_LME);
  mmu.writeCr4(CR4_PAE);
  mmu.writeCr3(pml4);
  mmu.writeCr0(CR0_PE | CR0_PG);
  return { memory, mmu, pml4 };
}

describe('MOV to CR4', () => {
  claim('cr4-reserved-bits-gp', () => {
    // Bit 31 is reserved on every processor; PCIDE (17) and PKE (22) are features ours does not report.
    for (const bit of [31, 17, 22, 18, 12, 0]) {
      const { mmu } = machine32({ cr4: CR4_PGE });
      mmu.physical(0x1000, READ);
      const was = mmu.tlb.entries();
      expect(gpOf(() => mmu.writeCr4(CR4_PGE | (1 << bit))).reason).toMatch(/CR4 .* reserves/);
      expect(mmu.cr4).toBe(CR4_PGE);
      expect(mmu.tlb.entries()).toEqual(was);
    }
    // The reason names the value and the bits refused.
    const { mmu: one } = machine32();
    expect(gpOf(() => one.writeCr4(0x8000_0080)).reason).toBe('CR4 0x80000080 sets bits this processor reserves (0x80000000)');
    // Every bit the model has is accepted.
    const { mmu } = machine32();
    mmu.writeCr4(CR4_PSE | CR4_PGE | CR4_SMEP | CR4_SMAP);
    expect(mmu.cr4).toBe(CR4_PSE | CR4_PGE | CR4_SMEP | CR4_SMAP);
    // Bits 63:32 of CR4 (and of CR0) are reserved too: refused, never dropped.
    expect(gpOf(() => mmu.writeCr4(2 ** 32 + CR4_PSE)).reason).toBe('CR4 0x100000010 sets bits 63:32, which are reserved');
    expect(mmu.cr4).toBe(CR4_PSE | CR4_PGE | CR4_SMEP | CR4_SMAP);
    // The edges: 2^32 itself is bit 32; below -2^31 no 32-bit value comes signed; a fraction is no register value.
    // (-2^31 is bit 31 alone, written signed: refused for being reserved in CR4, not for bits 63:32.)
    for (const bad of [2 ** 32, -(2 ** 31) - 1, 1.5]) expect(gpOf(() => mmu.writeCr4(bad)).reason).toMatch(/sets bits 63:32, which are reserved$/);
    expect(gpOf(() => mmu.writeCr4(-(2 ** 31))).reason).toBe('CR4 0x80000000 sets bits this processor reserves (0x80000000)');
    const cr0 = mmu.cr0;
    expect(gpOf(() => mmu.writeCr0(2 ** 33 + cr0)).reason).toMatch(/^CR0 0x2[0-9a-f]{8} sets bits 63:32, which are reserved$/);
    expect(mmu.cr0).toBe(cr0);
  });
});

describe('MOV to CR0', () => {
  claim('cr0-nw-needs-cd', () => {
    const { mmu } = machine32();
    const was = mmu.cr0;
    expect(gpOf(() => mmu.writeCr0(was | CR0_NW)).reason).toBe('CR0.NW=1 requires CR0.CD=1');
    expect(mmu.cr0).toBe(was);
    mmu.writeCr0(was | CR0_CD | CR0_NW);
    expect(mmu.cr0).toBe((was | CR0_CD | CR0_NW) >>> 0);
    // Paging off too: the combination is invalid whatever else CR0 holds.
    const off = new Mmu(new PhysicalMemory(1 << 16));
    const offWas = off.cr0;
    expect(gpOf(() => off.writeCr0(CR0_PE | CR0_NW)).reason).toBe('CR0.NW=1 requires CR0.CD=1');
    expect(off.cr0).toBe(offWas);
  });
});

describe('WRMSR to EFER', () => {
  claim('efer-reserved-bits-gp', () => {
    const { mmu } = machine32();
    // Bit 1, AMD's SVME (12), bit 31, a bit above 31, and a negative value: none is an Intel EFER bit.
    // (A fraction, and numbers whose low 32 bits alone would pass, are refused too: they are not EFER values.)
    for (const value of [1 << 1, 1 << 12, 0x8000_0000, 2 ** 40, 2 ** 32 + EFER_SCE, -(2 ** 32) + EFER_SCE, -1, 0.5, EFER_NXE | (1 << 9)]) {
      expect(gpOf(() => mmu.writeEfer(value)).reason).toMatch(/reserved/);
      expect(mmu.efer).toBe(0);
    }
    // The reasons name the register and what is wrong: a bit above 31, or one of the low 32 that EFER has not.
    expect(gpOf(() => mmu.writeEfer(2 ** 40)).reason).toBe('EFER 0x10000000000 sets bits 63:32, which are reserved');
    expect(gpOf(() => mmu.writeEfer(1 << 12)).reason).toBe('EFER 0x1000 sets reserved bits');
    mmu.writeEfer(EFER_SCE | EFER_NXE);
    expect(mmu.efer).toBe(EFER_SCE | EFER_NXE);
    // LMA is accepted in the value and ignored: the processor's to set.
    mmu.writeEfer(EFER_NXE | EFER_LMA);
    expect(mmu.efer).toBe(EFER_NXE);
  });
});

describe('MOV to CR3 in IA-32e mode', () => {
  claim('cr3-above-maxphyaddr-gp', () => {
    const { mmu, pml4 } = ia32e();
    mmu.physical(0xffff_f000, READ);
    for (const value of [2 ** 40, 2 ** 40 + pml4, 2 ** 52, -4096, 0.5]) {
      expect(gpOf(() => mmu.writeCr3(value)).reason).toMatch(/MAXPHYADDR \(40\)/);
      expect(mmu.cr3).toBe(pml4);
      expect(cachedPages(mmu)).toEqual([0xfffff]);
    }
    // So are 0 and the highest page below MAXPHYADDR (a walk from it reads memory that is not there: that is a later story).
    mmu.writeCr3(0);
    expect(mmu.cr3).toBe(0);
    mmu.writeCr3(2 ** 40 - 4096);
    expect(mmu.cr3).toBe(2 ** 40 - 4096);
    // MAXPHYADDR is the processor's own: with 52 bits, 2^40 is a good CR3.
    const wide = ia32e({ maxPhysAddr: 52 }).mmu;
    wide.writeCr3(2 ** 40);
    expect(wide.cr3).toBe(2 ** 40);
    expect(() => wide.writeCr3(2 ** 52)).toThrow(GeneralProtectionFault);
  });
});

describe('INVLPG', () => {
  claim('invlpg-non-canonical-nop', () => {
    const { mmu } = ia32e();
    mmu.physical(0xffff_f000, READ);
    // 2^47 is the first non-canonical address above the lower half: a load there is #GP...
    expect(gpOf(() => mmu.read8(2 ** 47)).reason).toBe(`non-canonical linear address ${2 ** 47}`);
    // ...but INVLPG of it does nothing at all, and drops no other page.
    for (const vaddr of [2 ** 47, -(2 ** 47) - 1, 0.5]) mmu.invlpg(vaddr);
    expect(cachedPages(mmu)).toEqual([0xfffff]);
    // Outside IA-32e mode an address is 32 bits, however it is written: a negative int32 is the page near 4 GiB.
    const m32 = machine32();
    m32.space.map(0xffff_f000, 0x7000, PRW);
    m32.mmu.physical(0xffff_f000, READ);
    m32.mmu.invlpg(0xffff_f000 | 0);
    expect(cachedPages(m32.mmu)).toEqual([]);
  });
});

describe('a word past 4 GiB', () => {
  claim('word-past-4gib-gp', () => {
    // 32-bit and PAE paging: the last page mapped, and the word at its last two bytes runs past 4 GiB.
    const m32 = machine32();
    m32.space.map(0xffff_f000, 0x7000, PRW);
    const mPae = machinePae((s) => s.map(0xffff_f000, 0x7000, PRW));
    for (const mmu of [m32.mmu, mPae.mmu]) {
      expect(mmu.read32(0xffff_fffc)).toBe(0);
      const misses = mmu.tlb.misses;
      for (const access of [() => mmu.read32(0xffff_fffe), () => mmu.fetch32(0xffff_fffd), () => mmu.write16(0xffff_ffff, 1), () => mmu.write32(0xffff_fffe, 1)]) {
        expect(gpOf(access).reason).toMatch(/^\d-byte access at 0xffffff[0-9a-f]{2} runs past the 4 GiB segment limit$/);
      }
      // Refused before any page is translated or any byte moves.
      expect(mmu.tlb.misses).toBe(misses);
      expect(mmu.read32(0xffff_fffc)).toBe(0);
    }
    // Paging off: the same segment limit, no paging needed.
    const off = new Mmu(new PhysicalMemory(1 << 16));
    expect(() => off.read16(0xffff_ffff)).toThrow(GeneralProtectionFault);
    // IA-32e mode has no such limit: the word simply goes on into the page at 4 GiB.
    const { memory, mmu } = ia32e();
    memory.write32(0x7ffc, 0xbbaa_0000);
    memory.write32(0x8000, 0x0000_ddcc);
    expect(mmu.read32(0xffff_fffe)).toBe(0xddcc_bbaa);
  });
});

describe('MAXPHYADDR', () => {
  test('an Mmu refuses one outside 36..52, naming it', () => {
    const memory = new PhysicalMemory(1 << 16);
    for (const bits of [20, 35, 53, 60, 40.5, Number.NaN]) {
      expect(() => new Mmu(memory, { maxPhysAddr: bits })).toThrow(new RangeError(`maxPhysAddr must be an integer from 36 to 52, got ${bits}`));
    }
    for (const bits of [36, 52]) expect(() => new Mmu(memory, { maxPhysAddr: bits })).not.toThrow();
  });

  test('36 and 52 set the reserved bits at the ends of the range', () => {
    const memory = new PhysicalMemory(1 << 16);
    const low = new Mmu(memory, { maxPhysAddr: 36 });
    low.writeCr4(CR4_PAE);
    low.writeCr0(CR0_PE | CR0_PG);
    // PAE without NXE: bits 63:36 reserved, bits 35:32 address bits.
    expect(low.reservedHi).toBe(0xffff_fff0);
    const high = new Mmu(memory, { maxPhysAddr: 52 });
    high.writeCr4(CR4_PAE);
    high.writeCr0(CR0_PE | CR0_PG);
    expect(high.reservedHi).toBe(0xfff0_0000);
  });
});
