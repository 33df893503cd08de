/*
 * What an EPT violation or misconfiguration says when a Host (or a reader
 * of a failing test) prints it: the access, the Guest-physical address,
 * whether it was the Guest's walk reading a table, the rights the Host's
 * entries gave, and for a misconfiguration the level and the entry.
 */
import { describe, expect, test } from 'vitest';
import { EPT_R, EPT_W, EPT_X, EptMisconfig, EptViolation } from '../../src/hw/nested.ts';
import { FETCH, READ, WRITE } from '../../src/hw/rights.ts';

describe('EPT exits, in words', () => {
  test('a violation names the access, the address, a table read and the rights given', () => {
    const walk = new EptViolation(0x11040, READ, true, 0x0804_8abc, 0);
    expect(walk.name).toBe('EptViolation');
    expect(walk.message).toBe("EPT violation: read of guest-physical 0x11040, reading a Guest page table (the Host's tables give nothing)");
    expect(new EptViolation(0x7abc, WRITE, false, 0x0804_aabc, EPT_R | EPT_X).message).toBe("EPT violation: write of guest-physical 0x7abc (the Host's tables give R-X)");
    expect(new EptViolation(0x7abc, FETCH, false, 0x0804_aabc, EPT_R | EPT_W).message).toBe("EPT violation: fetch of guest-physical 0x7abc (the Host's tables give RW-)");
    // The rights are read from the low three bits only: a memory type beside them is not a right.
    expect(new EptViolation(0x7abc, WRITE, false, 0, EPT_R | (6 << 3)).message).toMatch(/give R--\)$/);
  });

  test('a misconfiguration names the level, the entry and the address', () => {
    const e = new EptMisconfig(0x5000, 'EPT PDE', 0x8000_2087);
    expect(e.name).toBe('EptMisconfig');
    expect(e.message).toBe('EPT misconfiguration: EPT PDE 0x80002087 on the way to guest-physical 0x5000');
  });
});
