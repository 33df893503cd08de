// MOV to CR0 is where IA-32e mode begins and ends (SDM 4.1.1, 10.8.5):
// setting PG with EFER.LME=1 sets EFER.LMA, and needs CR4.PAE=1 or it is #GP;
// clearing PG clears LMA and nothing else in EFER. A CR0 write that leaves
// paging off is no entry at all, so it checks nothing about PAE.
import { describe, expect, test } from 'vitest';
import { GeneralProtectionFault } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, EFER_LMA, EFER_LME, EFER_NXE, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';

/** A machine with paging off, EFER.LME and NXE set, and a zeroed PML4 at 0x10000. */
function longModeReady(): Mmu {
  const mmu = new Mmu(new PhysicalMemory(1 << 20));
  mmu.writeEfer(EFER_LME | EFER_NXE);
  mmu.writeCr3(0x10000);
  return mmu;
}

describe('CR0.PG and IA-32e mode', () => {
  test('setting PG with LME sets LMA, and EFER reads it back', () => {
    const mmu = longModeReady();
    mmu.writeCr4(CR4_PAE);
    expect(mmu.efer).toBe(EFER_LME | EFER_NXE);
    mmu.writeCr0(CR0_PE | CR0_PG);
    expect(mmu.mode).toBe('ia32e');
    expect(mmu.efer).toBe(EFER_LME | EFER_NXE | EFER_LMA);
  });

  test('setting PG with LME but without CR4.PAE is #GP, with a reason that names PAE, and changes nothing', () => {
    const mmu = longModeReady();
    let gp: unknown;
    try {
      mmu.writeCr0(CR0_PE | CR0_PG);
    } catch (e) {
      gp = e;
    }
    expect(gp).toBeInstanceOf(GeneralProtectionFault);
    expect((gp as GeneralProtectionFault).reason).toMatch(/IA-32e paging requires CR4\.PAE=1/);
    expect(mmu.mode).toBe('off');
    expect(mmu.cr0).toBe(CR0_PE);
    expect(mmu.efer).toBe(EFER_LME | EFER_NXE);
  });

  test('with paging staying off, a CR0 write checks nothing about PAE (LME waits for PG)', () => {
    const mmu = longModeReady();
    mmu.writeCr0(CR0_PE | CR0_WP);
    mmu.writeCr0(CR0_PE);
    expect(mmu.mode).toBe('off');
    expect(mmu.efer).toBe(EFER_LME | EFER_NXE);
  });

  test('clearing PG leaves IA-32e mode: LMA clears, LME and NXE stay, and CR4.PAE may then go', () => {
    const mmu = longModeReady();
    mmu.writeCr4(CR4_PAE);
    mmu.writeCr0(CR0_PE | CR0_PG);
    mmu.writeCr0(CR0_PE);
    expect(mmu.mode).toBe('off');
    expect(mmu.efer).toBe(EFER_LME | EFER_NXE);
    // Out of IA-32e mode, clearing PAE is allowed again.
    mmu.writeCr4(0);
    expect(mmu.cr4).toBe(0);
  });

  test('a CR0 write that keeps paging on keeps IA-32e mode', () => {
    const mmu = longModeReady();
    mmu.writeCr4(CR4_PAE);
    mmu.writeCr0(CR0_PE | CR0_PG);
    mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
    expect(mmu.mode).toBe('ia32e');
    expect(mmu.efer).toBe(EFER_LME | EFER_NXE | EFER_LMA);
  });
});
