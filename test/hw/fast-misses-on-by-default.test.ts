// MmuOptions.fastMisses promises the fast path for the common TLB miss by
// default: a reader who makes an Mmu without options gets the speed the
// benchmarks measure. The fast path and the full walk give the same answers
// (fast-miss.test.ts), so the only way to see which one ran is to count
// the full walks: the default takes none for a common miss, and
// `fastMisses: false` walks every miss.
import { describe, expect, test } from 'vitest';
import { CR0_PE, CR0_PG, CR4_PAE, Mmu, type MmuOptions } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';
import { Builder32, BuilderPae, FrameAllocator } from '../../src/tools/builder.ts';

const PRW = PTE_P | PTE_RW | PTE_A | PTE_D;

/** How many full walks `run` makes on an MMU of `options`, over 32-bit and PAE tables. */
function fullWalks(options: MmuOptions | undefined, pae: boolean): number {
  const proto = Mmu.prototype as unknown as Record<'physicalMiss', (this: Mmu, vaddr: number, kind: AccessKind) => number>;
  const fullWalk = proto.physicalMiss;
  let n = 0;
  proto.physicalMiss = function (vaddr, kind) {
    n++;
    return fullWalk.call(this, vaddr, kind);
  };
  try {
    const memory = new PhysicalMemory(1 << 20);
    const frames = new FrameAllocator(memory, 16);
    const space = pae ? new BuilderPae(memory, frames) : new Builder32(memory, frames);
    space.map(0x1000, 0x7000, PRW);
    space.map(0x2000, 0x8000, PRW);
    // The directory entry the builder made is not Accessed yet: one full walk sets it.
    const mmu = options === undefined ? new Mmu(memory) : new Mmu(memory, options);
    if (pae) mmu.writeCr4(CR4_PAE);
    mmu.writeCr3(space.cr3);
    mmu.writeCr0(CR0_PE | CR0_PG);
    expect(mmu.physical(0x1234, READ)).toBe(0x7234);
    const before = n;
    expect(mmu.physical(0x2234, WRITE)).toBe(0x8234);
    return n - before;
  } finally {
    proto.physicalMiss = fullWalk;
  }
}

describe('the fast miss path is the default', () => {
  for (const pae of [false, true]) {
    test(`${pae ? 'PAE' : '32-bit'}: without options a common miss takes no full walk; with fastMisses: false it does`, () => {
      expect(fullWalks(undefined, pae)).toBe(0);
      expect(fullWalks({}, pae)).toBe(0);
      expect(fullWalks({ fastMisses: true }, pae)).toBe(0);
      expect(fullWalks({ fastMisses: false }, pae)).toBe(1);
    });
  }
});
