/*
 * Highmem in the Guest kernel: kmap_atomic and persistent kmap, and what
 * each costs under lguest's Host (M:009) and under our fix.
 */
import { describe, expect, test } from 'vitest';
import type { KmapMode } from '../../src/guest/kernel.ts';
import { NativePlatform } from '../../src/guest/native.ts';
import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { claim } from '../support/claim.ts';

const PAGES = 128;
const LOWMEM = 64;

function boot(kmapMode: KmapMode) {
  const pv = new LguestPlatform(PAGES * 4096);
  return { os: new GuestOs(pv, { lowmemPages: LOWMEM, kmapMode }), g: pv.g };
}

describe('highmem kmap', () => {
  claim('kmap-atomic-flushes-every-shadow', () => {
    const { os, g } = boot('set-pte');
    const buf = os.mmap(4);
    os.write(buf, 1); // zero-filled through kmap_atomic: a highmem page
    const before = g.stats.clearAlls;
    os.kernelWrite(buf, 2);
    expect(g.stats.clearAlls).toBe(before + 1);
    // The fix names the entry: no clear-all at all.
    const fixed = boot('set-pte-at');
    const b2 = fixed.os.mmap(4);
    fixed.os.write(b2, 1);
    const clears = fixed.g.stats.clearAlls;
    fixed.os.kernelWrite(b2, 2);
    fixed.os.write(b2 + 4096, 3);
    expect(fixed.g.stats.clearAlls).toBe(clears);
    expect(fixed.os.read(b2)).toBe(2);
  });

  test('a lowmem page needs no kmap at all', () => {
    const pv = new LguestPlatform(PAGES * 4096);
    const os = new GuestOs(pv, { kmapMode: 'set-pte' }); // everything is lowmem
    const buf = os.mmap(1);
    os.write(buf, 1);
    expect(os.k.stats.kmaps).toBe(0);
  });

  claim('pkmap-shared-by-every-process', () => {
    for (const kmapMode of ['set-pte', 'set-pte-at'] as const) {
      const run = (os: GuestOs) => {
        const seen: number[] = [];
        const buf = os.mmap(12);
        for (let p = 0; p < 12; p++) os.write(buf + p * 4096, 100 + p); // twelve highmem frames
        const child = os.fork();
        os.kernelHold(buf); // slot 1 maps page 0…
        os.switchTo(child);
        seen.push(os.kernelReadHeld(0, 0)); // …and the child's shadow has it too
        os.switchTo(1);
        os.kernelRelease(0);
        // Wrap the pool: the idle slot is cleared and, later, reused for another page.
        for (let p = 1; p < 8; p++) os.kernelHold(buf + p * 4096);
        os.kernelRelease(0);
        os.kernelRelease(0);
        os.kernelHold(buf + 9 * 4096);
        os.kernelHold(buf + 10 * 4096);
        os.switchTo(child);
        for (let i = 0; i < os.held.length; i++) seen.push(os.kernelReadHeld(i, 0));
        return seen;
      };
      const native = run(new GuestOs(new NativePlatform(PAGES * 4096), { lowmemPages: LOWMEM, kmapMode }));
      const { os, g } = boot(kmapMode);
      expect(run(os)).toEqual(native);
      expect(native).toEqual([100, 103, 104, 105, 106, 107, 109, 110]);
      expect(g.dead).toBeNull();
    }
  });
});
