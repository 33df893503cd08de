/*
 * The Host's entries as the nested walk reads them: the low flag bits of
 * the EPT pointer are not part of the address, a leaf may name a frame above
 * 4 GiB (its high word), bit 7 is a large page in a PDPTE or PDE (which this
 * model refuses as a misconfiguration) but ignored in a PTE, and every entry
 * read is reported as a Host reference, level by level.
 */
import { describe, expect, test } from 'vitest';
import { EPT_LARGE, EPT_LEVELS, EptMisconfig, NestedPaging, type NestedRef } from '../../src/hw/nested.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { READ } from '../../src/hw/rights.ts';
import { nestedMachine } from '../support/nested.ts';

/** A Guest of 16 frames, laid out backwards in the Host. */
function machine() {
  const m = nestedMachine(new PhysicalMemory(16 * 4096), { order: Array.from({ length: 16 }, (_, i) => 15 - i) });
  const hostRefs = (gpa: number): NestedRef[] => {
    const seen: NestedRef[] = [];
    m.ept.onRef = (r) => seen.push(r);
    m.ept.translate(gpa, READ, false);
    m.ept.onRef = null;
    return seen;
  };
  return { ...m, hostRefs };
}

describe("the Host's entries", () => {
  test('each of the four entries read is a Host reference, named for its level, at its Host address', () => {
    const m = machine();
    const seen = m.hostRefs(0x5abc);
    expect(seen.map((r) => [r.dimension, r.level, r.gpa])).toEqual(EPT_LEVELS.map((l) => ['host', l, 0x5abc]));
    for (const r of seen) expect(m.host.read32(r.hpa)).toBe(r.value);
    expect(seen[3]!.value & 0xffff_f000).toBe(m.hostFrame[5]! * 4096);
  });

  test("the EPT pointer's low bits (memory type, walk length) are not part of the table's address", () => {
    const m = machine();
    const flagged = new NestedPaging(m.host, m.ept.eptp | 6 | (3 << 3));
    expect(flagged.translate(0x5abc, READ, false)).toBe(m.hostFrame[5]! * 4096);
  });

  test("a leaf's high word carries the frame's address bits above 4 GiB", () => {
    const m = machine();
    const pte = m.hostRefs(0x5abc)[3]!.hpa;
    m.host.write32(pte + 4, 1);
    expect(m.ept.translate(0x5abc, READ, false)).toBe(2 ** 32 + m.hostFrame[5]! * 4096);
  });

  test('bit 7 in a PDPTE or PDE is a misconfiguration; in a PTE it is ignored', () => {
    const m = machine();
    const [, pdpte, pde, pte] = m.hostRefs(0x5abc).map((r) => r.hpa);
    const misconfig = (): EptMisconfig => {
      try {
        m.ept.translate(0x5abc, READ, false);
      } catch (e) {
        if (e instanceof EptMisconfig) return e;
        throw e;
      }
      throw new Error('expected an EPT misconfiguration');
    };
    for (const [at, level] of [[pdpte!, 'EPT PDPTE'], [pde!, 'EPT PDE']] as const) {
      const entry = m.host.read32(at);
      m.host.write32(at, entry | EPT_LARGE);
      const e = misconfig();
      expect([e.level, e.gpa, e.entry]).toEqual([level, 0x5abc, entry | EPT_LARGE]);
      m.host.write32(at, entry);
    }
    m.host.write32(pte!, m.host.read32(pte!) | EPT_LARGE);
    expect(m.ept.translate(0x5abc, READ, false)).toBe(m.hostFrame[5]! * 4096);
  });
});
