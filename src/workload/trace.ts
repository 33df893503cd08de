/*
 * Memory-access traces of real programs, in a compact replay format.
 *
 * A trace is a list of word accesses (read, write or fetch at a 32-bit user
 * address). On disk it is gzip of: the magic "LGJT", a format version byte,
 * then one varint per access: zigzag(word-address delta) * 4 + kind. Real
 * programs mostly step a few words at a time, so most accesses take a byte.
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

const MAGIC = [0x4c, 0x47, 0x4a, 0x54]; // "LGJT"
const VERSION = 1;

/** Encode accesses into the replay format. */
export function encodeTrace(addrs: ArrayLike<number>, kinds: ArrayLike<number>): Uint8Array {
  const out: number[] = [...MAGIC, VERSION];
  let prev = 0;
  for (let i = 0; i < addrs.length; i++) {
    const word = addrs[i]! >>> 2;
    const delta = word - prev;
    prev = word;
    // Zigzag keeps small negative steps small; * 4 leaves room for the kind.
    let v = (delta >= 0 ? delta * 2 : -delta * 2 - 1) * 4 + kinds[i]!;
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
  }
  return gzipSync(Uint8Array.from(out), { level: 9 });
}

/** Decode a trace file's bytes; a file that is not a trace is refused with a reason. */
export function decodeTrace(name: string, gz: Uint8Array): Trace {
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(gz);
  } catch (e) {
    throw new Error(`${name}: not a gzip file (${(e as Error).message})`);
  }
  if (bytes.length < 5 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${name}: not an lguest-journey trace (no LGJT magic)`);
  if (bytes[4] !== VERSION) throw new Error(`${name}: trace format version ${bytes[4]}, expected ${VERSION}`);
  let n = 0;
  for (let i = 5; i < bytes.length; i++) if (bytes[i]! < 0x80) n++;
  const addrs = new Uint32Array(n);
  const kinds = new Uint8Array(n);
  let word = 0;
  let at = 5;
  for (let i = 0; i < n; i++) {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
    }
    const kind = v % 4;
    const z = Math.floor(v / 4);
    word += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    if (kind > FETCH || word < 0 || word >= 2 ** 30) throw new Error(`${name}: corrupt record ${i}`);
    addrs[i] = word * 4;
    kinds[i] = kind;
  }
  if (at !== bytes.length) throw new Error(`${name}: truncated trace`);
  return { name, addrs, kinds };
}

export { FETCH, READ, WRITE };
// #endregion G-trace-format
