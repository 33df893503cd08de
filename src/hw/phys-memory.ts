/*
 * Physical memory: the bottom of everything. The processor's page walker, the
 * hypervisor's shadow tables and the guest's own page tables all end up as
 * loads and stores into this one flat array of bytes.
 */

// #region HW-phys-memory
/** Bytes in a page frame: x86's smallest page, and the unit of everything. */
export const PAGE_SIZE = 4096;
/** log2(PAGE_SIZE): an address shifted right by this is its frame number. */
export const PAGE_SHIFT = 12;

/** A physical address (a byte offset into physical memory). */
export type PhysAddr = number;

/**
 * An access that falls outside physical memory. A real machine would read
 * all-ones from an empty bus or raise a machine check; we refuse loudly,
 * because a silent wrap-around would hide exactly the bugs this book is about.
 */
export class BusError extends Error {
  constructor(
    readonly paddr: PhysAddr,
    readonly size: number,
    readonly memorySize: number,
  ) {
    super(
      `physical access of ${size} byte(s) at 0x${paddr.toString(16)} is outside ` +
        `physical memory [0, 0x${memorySize.toString(16)})`,
    );
    this.name = 'BusError';
  }
}

/**
 * Flat, bounds-checked physical memory made of 4 KiB frames. Loads and stores
 * are little-endian, as on x86, in 8, 16, 32 and 64 bits; 64-bit values are
 * bigints so that PAE and IA-32e entries keep all their bits.
 */
export class PhysicalMemory {
  /** The bytes themselves, for tools that want to look (dumps, figures). */
  readonly bytes: Uint8Array;
  /** The same bytes as 32-bit words: the fast path for aligned loads. */
  private readonly words: Uint32Array;
  private readonly view: DataView;

  /**
   * `size` bytes of new, zeroed memory; or, given `bytes`, a window onto
   * memory that already exists (a Guest's slice of the Host's, seen from
   * inside: its address 0 is the slice's first byte).
   */
  constructor(readonly size: number, bytes?: Uint8Array) {
    if (!Number.isInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) {
      throw new RangeError(`physical memory size must be a positive multiple of ${PAGE_SIZE}, got ${size}`);
    }
    if (bytes && (bytes.byteLength !== size || bytes.byteOffset % 4 !== 0)) throw new RangeError('a window onto memory must be word-aligned and exactly `size` bytes');
    // A memory its owner handed back is zeroed and used again (see recycleMemory).
    this.bytes = bytes ?? takeSpare(size) ?? new Uint8Array(size);
    this.words = new Uint32Array(this.bytes.buffer, this.bytes.byteOffset, size >>> 2);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, size);
  }

  /** How many 4 KiB frames this memory holds. */
  get frames(): number {
    return this.size / PAGE_SIZE;
  }

  /** Refuse any access that does not lie wholly inside memory. */
  check(paddr: PhysAddr, size: number): void {
    if (!(paddr >= 0 && paddr + size <= this.size) || !Number.isInteger(paddr)) {
      throw new BusError(paddr, size, this.size);
    }
  }

  read8(paddr: PhysAddr): number {
    this.check(paddr, 1);
    return this.bytes[paddr]!;
  }

  read16(paddr: PhysAddr): number {
    this.check(paddr, 2);
    return this.view.getUint16(paddr, true);
  }

  read32(paddr: PhysAddr): number {
    // The common case, an aligned word, skips the DataView. `i << 2` gives
    // back `paddr` only for an aligned whole number below 2 GiB, and a word
    // past the end reads undefined: anything else goes the slow way, and fails there.
    const i = paddr >>> 2;
    if (i << 2 === paddr) {
      const word = this.words[i];
      if (word !== undefined) return word;
    }
    this.check(paddr, 4);
    return this.view.getUint32(paddr, true);
  }

  read64(paddr: PhysAddr): bigint {
    this.check(paddr, 8);
    return this.view.getBigUint64(paddr, true);
  }

  write8(paddr: PhysAddr, value: number): void {
    this.check(paddr, 1);
    this.bytes[paddr] = value;
  }

  write16(paddr: PhysAddr, value: number): void {
    this.check(paddr, 2);
    this.view.setUint16(paddr, value, true);
  }

  write32(paddr: PhysAddr, value: number): void {
    const i = paddr >>> 2;
    if (i << 2 === paddr && i < this.words.length) {
      this.words[i] = value;
      return;
    }
    this.check(paddr, 4);
    this.view.setUint32(paddr, value >>> 0, true);
  }

  write64(paddr: PhysAddr, value: bigint): void {
    this.check(paddr, 8);
    this.view.setBigUint64(paddr, BigInt.asUintN(64, value), true);
  }

  /**
   * The frame at `paddr` as its 1024 words, for code that reads a whole page
   * table entry by entry (a Host throwing its shadows away): one check for
   * the page, not one per load. A view, not a copy: it sees later stores.
   */
  frameWords(paddr: PhysAddr): Uint32Array {
    if (paddr % PAGE_SIZE !== 0) throw new RangeError(`0x${paddr.toString(16)} is not the start of a frame`);
    this.check(paddr, PAGE_SIZE);
    return this.words.subarray(paddr >>> 2, (paddr + PAGE_SIZE) >>> 2);
  }

  /** Zero one whole frame: how every fresh page table starts life. */
  zeroFrame(pfn: number): void {
    this.check(pfn * PAGE_SIZE, PAGE_SIZE);
    this.bytes.fill(0, pfn * PAGE_SIZE, (pfn + 1) * PAGE_SIZE);
  }
}
// #endregion HW-phys-memory

// #region X-memory-reuse
// unwoven: the simulator's housekeeping, not x86: one machine's RAM handed on to the next.
/**
 * Memories whose owners are done with them, by size. A new typed array of
 * many megabytes costs a page fault for each of its pages as the engine
 * zeroes it, and on a virtual machine those faults can cost more than all
 * the accesses of a trace replay; zeroing an array already in place costs a
 * fraction of that.
 */
const spares = new Map<number, Uint8Array[]>();

/** A zeroed spare of `size` bytes, if there is one. */
function takeSpare(size: number): Uint8Array | undefined {
  const bytes = spares.get(size)?.pop();
  bytes?.fill(0);
  return bytes;
}

/**
 * Hand `memory`'s bytes on to the next memory of the same size. Only for an
 * owner that will never touch them again, nor anything made over them (a
 * window onto them, an MMU): a trace replay does it with the machine it made
 * when it has counted what it needs. A window is not its own to give.
 */
export function recycleMemory(memory: PhysicalMemory): void {
  const bytes = memory.bytes;
  if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) return;
  const list = spares.get(memory.size) ?? [];
  if (list.length < 2 && !list.includes(bytes)) list.push(bytes);
  spares.set(memory.size, list);
}
// #endregion X-memory-reuse

// #region X-endianness-guard
// unwoven: a start-up assertion about the JavaScript engine, not about x86.
// The aligned fast path reads a Uint32Array, which uses the host's byte order.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('lguest-journey needs a little-endian JavaScript engine');
}
// #endregion X-endianness-guard
