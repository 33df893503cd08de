/*
 * The Host's entries as the nested walk reads them: the low flag bits of
 * the EPT pointer are not part of the address, a leaf may name a frame above
 * 4 GiB (its high word), bit 7 is a large page in a PDPTE or PDE (which this
 * model refuses as a misconfiguration) but ignored in a PTE, and every entry
 * read is reported as a Host reference, level by level.
 */
import { describe, expect, test } from 'vitest';
import { EPT_LARGE, EPT_LEVELS, EPT_W, EPT_X, EptMisconfig, NestedPaging, type NestedRef } from '../../src/hw/nested.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { READ } from '../../src/hw/rights.ts';
import { claim } from '../support/claim.ts';
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

  claim('ept-misconfigurations', () => {
    const m = machine();
    const entries = m.hostRefs(0x5abc).map((r) => r.hpa);
    /** The entry at `level` changed by `change` (low word, high word): a misconfiguration there, or a translation. */
    const outcome = (level: number, change: (lo: number, hi: number) => [number, number]): string => {
      const at = entries[level]!;
      const [lo, hi] = [m.host.read32(at), m.host.read32(at + 4)];
      m.host.write32(at, change(lo, hi)[0]);
      m.host.write32(at + 4, change(lo, hi)[1]);
      try {
        return `ok 0x${m.ept.translate(0x5abc, READ, false).toString(16)}`;
      } catch (e) {
        if (!(e instanceof EptMisconfig)) throw e;
        expect([e.level, e.gpa]).toEqual([EPT_LEVELS[level], 0x5abc]);
        return 'misconfig';
      } finally {
        m.host.write32(at, lo);
        m.host.write32(at + 4, hi);
      }
    };
    const rights = (r: number) => (lo: number, hi: number): [number, number] => [(lo & ~7) | r, hi];
    for (let level = 0; level < 4; level++) {
      // Without read: write-only, write and execute, and execute-only (our processor lacks that capability).
      for (const r of [EPT_W, EPT_W | EPT_X, EPT_X]) expect(outcome(level, rights(r))).toBe('misconfig');
      // Bits 51:40 reserved (MAXPHYADDR 40), bits 63:52 not.
      for (const bit of [40, 45, 51]) expect(outcome(level, (lo, hi) => [lo, hi | (1 << (bit - 32))])).toBe('misconfig');
      expect(outcome(level, (lo, hi) => [lo, hi | (1 << 20) | (1 << 31)])).toMatch(/^ok/);
    }
    // Bits 7:3 of an entry naming a table, each of them.
    for (let level = 0; level < 3; level++) {
      for (let bit = 3; bit <= 7; bit++) expect(outcome(level, (lo, hi) => [lo | (1 << bit), hi])).toBe('misconfig');
      // Bits 11:8 (accessed, ignored, user-execute) are not reserved.
      expect(outcome(level, (lo, hi) => [lo | 0xf00, hi])).toMatch(/^ok/);
    }
    // A leaf's memory type: 2, 3 and 7 reserved; 0, 1, 4, 5 and 6 (write-back) taken, with IPAT and bit 7 as they are.
    const type = (t: number) => (lo: number, hi: number): [number, number] => [(lo & ~0x38) | (t << 3), hi];
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((t) => outcome(3, type(t)))).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map((t) => ([2, 3, 7].includes(t) ? 'misconfig' : `ok 0x${(m.hostFrame[5]! * 4096).toString(16)}`)));
    expect(outcome(3, (lo, hi) => [lo | 0x40 | 0x80, hi])).toMatch(/^ok/);
    // MAXPHYADDR is the processor's: with 52 bits, bit 40 is an address bit.
    const wide = new NestedPaging(m.host, m.ept.eptp, { maxPhysAddr: 52 });
    m.host.write32(entries[3]! + 4, 1 << 8);
    expect(wide.translate(0x5abc, READ, false)).toBe(2 ** 40 + m.hostFrame[5]! * 4096);
    expect(() => m.ept.translate(0x5abc, READ, false)).toThrow(EptMisconfig);
    expect(() => new NestedPaging(m.host, 0, { maxPhysAddr: 36 })).not.toThrow();
    for (const bits of [35, 53, 40.5]) expect(() => new NestedPaging(m.host, 0, { maxPhysAddr: bits })).toThrow(new RangeError(`maxPhysAddr must be an integer from 36 to 52, got ${bits}`));
  });
});
