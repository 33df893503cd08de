/*
 * `NestedPaging.guestMemory` is a WalkMemory like any other: a word read at
 * a Guest-physical address is the word there, and a word written lands in
 * the Host frame the Host's tables map, whatever was read before. What is
 * particular to it is what it counts: an eight-byte entry's high half, and
 * the Accessed bit written back into the entry just read, are part of that
 * entry's one reference; every other word is a reference of its own, with
 * the Host's entries on the way to it.
 */
import { describe, expect, test } from 'vitest';
import { EPT_R, EPT_X, EptViolation, NestedPaging, type NestedRef } from '../../src/hw/nested.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { WRITE } from '../../src/hw/rights.ts';
import { nestedMachine } from '../support/nested.ts';

/** A Guest of 16 frames, laid out backwards in the Host; frame 3 readable and executable only. */
function machine() {
  const m = nestedMachine(new PhysicalMemory(16 * 4096), { order: Array.from({ length: 16 }, (_, i) => 15 - i), rights: new Map([[3, EPT_R | EPT_X]]) });
  const at = (gpa: number) => m.hostFrame[Math.floor(gpa / 4096)]! * 4096 + (gpa % 4096);
  // A fresh second dimension over the same tables, that has walked nothing yet.
  const fresh = () => new NestedPaging(m.host, m.ept.eptp);
  return { ...m, at, fresh };
}

describe("the Guest's memory, through the Host's tables", () => {
  test('a write before any read goes through the Host\'s tables, before or after a walk begins', () => {
    const m = machine();
    m.fresh().guestMemory.write32(0x10, 0xabc);
    expect(m.host.read32(m.at(0x10))).toBe(0xabc);
    m.fresh().entries(4).write32(0x14, 0xdef);
    expect(m.host.read32(m.at(0x14))).toBe(0xdef);
  });

  test('a write to another page than the entry just read is translated afresh, and lands at its own offset', () => {
    const m = machine();
    const mem = m.ept.entries(4);
    mem.read32(0x1000);
    mem.write32(0x2010, 0x1234);
    expect(m.host.read32(m.at(0x2010))).toBe(0x1234);
    expect(m.host.read32(m.at(0x1010))).toBe(0);
    // A page the Host lets the Guest read but not write: the write is an exit, during the walk.
    mem.read32(0x1000);
    let e: unknown = null;
    try {
      mem.write32(0x3010, 1);
    } catch (caught) {
      e = caught;
    }
    expect(e).toBeInstanceOf(EptViolation);
    const v = e as EptViolation;
    expect([v.gpa, v.kind, v.duringWalk, v.allowed]).toEqual([0x3010, WRITE, true, EPT_R | EPT_X]);
  });

  test('the Accessed bit written into the entry just read is part of its reference, even at Guest-physical 0', () => {
    const m = machine();
    const mem = m.ept.entries(4);
    const before = m.ept.refs;
    mem.read32(0);
    mem.write32(0, 0x20);
    expect(m.ept.refs - before).toBe(5);
    expect(m.host.read32(m.at(0))).toBe(0x20);
  });

  test('only the high half of the eight-byte entry just read shares its reference; four-byte entries side by side are two', () => {
    const m = machine();
    for (const gpa of [0x1000, 0x1004, 0x2000, 0x2004]) m.host.write32(m.at(gpa), gpa + 0x77);
    const seen: NestedRef[] = [];
    m.ept.onRef = (r) => seen.push(r);
    // A 32-bit Guest whose page table is its page directory: the PTE can be the word after the PDE.
    let mem = m.ept.entries(4, ['PDE', 'PTE']);
    expect([mem.read32(0x1000), mem.read32(0x1004)]).toEqual([0x1077, 0x107b]);
    expect(seen.filter((r) => r.dimension === 'guest').map((r) => [r.level, r.gpa])).toEqual([['PDE', 0x1000], ['PTE', 0x1004]]);
    expect(seen.length).toBe(10);
    // Eight-byte entries: the high half of another entry is a new reference, and its own word.
    seen.length = 0;
    mem = m.ept.entries(8, ['PDE', 'PTE']);
    expect([mem.read32(0x1000), mem.read32(0x1004), mem.read32(0x2004)]).toEqual([0x1077, 0x107b, 0x207b]);
    expect(seen.filter((r) => r.dimension === 'guest').map((r) => r.gpa)).toEqual([0x1000, 0x2004]);
  });

  test('a word read with no walk under way is named an entry', () => {
    const m = machine();
    const ept = m.fresh();
    const seen: NestedRef[] = [];
    ept.onRef = (r) => seen.push(r);
    ept.guestMemory.read32(0x1000);
    expect(seen.filter((r) => r.dimension === 'guest').map((r) => r.level)).toEqual(['entry']);
  });
});
