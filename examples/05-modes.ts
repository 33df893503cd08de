/*
 * One address, three ways of mapping it: a 4 KiB page, a 4 MiB PSE page, and
 * PAE's 2 MiB page. Run: npx tsx examples/05-modes.ts
 */
import { CR0_PE, CR0_PG, CR4_PAE, CR4_PSE, EFER_NXE, Mmu } from '../src/hw/mmu.ts';
import { PhysicalMemory } from '../src/hw/phys-memory.ts';
import { PTE_P, PTE_RW } from '../src/hw/pte.ts';
import { Builder32, BuilderPae, FrameAllocator } from '../src/tools/builder.ts';
import { report } from '../src/tools/explain.ts';

const va = 0x0052_3456;
const PRW = PTE_P | PTE_RW;

function run(setup: (m: PhysicalMemory, f: FrameAllocator) => number, cr4: number, efer = 0) {
  const memory = new PhysicalMemory(1 << 20);
  const cr3 = setup(memory, new FrameAllocator(memory, 16));
  const mmu = new Mmu(memory);
  mmu.writeEfer(efer);
  mmu.writeCr4(cr4);
  mmu.writeCr3(cr3);
  mmu.writeCr0(CR0_PE | CR0_PG);
  console.log(report(mmu.translate(va, 'read')));
}

run((m, f) => { const s = new Builder32(m, f); s.map(va, 0x0009_3000, PRW); return s.cr3; }, 0);
run((m, f) => { const s = new Builder32(m, f); s.map4M(va, 0x0080_0000, PRW); return s.cr3; }, CR4_PSE);
// PAE with an execute-disable large page: without EFER.NXE, bit 63 is reserved…
const pae = (m: PhysicalMemory, f: FrameAllocator) => { const s = new BuilderPae(m, f); s.map2M(va, 0x0060_0000, PRW, true); return s.cr3; };
run(pae, CR4_PAE);
// …and with it, XD means "no instruction fetches", and a read is fine.
run(pae, CR4_PAE, EFER_NXE);
