// A memory is whole frames, and a window onto another's bytes is exactly its
// size and word-aligned: anything else is refused when it is made, with a
// message that says what was wrong, never discovered later as a stray word.
import { describe, expect, test } from 'vitest';
import { PAGE_SIZE, PhysicalMemory } from '../../src/hw/phys-memory.ts';

describe('physical memory refuses a shape it cannot be', () => {
  test('a size that is not a positive whole number of frames', () => {
    for (const size of [0, -PAGE_SIZE, 1000, PAGE_SIZE + 2, 1.5, NaN, Infinity]) {
      expect(() => new PhysicalMemory(size), String(size)).toThrow(RangeError);
    }
    expect(() => new PhysicalMemory(0)).toThrow(`physical memory size must be a positive multiple of ${PAGE_SIZE}, got 0`);
    expect(() => new PhysicalMemory(-PAGE_SIZE)).toThrow(`got -${PAGE_SIZE}`);
    expect(new PhysicalMemory(2 * PAGE_SIZE).frames).toBe(2);
  });

  test('a window of the wrong length, or not on a word boundary', () => {
    const host = new Uint8Array(4 * PAGE_SIZE);
    const message = 'a window onto memory must be word-aligned and exactly `size` bytes';
    // Longer than its size: the engine would happily make the views.
    expect(() => new PhysicalMemory(PAGE_SIZE, host.subarray(0, 2 * PAGE_SIZE))).toThrow(message);
    // Shorter than its size.
    expect(() => new PhysicalMemory(2 * PAGE_SIZE, host.subarray(0, PAGE_SIZE))).toThrow(message);
    // The right length, two bytes off a word boundary.
    expect(() => new PhysicalMemory(PAGE_SIZE, host.subarray(2, 2 + PAGE_SIZE))).toThrow(message);
    // The right window works, and sees its owner's bytes from its own address 0.
    host[PAGE_SIZE + 4] = 0x5a;
    const window = new PhysicalMemory(PAGE_SIZE, host.subarray(PAGE_SIZE, 2 * PAGE_SIZE));
    expect(window.read8(4)).toBe(0x5a);
  });

  test('a frame asked for by an address inside it', () => {
    const m = new PhysicalMemory(2 * PAGE_SIZE);
    expect(() => m.frameWords(0x1004)).toThrow('0x1004 is not the start of a frame');
  });
});
