/*
 * The Guest's walk, run through the Host's tables by the MMU: what it
 * keeps of the Guest's rights when the Host narrows them, what the PDPTE
 * load at a PAE CR3 load reads and reports, what happens when the walk must
 * set Accessed in a table the Host lets it read but not write, and that the
 * Guest's walk sees the processor's own reserved-bit checks.
 */
import { describe, expect, test } from 'vitest';
import { thrownBy } from '../support/machine.ts';
import { PF_P, PF_RSVD } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PSE } from '../../src/hw/mmu.ts';
import { EPT_R, EPT_X, EptViolation, type NestedRef } from '../../src/hw/nested.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_A, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ, WRITE } from '../../src/hw/rights.ts';
import { Builder32, BuilderPae, FrameAllocator } from '../../src/tools/builder.ts';
import { nestedMachine } from '../support/nested.ts';

const USER = PTE_P | PTE_RW | PTE_US;

const exit = (f: () => unknown): EptViolation => thrownBy(EptViolation, f);

/** A 32-bit Guest with a user page at 0x08048000 (frame 5) and the Host's rights for some frames. */
function guest32(rights: (space: Builder32) => Map<number, number>) {
  const memory = new PhysicalMemory(1 << 20);
  const space = new Builder32(memory, new FrameAllocator(memory, 16));
  space.map(0x0804_8000, 0x5000, USER);
  space.map4M(0x4000_0000, 0, USER);
  // Bit 21 of a 4 MiB PDE is reserved on every processor with PSE-36.
  memory.write32(space.pdeAddr(0x4040_0000), (0x0040_0000 | USER | 0x80 | (1 << 21)) >>> 0);
  const m = nestedMachine(memory, { rights: rights(space) });
  m.mmu.writeCr4(CR4_PSE);
  m.mmu.writeCr3(space.cr3);
  m.mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
  return { ...m, space };
}

describe("the Guest's walk through the Host's tables", () => {
  test('a page the Host maps without write keeps the Guest\'s user right: a user program reads it, from the TLB after the first time', () => {
    const m = guest32(() => new Map([[5, EPT_R | EPT_X]]));
    m.mmu.setCpl(3);
    expect(m.mmu.physical(0x0804_8abc, READ)).toBe(m.hostFrame[5]! * 4096 + 0xabc);
    expect(m.mmu.read32(0x0804_8abc)).toBe(0);
    // From the TLB: the copy the walk left keeps every right the Host did not take away, so the second read hits.
    expect(m.mmu.tlb.misses).toBe(1);
    expect(exit(() => m.mmu.physical(0x0804_8abc, WRITE)).kind).toBe(WRITE);
  });

  test('setting Accessed in a Guest page table the Host maps read-only is an exit during the walk, at the entry', () => {
    let pteAt = 0;
    const m = guest32((space) => {
      pteAt = space.pteAddr(0x0804_8000);
      return new Map([[pteAt >>> 12, EPT_R | EPT_X]]);
    });
    const e = exit(() => m.mmu.physical(0x0804_8abc, READ));
    expect([e.gpa, e.kind, e.duringWalk, e.linear, e.allowed]).toEqual([pteAt, WRITE, true, 0x0804_8abc, EPT_R | EPT_X]);
    // The Guest's entry is as it was: the processor wrote nothing.
    expect(m.host.read32(m.hostFrame[pteAt >>> 12]! * 4096 + (pteAt & 0xfff)) & PTE_A).toBe(0);
  });

  test("a reserved bit in a Guest's 4 MiB entry is the Guest's page fault, as on bare hardware", () => {
    const m = guest32(() => new Map());
    expect(m.mmu.physical(0x4000_1000, READ)).toBe(0x1000 + m.hostFrame[0]! * 4096);
    expect(m.mmu.physical(0x4040_1000, READ)).toBe(-1);
    expect(m.mmu.lastErrorCode).toBe(PF_P | PF_RSVD);
  });

  test('a PAE CR3 load reads the four PDPTEs through the Host, one reference each; an unmapped PDPT exits with no linear address', () => {
    const memory = new PhysicalMemory(1 << 20);
    const space = new BuilderPae(memory, new FrameAllocator(memory, 16));
    space.map(0x0804_8000, 0x5000, USER);
    const m = nestedMachine(memory);
    m.mmu.writeCr4(CR4_PAE);
    m.mmu.writeCr3(space.cr3);
    const seen: NestedRef[] = [];
    m.ept.onRef = (r) => seen.push(r);
    m.mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
    m.ept.onRef = null;
    const cr3 = space.cr3;
    expect(seen.filter((r) => r.dimension === 'guest').map((r) => [r.level, r.gpa])).toEqual([0, 1, 2, 3].map((i) => ['PDPTE', cr3 + 8 * i]));

    const u = nestedMachine(memory, { unmapped: [cr3 >>> 12] });
    u.mmu.writeCr4(CR4_PAE);
    u.mmu.writeCr3(cr3);
    const e = exit(() => u.mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP));
    expect([e.gpa, e.kind, e.duringWalk, e.linear, e.allowed]).toEqual([cr3, READ, true, -1, 0]);
  });
});
