import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { GeneralProtectionFault, PF_P, PF_RSVD, PF_U } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR4_PAE, CR4_PSE, EFER_LME, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_P, PTE_PS, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ } from '../../src/hw/rights.ts';
import { runVectorText } from '../../src/tools/vectors.ts';
import { claim } from '../support/claim.ts';
import { faultOf, machine32, machinePae } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW;

describe('large pages, PAE and long mode', () => {
  claim('pse-4m-page', () => {
    const on = machine32({ cr4: CR4_PSE });
    on.space.map4M(0x0040_0000, 0x0080_0000, PRW);
    expect(on.mmu.physical(0x0052_3456, READ)).toBe(0x0092_3456);
    // Every bit of the 22-bit offset comes from the linear address, bit 21 too.
    expect(on.mmu.physical(0x007f_fffc, READ)).toBe(0x00bf_fffc);
    // Without CR4.PSE the PS bit is ignored: the entry names a page table
    // (here frame 0x400), read like any other: empty, the walk finds no PTE...
    const off = machine32({ mb: 8 });
    off.space.map4M(0x0040_0000, 0x0040_0000, PRW);
    expect(faultOf(() => off.mmu.read8(0x0052_3456)).errorCode & PF_P).toBe(0);
    // ...and once that frame holds a PTE for the page, the address translates through it.
    off.memory.write32(0x0040_0000 + 0x123 * 4, 0x9000 | PRW);
    expect(off.mmu.physical(0x0052_3456, READ)).toBe(0x9456);
  });

  claim('pse-reserved-bit21', () => {
    const { space, mmu, memory } = machine32({ cr4: CR4_PSE });
    const at = space.map4M(0x0040_0000, 0x0080_0000, PRW);
    memory.write32(at, memory.read32(at) | (1 << 21));
    expect(faultOf(() => mmu.read8(0x0040_0000)).errorCode).toBe(PF_P | PF_RSVD);
  });

  claim('pae-pdptes-loaded-on-cr3', () => {
    // A page in each of the four GiB, one under each PDPTE; on the common-case miss path and the full walk.
    const pages = [0x0000_1000, 0x4000_1000, 0x8000_1000, 0xc000_1000];
    for (const fastMisses of [true, false]) {
      const { space, mmu, memory } = machinePae((s) => { pages.forEach((v, i) => s.map(v, 0x7000 + i * 0x1000, PRW)); }, { mmu: { fastMisses } });
      const translations = () => pages.map((v) => mmu.physical(v, READ));
      expect(translations()).toEqual([0x7000, 0x8000, 0x9000, 0xa000]);
      // Clear all four PDPTEs in memory: the processor does not notice…
      for (let i = 0; i < 4; i++) memory.write32(space.cr3 + i * 8, 0);
      mmu.tlb.flushAll();
      expect(translations()).toEqual([0x7000, 0x8000, 0x9000, 0xa000]);
      // …until CR3 is written again, which reloads all four.
      mmu.writeCr3(space.cr3);
      expect(translations()).toEqual([-1, -1, -1, -1]);
    }
  });

  claim('pae-pdpte-reserved-gp', () => {
    const { space, mmu, memory } = machinePae((s) => { s.map(0x1000, 0x7000, PRW); });
    memory.write32(space.cr3, memory.read32(space.cr3) | PTE_RW); // R/W is reserved in a PAE PDPTE
    expect(() => mmu.writeCr3(space.cr3)).toThrow(GeneralProtectionFault);
  });

  claim('pae-2m-page', () => {
    const { mmu } = machinePae((s) => { s.map2M(0x0020_0000, 0x0060_0000, PRW); });
    expect(mmu.physical(0x003f_ffff, READ)).toBe(0x007f_ffff);
  });

  claim('ia32e-canonical-and-1g', () => {
    const memory = new PhysicalMemory(1 << 20);
    const pml4 = 0x10000, pdpt = 0x11000;
    memory.write32(pml4 + 511 * 8, pdpt | PRW | PTE_US); // the top 512 GiB, where kernels live
    memory.write32(pdpt + 510 * 8, 0x4000_0000 | PRW | PTE_PS); // a 1 GiB page
    const mmu = new Mmu(memory);
    mmu.writeEfer(EFER_LME);
    mmu.writeCr4(CR4_PAE);
    mmu.writeCr3(pml4);
    mmu.writeCr0(CR0_PE | CR0_PG);
    expect(mmu.mode).toBe('ia32e');
    // 0xffff_ffff_8012_3456, written as a signed 48-bit number:
    const va = -(2 ** 31) + 0x12_3456;
    expect(mmu.physical(va, READ)).toBe(0x4012_3456);
    // A 30-bit offset: bits 29:21 come from the linear address as well, not from a directory.
    expect(mmu.physical(-(2 ** 31) + 0x3fed_cba8, READ)).toBe(0x7fed_cba8);
    expect(() => mmu.physical(2 ** 47, READ)).toThrow(GeneralProtectionFault);
  });

  test('IA-32e translations are cached too, and their rights still checked on every use', () => {
    const memory = new PhysicalMemory(1 << 20);
    const pml4 = 0x10000, pdpt = 0x11000;
    memory.write32(pml4 + 511 * 8, pdpt | PRW | PTE_US);
    memory.write32(pdpt + 510 * 8, 0x4000_0000 | PRW | PTE_PS); // supervisor-only 1 GiB page
    const mmu = new Mmu(memory);
    mmu.writeEfer(EFER_LME);
    mmu.writeCr4(CR4_PAE);
    mmu.writeCr3(pml4);
    mmu.writeCr0(CR0_PE | CR0_PG);
    const va = -(2 ** 31) + 0x12_3456;
    expect(mmu.physical(va, READ)).toBe(0x4012_3456);
    expect(mmu.physical(va + 4, READ)).toBe(0x4012_345a);
    expect(mmu.tlb.misses).toBe(1);
    mmu.setCpl(3);
    expect(mmu.physical(va, READ)).toBe(-1); // cached, but not for a user
    expect(mmu.lastErrorCode).toBe(PF_P | PF_U);
  });

  test('a PAE page above 2 GiB is cached at its full address, never a wrapped one', () => {
    const { mmu } = machinePae((s) => { s.map(0x1000, 0x1_2345_6000, PRW); s.map(0x2000, 0x8000_1000, PRW); });
    for (let i = 0; i < 2; i++) {
      expect(mmu.physical(0x1abc, READ)).toBe(0x1_2345_6abc);
      expect(mmu.physical(0x2abc, READ)).toBe(0x8000_1abc);
    }
    expect(mmu.tlb.misses).toBe(2);
  });

  claim('conformance-vectors', () => {
    const dir = join(import.meta.dirname, '../fixtures/x86-vectors');
    let passed = 0;
    const lines: string[] = [];
    // What the cases are, by emulator, as the claim says: QEMU's all reads at CPL 0 with WP clear, Bochs's of every kind.
    const seen = { qemu: { n: 0, kinds: new Set<string>() }, bochs: { n: 0, kinds: new Set<string>() } };
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
      const text = readFileSync(join(dir, file), 'utf8');
      const r = runVectorText(text, file);
      passed += r.passed;
      lines.push(...r.lines);
      const by = seen[file.includes('bochs') ? 'bochs' : 'qemu'];
      for (const line of text.split('\n').filter((l) => l.trim())) {
        const c = JSON.parse(line) as { access: string; cpl: number; cr0_wp: number };
        by.n++;
        by.kinds.add(`${c.access} cpl${c.cpl} wp${c.cr0_wp}`);
      }
    }
    expect(lines).toEqual([]);
    expect(passed).toBe(5574);
    expect(seen.qemu.n).toBe(5276);
    expect([...seen.qemu.kinds]).toEqual(['read cpl0 wp0']);
    expect(seen.bochs.n).toBe(298);
    expect([...seen.bochs.kinds].sort()).toEqual(['fetch', 'read', 'write'].flatMap((a) => [0, 3].flatMap((cpl) => [0, 1].map((wp) => `${a} cpl${cpl} wp${wp}`))).sort());
  });

  test('a broken vector is reported, not skipped', () => {
    const r = runVectorText('{"not": "a case"}\n', 'bad.jsonl');
    expect(r.failed).toBe(1);
    expect(r.lines[0]).toMatch(/^bad\.jsonl:1:/);
  });
});
