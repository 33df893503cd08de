// A trace replay hands its machine's memory back when it is done
// (recycleMemory), and the next memory of that size is made over the same
// bytes, zeroed. What that promises: the bytes really are used again (a fresh
// array of many megabytes is what it saves), they start as zeros, no two
// memories alive at once share them, at most two wait per size, and a window
// onto someone else's bytes is never handed on (zeroing it would wipe its owner).
import { describe, expect, test } from 'vitest';
// (Identity is compared with ===, not toBe: a failing toBe would print two arrays of tens of thousands of bytes.)
import { PAGE_SIZE, PhysicalMemory, recycleMemory } from '../../src/hw/phys-memory.ts';

/**
 * A size no other test recycles (the spares are shared by everything in the
 * process), with whatever is waiting for it taken first: at most two wait.
 */
function freshSize(frames: number): number {
  const size = frames * PAGE_SIZE;
  new PhysicalMemory(size);
  new PhysicalMemory(size);
  return size;
}

describe('memory handed back is used again', () => {
  test('the first memory ever handed back of its size serves the next, zeroed, and then no more', () => {
    // 11 frames: used by this test alone, so nothing of this size was ever recycled.
    const size = 11 * PAGE_SIZE;
    const old = new PhysicalMemory(size);
    old.write32(0x2000, 0xdead_beef);
    recycleMemory(old);
    const next = new PhysicalMemory(size);
    expect(next.bytes === old.bytes).toBe(true);
    expect(next.bytes.every((b) => b === 0)).toBe(true);
    expect(next.read32(0x2000)).toBe(0);
    const after = new PhysicalMemory(size);
    expect(after.bytes === old.bytes).toBe(false);
  });

  test('two wait for each size, the last handed back served first; a third is let go', () => {
    const size = freshSize(13);
    const [a, b, c] = [new PhysicalMemory(size), new PhysicalMemory(size), new PhysicalMemory(size)];
    recycleMemory(a);
    recycleMemory(b);
    recycleMemory(c);
    expect(new PhysicalMemory(size).bytes === b.bytes).toBe(true);
    expect(new PhysicalMemory(size).bytes === a.bytes).toBe(true);
    const third = new PhysicalMemory(size);
    expect([a.bytes, b.bytes, c.bytes].includes(third.bytes)).toBe(false);
  });

  test('a memory handed back twice serves one memory, not two at once', () => {
    const size = freshSize(14);
    const a = new PhysicalMemory(size);
    recycleMemory(a);
    recycleMemory(a);
    const first = new PhysicalMemory(size);
    const second = new PhysicalMemory(size);
    expect(first.bytes === a.bytes).toBe(true);
    expect(second.bytes === a.bytes).toBe(false);
  });

  test('a spare is kept for its own size only', () => {
    const size = freshSize(15);
    const other = freshSize(16);
    const a = new PhysicalMemory(size);
    recycleMemory(a);
    expect(new PhysicalMemory(other).bytes === a.bytes).toBe(false);
    expect(new PhysicalMemory(size).bytes === a.bytes).toBe(true);
  });

  test('a window onto another memory is not its own to hand back', () => {
    const size = freshSize(17);
    // A window at the start of a larger memory, and one further in.
    const host = new PhysicalMemory(2 * size);
    host.write32(0x10, 0x1234_5678);
    host.write32(size + 0x10, 0x9abc_def0);
    const first = new PhysicalMemory(size, host.bytes.subarray(0, size));
    const second = new PhysicalMemory(size, host.bytes.subarray(size, 2 * size));
    recycleMemory(first);
    recycleMemory(second);
    const next = new PhysicalMemory(size);
    expect(next.bytes.buffer === host.bytes.buffer).toBe(false);
    // And its owner's bytes were not zeroed to serve it.
    expect(host.read32(0x10)).toBe(0x1234_5678);
    expect(host.read32(size + 0x10)).toBe(0x9abc_def0);
  });
});
