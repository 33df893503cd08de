/*
 * A Guest that takes a page fault before LGUEST_INIT has told the Host where
 * its lguest_data lives still gets the fault, and the Host writes CR2
 * nowhere: not at Guest address 0 plus the field's offset, which is the
 * Guest's own memory, however unready it is.
 */
import { expect, test } from 'vitest';
import { READ } from '../../src/hw/rights.ts';
import type { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { initGuest } from '../../src/host/init.ts';
import { runGuest } from '../../src/host/run.ts';

test('a fault before LGUEST_INIT is handed over, and no CR2 is written into Guest memory', () => {
  let memory!: PhysicalMemory;
  let base = 0;
  const g = initGuest({ pages: 64, pgdir: 0x2000, seed: 1, pae: false, fill: (m, b) => { memory = m; base = b; } });
  const before = Array.from({ length: 16 }, (_, i) => memory.read32(base + 4 * i));
  const r = runGuest(g, READ, 0x0804_8123, 3);
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.fault.address).toBe(0x0804_8123);
  expect(g.lguestData).toBe(null);
  expect(Array.from({ length: 16 }, (_, i) => memory.read32(base + 4 * i))).toEqual(before);
});
