// The recorder `translate` stands between a walk and memory: one row per entry
// read (an eight-byte entry's two words make one row), and every store lands in
// the "after" of the row it belongs to. The walkers happen to store only into
// the low word of the entry they read last; the recorder must not rely on it.
import { describe, expect, test } from 'vitest';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { WalkRecorder } from '../../src/hw/walk-trace.ts';
import { PTE_A, PTE_P, PTE_RW } from '../../src/hw/pte.ts';
import { machine32 } from '../support/machine.ts';

const PRW = PTE_P | PTE_RW;
const rows = (r: WalkRecorder) => r.steps().map((s) => [s.entryAddr, s.before, s.after]);

describe('the walk recorder', () => {
  test('a 32-bit walk whose PTE sits just after its PDE still reports two entries', () => {
    // A directory that serves as its own page table: directory entry 0x100 names
    // the directory, so the PTE of 0x4010_1000 is directory entry 0x101, the next word.
    const { mmu, memory, space } = machine32();
    memory.write32(space.cr3 + 0x100 * 4, space.cr3 | PRW);
    memory.write32(space.cr3 + 0x101 * 4, 0x7000 | PRW);
    const r = mmu.translate(0x4010_1234, 'read');
    expect(r.paddr).toBe(0x7234);
    expect(r.steps.map((s) => [s.level, s.index, s.entryAddr])).toEqual([
      ['PDE', 0x100, space.cr3 + 0x400],
      ['PTE', 0x101, space.cr3 + 0x404],
    ]);
    expect(r.steps[1]!.before).toBe(BigInt(0x7000 | PRW));
    expect(r.steps[1]!.after).toBe(BigInt(0x7000 | PRW | PTE_A));
  });

  test('eight-byte entries: two words at +0 and +4 make one row; a word elsewhere starts a new one', () => {
    const memory = new PhysicalMemory(4096);
    memory.write32(0x100, 0x1001);
    memory.write32(0x104, 0x8000_0000);
    memory.write32(0x200, 0x2001);
    memory.write32(0x204, 0x7);
    const r = new WalkRecorder(memory, 8, ['PDE', 'PTE', 'PTE'], true);
    r.read32(0x100);
    r.read32(0x104);
    // A low word alone, then a word that is not its high half.
    r.read32(0x200);
    r.read32(0x100);
    expect(rows(r)).toEqual([
      [0x100, 0x8000_0000_0000_1001n, 0x8000_0000_0000_1001n],
      [0x200, 0x2001n, 0x2001n],
      [0x100, 0x1001n, 0x1001n],
    ]);
  });

  test('a store updates the latest row of its address, in the word it names', () => {
    const memory = new PhysicalMemory(4096);
    memory.write32(0x100, 0x1001);
    memory.write32(0x200, 0x2001);
    memory.write32(0x204, 0x5);
    const r = new WalkRecorder(memory, 8, ['PDPTE', 'PDE', 'PTE'], false);
    r.read32(0x100);
    r.read32(0x104);
    r.read32(0x200);
    r.read32(0x204);
    r.read32(0x100);
    r.read32(0x104);
    // The entry at 0x200 is no longer the last read: its row is still found.
    r.write32(0x200, 0x2021);
    // A high word: its own half, not the low one.
    r.write32(0x204, 0x6);
    // The entry at 0x100 was read twice: the later row is the one that changes.
    r.write32(0x100, 0x1021);
    expect(rows(r)).toEqual([
      [0x100, 0x1001n, 0x1001n],
      [0x200, 0x5_0000_2001n, 0x6_0000_2021n],
      [0x100, 0x1001n, 0x1021n],
    ]);
    // A dry run: memory unchanged, and a later read sees the pending store.
    expect(memory.read32(0x200)).toBe(0x2001);
    expect(r.read32(0x200)).toBe(0x2021);
  });
});
