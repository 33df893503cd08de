/*
 * The Guest on bare hardware: its page tables loaded straight into the MMU.
 * This is the reference world: whatever the Guest sees here is what it must
 * see under the Host.
 */
import { PageFault } from '../hw/fault.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, Mmu } from '../hw/mmu.ts';
import { PhysicalMemory } from '../hw/phys-memory.ts';
import { READ, WRITE, type AccessKind } from '../hw/rights.ts';
import { FAULTED, type GuestFault, type Platform } from './platform.ts';

// #region G-native
/** Guest-physical memory is the machine's memory; the pv-ops are plain stores, INVLPG and CR3 loads. */
export class NativePlatform implements Platform {
  readonly name = 'native';
  readonly kernelCpl = 0;
  readonly memory: PhysicalMemory;
  readonly mmu: Mmu;
  readonly lastFault: GuestFault = { address: 0, errorCode: 0 };

  constructor(readonly memorySize: number, readonly pae = false) {
    this.memory = new PhysicalMemory(memorySize);
    this.mmu = new Mmu(this.memory);
  }

  read32(gpa: number): number { return this.memory.read32(gpa); }
  write32(gpa: number, value: number): void { this.memory.write32(gpa, value); }
  zeroFrame(gpa: number): void { this.memory.zeroFrame(gpa / 4096); }
  copyFrame(dst: number, src: number): void { this.memory.bytes.copyWithin(dst, src, src + 4096); }
  inspect32(gpa: number): number { return this.memory.read32(gpa); }

  boot(pgdir: number): void {
    if (this.pae) this.mmu.writeCr4(CR4_PAE);
    this.mmu.writeCr3(pgdir);
    this.mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
  }

  access(kind: AccessKind, vaddr: number, cpl: number, value: number): number {
    const mmu = this.mmu;
    if (mmu.cpl !== cpl) mmu.setCpl(cpl);
    if ((vaddr & 0xfff) > 0xffc) return this.crossing(kind, vaddr, value);
    const paddr = mmu.physical(vaddr, kind);
    if (paddr < 0) return this.faulted(mmu.cr2, mmu.lastErrorCode);
    if (kind !== WRITE) return this.memory.read32(paddr);
    this.memory.write32(paddr, value);
    return value >>> 0;
  }

  writeCr3(pgdir: number): void { this.mmu.writeCr3(pgdir); }
  setPteAt(_pgdir: number, _vaddr: number, ptep: number, pte: number): void { this.memory.write32(ptep, pte); }
  setPte(ptep: number, pte: number): void { this.memory.write32(ptep, pte); }
  setPmd(pmdp: number, pmd: number): void { this.memory.write32(pmdp, pmd); }
  // The processor reads PDPTEs at CR3 loads only; our kernel sets them before a directory is first used.
  setPud(pudp: number, pud: number): void { this.memory.write32(pudp, pud); }
  flushTlbSingle(vaddr: number): void { this.mmu.invlpg(vaddr); }
  flushTlbUser(): void { this.mmu.writeCr3(this.mmu.cr3); }
  // Without CR4.PGE nothing is Global, so a CR3 reload forgets kernel pages too.
  flushTlbKernel(): void { this.mmu.writeCr3(this.mmu.cr3); }

  private faulted(address: number, errorCode: number): number {
    this.lastFault.address = address;
    this.lastFault.errorCode = errorCode;
    return FAULTED;
  }

  private crossing(kind: AccessKind, vaddr: number, value: number): number {
    try {
      if (kind === WRITE) {
        this.mmu.write32(vaddr, value);
        return value >>> 0;
      }
      return kind === READ ? this.mmu.read32(vaddr) : this.mmu.fetch32(vaddr);
    } catch (e) {
      if (!(e instanceof PageFault)) throw e;
      return this.faulted(e.address, e.errorCode);
    }
  }
}
// #endregion G-native
