/*
 * Memory-access traces of real programs, in a compact replay format.
 *
 * A trace is a list of word accesses (read, write or fetch at a 32-bit user
 * address). On disk it is gzip of: the magic "LGJT", a format version byte,
 * then one varint per access: zigzag(word-address delta) * 4 + kind. Real
 * programs mostly step a few words at a time, so most accesses take a byte.
 * The coder works a chunk at a time, so a trace of any length can be written
 * and read in constant memory (trace-file.ts does that with files).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { FETCH, READ, WRITE } from '../hw/rights.ts';

// #region G-trace-format
export interface Trace {
  name: string;
  /** Word-aligned virtual address of each access. */
  addrs: Uint32Array;
  /** READ, WRITE or FETCH for each access. */
  kinds: Uint8Array;
}

export const MAGIC = [0x4c, 0x47, 0x4a, 0x54]; // "LGJT"
export const VERSION = 1;

/**
 * Accesses into varints, a chunk at a time: each full chunk goes to `emit`,
 * and is never touched again (a stream may still hold it). Addresses are
 * plain numbers, exact up to 2^53, so the same coder carries a 64-bit
 * process's addresses before they are folded.
 */
export class AccessEncoder {
  private prev = 0;
  private buf: Uint8Array;
  private at = 0;

  constructor(private readonly emit: (bytes: Uint8Array) => void, private readonly chunk = 1 << 16) {
    this.buf = new Uint8Array(chunk);
  }

  push(addr: number, kind: number): void {
    const word = Math.floor(addr / 4);
    const delta = word - this.prev;
    this.prev = word;
    // Zigzag keeps small negative steps small; * 4 leaves room for the kind.
    let v = (delta >= 0 ? delta * 2 : -delta * 2 - 1) * 4 + kind;
    if (this.at + 8 > this.buf.length) this.flush();
    const buf = this.buf;
    while (v >= 0x80) {
      buf[this.at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[this.at++] = v;
  }

  /** Hand over what is buffered. */
  flush(): void {
    if (this.at === 0) return;
    this.emit(this.buf.subarray(0, this.at));
    this.buf = new Uint8Array(this.chunk);
    this.at = 0;
  }
}

/**
 * Varints back into accesses, a chunk of bytes at a time; a varint may be
 * split between two chunks. Each call fills `addrs` and `kinds` from the
 * start and returns how many it decoded, which is at most the chunk's length.
 * `wordLimit` bounds a word address (2^30 for a trace's 32-bit user half).
 */
export class AccessDecoder {
  addrs: Float64Array = new Float64Array(0);
  kinds: Uint8Array = new Uint8Array(0);
  /** Accesses decoded so far, over all chunks. */
  count = 0;
  private word = 0;
  private v = 0;
  private scale = 1;

  constructor(private readonly name: string, private readonly wordLimit: number) {}

  decode(bytes: Uint8Array, from = 0): number {
    if (this.addrs.length < bytes.length - from) {
      this.addrs = new Float64Array(bytes.length - from);
      this.kinds = new Uint8Array(bytes.length - from);
    }
    const { addrs, kinds, wordLimit } = this;
    let n = 0;
    let { v, scale, word } = this;
    for (let i = from; i < bytes.length; i++) {
      const b = bytes[i]!;
      v += (b & 0x7f) * scale;
      if (b >= 0x80) {
        scale *= 0x80;
        continue;
      }
      const kind = v % 4;
      const z = Math.floor(v / 4);
      word += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      if (kind > FETCH || word < 0 || word >= wordLimit) throw new Error(`${this.name}: corrupt record ${this.count + n}`);
      addrs[n] = word * 4;
      kinds[n++] = kind;
      v = 0;
      scale = 1;
    }
    this.v = v;
    this.scale = scale;
    this.word = word;
    this.count += n;
    return n;
  }

  /** At the end of the input: a varint cut in half means the trace was cut short. */
  finish(): void {
    if (this.scale !== 1) throw new Error(`${this.name}: truncated trace`);
  }
}

/** The five bytes every trace begins with, checked: a file that is not a trace is refused with a reason. */
export function checkHeader(name: string, bytes: Uint8Array): void {
  if (bytes.length < 5 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${name}: not an lguest-journey trace (no LGJT magic)`);
  if (bytes[4] !== VERSION) throw new Error(`${name}: trace format version ${bytes[4]}, expected ${VERSION}`);
}

/** Encode accesses into the replay format, all at once. */
export function encodeTrace(addrs: ArrayLike<number>, kinds: ArrayLike<number>): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.from([...MAGIC, VERSION])];
  const enc = new AccessEncoder((b) => parts.push(b));
  for (let i = 0; i < addrs.length; i++) enc.push(addrs[i]! >>> 0, kinds[i]!);
  enc.flush();
  return gzipSync(Buffer.concat(parts), { level: 9 });
}

/** Decode a trace file's bytes, all at once; a file that is not a trace is refused with a reason. */
export function decodeTrace(name: string, gz: Uint8Array): Trace {
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(gz);
  } catch (e) {
    throw new Error(`${name}: not a gzip file (${(e as Error).message})`);
  }
  checkHeader(name, bytes);
  const dec = new AccessDecoder(name, 2 ** 30);
  const n = dec.decode(bytes, 5);
  dec.finish();
  return { name, addrs: Uint32Array.from(dec.addrs.subarray(0, n)), kinds: dec.kinds.slice(0, n) };
}

export { FETCH, READ, WRITE };
// #endregion G-trace-format
