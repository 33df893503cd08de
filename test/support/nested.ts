/*
 * A processor with nested paging on, over a Guest's memory laid out in a
 * Host's: the Host's tables in the first frames, the Guest's pages after
 * them, in order or shuffled (a permutation of frames shows that every
 * Guest-physical address really goes through the Host's tables).
 */
import { Mmu, type MmuOptions } from '../../src/hw/mmu.ts';
import { EPT_RAM, NestedPaging } from '../../src/hw/nested.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { eptSet } from '../../src/host/nested/ept.ts';

export interface NestedMachine {
  host: PhysicalMemory;
  mmu: Mmu;
  ept: NestedPaging;
  /** The Host frame of each Guest frame. */
  hostFrame: number[];
  /** Guest-physical address of a Host-physical one inside the Guest's memory (-1 elsewhere). */
  gpaOf(hpa: number): number;
  /** The Guest's memory as it stands, in Guest-physical order. */
  guestBytes(): Uint8Array;
}

/** Host frames the Host's tables may use. Enough for any Guest below 4 GiB of 256 pages or fewer. */
const TABLE_FRAMES = 8;

/**
 * Copy `guest` into a new Host's memory, page `i` at Host frame
 * TABLE_FRAMES + order[i] (in order when `order` is not given), map every
 * Guest frame but those in `unmapped` with all rights (or `rights[i]`), and
 * turn nested paging on.
 */
export function nestedMachine(guest: PhysicalMemory, o: { order?: number[]; unmapped?: number[]; rights?: Map<number, number>; walkCache?: number; mmu?: MmuOptions } = {}): NestedMachine {
  const frames = guest.frames;
  const order = o.order ?? Array.from({ length: frames }, (_, i) => i);
  const host = new PhysicalMemory((TABLE_FRAMES + frames) * 4096);
  let next = 1;
  const alloc = () => {
    if (next >= TABLE_FRAMES) return -1;
    host.zeroFrame(next);
    return next++ * 4096;
  };
  const root = alloc();
  const hostFrame = order.map((slot) => TABLE_FRAMES + slot);
  const guestOf = new Map(hostFrame.map((h, g) => [h, g]));
  const unmapped = new Set(o.unmapped ?? []);
  for (let g = 0; g < frames; g++) {
    host.bytes.set(guest.bytes.subarray(g * 4096, (g + 1) * 4096), hostFrame[g]! * 4096);
    if (!unmapped.has(g) && !eptSet(host, root, g * 4096, hostFrame[g]! * 4096, o.rights?.get(g) ?? EPT_RAM, alloc)) throw new Error('test machine: out of table frames');
  }
  const ept = new NestedPaging(host, root, { walkCache: o.walkCache ?? 0 });
  const mmu = new Mmu(host, o.mmu);
  mmu.setNested(ept);
  return {
    host, mmu, ept, hostFrame,
    gpaOf: (hpa) => {
      const g = guestOf.get(Math.floor(hpa / 4096));
      return g === undefined ? -1 : g * 4096 + (hpa % 4096);
    },
    guestBytes: () => {
      const out = new Uint8Array(frames * 4096);
      for (let g = 0; g < frames; g++) out.set(host.bytes.subarray(hostFrame[g]! * 4096, (hostFrame[g]! + 1) * 4096), g * 4096);
      return out;
    },
  };
}
