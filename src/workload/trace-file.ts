/*
 * Trace files of any length: written as the accesses come, read back a chunk
 * at a time. Nothing here holds more than a chunk of accesses, so a trace of
 * a hundred million accesses costs the same memory as one of a thousand.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip, type Gunzip } from 'node:zlib';
import { basename } from 'node:path';
import { AccessDecoder, AccessEncoder, checkHeader, MAGIC, VERSION, type Trace } from './trace.ts';

// #region G-trace-stream
/**
 * A file being written: gzip of the header and the varints, compressed as
 * they come. `push` never waits; the caller checks `full` now and then and
 * awaits `drain()`, so a fast producer cannot outrun the disk.
 */
export class TraceWriter {
  count = 0;
  private readonly gzip;
  private readonly out;
  private readonly enc: AccessEncoder;
  private backlog = false;

  /** `raw`: no header, any address (the recorder's scratch file of unfolded accesses). */
  constructor(readonly path: string, options: { level?: number; raw?: boolean } = {}) {
    this.gzip = createGzip({ level: options.level ?? 9 });
    this.out = createWriteStream(path);
    this.gzip.pipe(this.out);
    if (!options.raw) this.gzip.write(Uint8Array.from([...MAGIC, VERSION]));
    this.enc = new AccessEncoder((bytes) => {
      if (!this.gzip.write(bytes)) this.backlog = true;
    });
  }

  push(addr: number, kind: number): void {
    this.enc.push(addr, kind);
    this.count++;
  }

  /** True when the compressor has more waiting than it wants. */
  get full(): boolean {
    return this.backlog;
  }

  async drain(): Promise<void> {
    if (!this.backlog) return;
    await once(this.gzip, 'drain');
    this.backlog = false;
  }

  /** Write what is left and close the file. */
  async close(): Promise<void> {
    this.enc.flush();
    this.gzip.end();
    await finished(this.out);
  }
}

/** A chunk of decoded accesses: word-aligned addresses and kinds, `length` of them. */
export interface AccessChunk {
  addrs: Float64Array;
  kinds: Uint8Array;
  length: number;
}

/**
 * A trace file's accesses, a chunk at a time (the same arrays, refilled:
 * use each chunk before asking for the next). `raw` reads a scratch file
 * with no header and 64-bit addresses.
 */
export async function* readTrace(path: string, options: { name?: string; raw?: boolean } = {}): AsyncGenerator<AccessChunk> {
  const name = options.name ?? path;
  const dec = new AccessDecoder(name, options.raw ? 2 ** 50 : 2 ** 30);
  const gunzip: Gunzip = createGunzip();
  const input = createReadStream(path);
  input.on('error', (e) => gunzip.destroy(e));
  input.pipe(gunzip);
  let header: Uint8Array | null = options.raw ? null : new Uint8Array(0);
  try {
    for await (const buf of gunzip as AsyncIterable<Buffer>) {
      let from = 0;
      if (header) {
        // The five header bytes may arrive split; they are checked once all are here.
        const need = 5 - header.length;
        header = Uint8Array.from([...header, ...buf.subarray(0, need)]);
        from = Math.min(need, buf.length);
        if (header.length < 5) continue;
        checkHeader(name, header);
        header = null;
      }
      const n = dec.decode(buf, from);
      if (n) yield { addrs: dec.addrs, kinds: dec.kinds, length: n };
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new Error(`${name}: no such file`);
    if (err.code?.startsWith('Z_') || /incorrect header|unexpected end/.test(err.message)) throw new Error(`${name}: not a gzip file (${err.message})`);
    throw e;
  } finally {
    input.destroy();
  }
  if (header) checkHeader(name, header);
  dec.finish();
}

/** The beginning of a trace file (at most `max` accesses), in memory: for a replay of a window, without reading the rest. */
export async function readTraceStart(path: string, max: number, name = basename(path)): Promise<Trace> {
  const addrs = new Uint32Array(max);
  const kinds = new Uint8Array(max);
  let n = 0;
  for await (const c of readTrace(path, { name })) {
    const take = Math.min(c.length, max - n);
    addrs.set(c.addrs.subarray(0, take), n);
    kinds.set(c.kinds.subarray(0, take), n);
    n += take;
    if (n === max) break;
  }
  return { name, addrs: addrs.slice(0, n), kinds: kinds.slice(0, n) };
}
// #endregion G-trace-stream
