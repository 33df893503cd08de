/*
 * How `translate` explains a walk without the walkers knowing: it stands a
 * recorder between the walk and physical memory, and watches. Every entry the
 * walk reads becomes a step; every Accessed or Dirty bit it sets becomes that
 * step's "after". The walkers stay exactly the code the processor model runs.
 */
import type { PhysicalMemory } from './phys-memory.ts';
import type { WalkMemory, WalkStep } from './walk.ts';

// #region SIM-walk-recorder
/** One entry as the recorder saw it: its address, and its words before and after the walk. */
interface Seen {
  addr: number;
  lo: number;
  hi: number;
  loAfter: number;
  hiAfter: number;
  words: number;
}

/**
 * The memory a walk reads through when `translate` explains it. A walk reads
 * each entry once, low word first, so the reads name the entries in order:
 * `levels[i]` is the level of the i-th entry read. In a dry run the writes
 * stop here, and a later read of the same word sees them, as it would have
 * seen memory.
 */
export class WalkRecorder implements WalkMemory {
  private readonly seen: Seen[] = [];
  private readonly pending = new Map<number, number>();

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly size: 4 | 8,
    private readonly levels: readonly WalkStep['level'][],
    private readonly apply: boolean,
  ) {}

  read32(paddr: number): number {
    const value = this.pending.get(paddr) ?? this.memory.read32(paddr);
    const last = this.seen.at(-1);
    if (this.size === 8 && last?.words === 1 && paddr === last.addr + 4) {
      last.hi = last.hiAfter = value;
      last.words = 2;
    } else {
      this.seen.push({ addr: paddr, lo: value, hi: 0, loAfter: value, hiAfter: 0, words: 1 });
    }
    return value;
  }

  write32(paddr: number, value: number): void {
    if (this.apply) this.memory.write32(paddr, value);
    else this.pending.set(paddr, value >>> 0);
    for (let i = this.seen.length - 1; i >= 0; i--) {
      const e = this.seen[i]!;
      if (paddr === e.addr) return void (e.loAfter = value >>> 0);
      if (paddr === e.addr + 4) return void (e.hiAfter = value >>> 0);
    }
  }

  /** The entries read, as walk steps. */
  steps(): WalkStep[] {
    const { size } = this;
    const word = (lo: number, hi: number) => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    return this.seen.map((e, i) => ({
      level: this.levels[i]!,
      // Every table is page-aligned, so an entry's offset in its page is its index.
      index: (e.addr % 4096) / size,
      entryAddr: e.addr,
      size,
      before: word(e.lo, e.hi),
      after: word(e.loAfter, e.hiAfter),
    }));
  }
}
// #endregion SIM-walk-recorder
