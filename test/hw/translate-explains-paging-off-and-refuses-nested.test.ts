// `translate` explains one access. With paging off there is nothing to walk:
// the report says so, and the address is its own translation. With nested
// paging on it refuses with a clear error rather than explain a walk the
// processor is not doing.
import { describe, expect, test } from 'vitest';
import { Mmu } from '../../src/hw/mmu.ts';
import { NestedPaging } from '../../src/hw/nested.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';

describe('translate at the edges', () => {
  test('paging off: ok, linear = physical, no steps, and the reason says so', () => {
    const mmu = new Mmu(new PhysicalMemory(1 << 20));
    mmu.setCpl(3);
    expect(mmu.translate(0x1234, 'write')).toEqual({
      mode: 'off', vaddr: 0x1234, access: 'write', cpl: 3, steps: [], ok: true,
      paddr: 0x1234, pageSize: null, errorCode: null, reason: 'paging is off: linear = physical',
    });
  });

  test('nested paging on: refused with an error that says where to look instead', () => {
    const memory = new PhysicalMemory(1 << 20);
    const mmu = new Mmu(memory);
    mmu.setNested(new NestedPaging(memory, 0x10000));
    expect(() => mmu.translate(0x1234, 'read')).toThrow(
      new Error('translate explains one-dimensional walks; with nested paging on, watch NestedPaging.onRef'));
  });
});
