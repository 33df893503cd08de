/*
 * Reading valgrind's lackey as it streams (valgrind --tool=lackey
 * --trace-mem=yes): one line per access, "I  04222cac,3" for a fetch and
 * " L ", " S ", " M " for a load, a store and a modify, between valgrind's
 * own "==pid==" and "--pid--" lines. The parser works on bytes, a chunk at a
 * time, and keeps nothing but the line it is in the middle of.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { FETCH, READ, WRITE } from '../hw/rights.ts';

// #region G-lackey
/**
 * Where recording starts. `start`: the first access valgrind shows, which
 * is the dynamic loader's (ld.so maps the libraries and relocates them
 * before the program runs: a third of a short program's trace). `exe`: the
 * first instruction fetched from the program's own code, which is its entry
 * point, once the loader has handed over.
 */
export type StartAt = 'start' | 'exe';

export interface LackeyOptions {
  from: StartAt;
  /** Accesses to drop after the start, before the window opens. */
  skip: number;
  /** The window: at most this many accesses are kept. */
  max: number;
}

/** The executable's code, as address ranges in the running process. */
interface Range {
  lo: number;
  hi: number;
}

export class LackeyParser {
  /** Accesses before the start, skipped after it, and kept. */
  before = 0;
  skipped = 0;
  kept = 0;
  /** The window is full: the caller may stop the program. */
  done = false;
  /** What `from: 'exe'` found: the executable and its code ranges. */
  exe: { path: string; code: Range[] } | null = null;
  private started: boolean;
  private carry: Uint8Array = new Uint8Array(0);
  /** After "Reading syms from" the main executable, the next svma/avma line gives its load address. */
  private awaitingBias: string | null = null;

  constructor(private readonly options: LackeyOptions, private readonly onAccess: (addr: number, kind: number) => void) {
    this.started = options.from === 'start';
  }

  /** Parse a chunk; a line cut in two is finished by the next chunk. */
  write(chunk: Uint8Array): void {
    let start = 0;
    if (this.carry.length) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.carry = concat(this.carry, chunk);
        return;
      }
      const line = concat(this.carry, chunk.subarray(0, nl));
      this.carry = new Uint8Array(0);
      this.line(line, 0, line.length);
      start = nl + 1;
    }
    while (!this.done) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        this.carry = chunk.slice(start);
        return;
      }
      this.line(chunk, start, nl);
      start = nl + 1;
    }
  }

  /** The end of the log: the last line may lack its newline. */
  end(): void {
    if (this.carry.length && !this.done) this.line(this.carry, 0, this.carry.length);
    this.carry = new Uint8Array(0);
    if (!this.started) {
      throw new Error(this.exe
        ? `no instruction was fetched from ${this.exe.path}'s code: nothing to record (try --from start)`
        : "valgrind's log never named the executable (record with -v -v -v, as `npm run trace -- record` does, or use --from start)");
    }
  }

  private line(b: Uint8Array, s: number, e: number): void {
    let kind: number;
    let i: number;
    let modify = false;
    if (b[s] === 0x49 && b[s + 1] === 0x20) {
      kind = FETCH;
      i = s + 2;
    } else if (b[s] === 0x20 && b[s + 2] === 0x20) {
      const c = b[s + 1];
      if (c === 0x4c) kind = READ;
      else if (c === 0x53) kind = WRITE;
      else if (c === 0x4d) (kind = READ), (modify = true);
      else return;
      i = s + 3;
    } else {
      if (!this.started && b[s] === 0x2d) this.valgrindSays(Buffer.from(b.subarray(s, e)).toString('latin1'));
      return;
    }
    while (b[i] === 0x20) i++;
    let addr = 0;
    const first = i;
    for (; i < e; i++) {
      const c = b[i]!;
      const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
      if (d < 0) break;
      addr = addr * 16 + d;
    }
    // Not an access after all (or an address beyond 2^52, which no user process has).
    if (b[i] !== 0x2c || i === first || i - first > 13) return;
    this.access(addr, kind);
    // M is a load and a store of the same place (an add to memory, an increment).
    if (modify && !this.done) this.access(addr, WRITE);
  }

  private access(addr: number, kind: number): void {
    if (!this.started) {
      if (kind !== FETCH || !this.exe || !this.exe.code.some((r) => addr >= r.lo && addr < r.hi)) {
        this.before++;
        return;
      }
      this.started = true;
    }
    if (this.skipped < this.options.skip) {
      this.skipped++;
      return;
    }
    this.onAccess(addr, kind);
    if (++this.kept >= this.options.max) this.done = true;
  }

  /**
   * valgrind -v -v -v names each object as it reads its symbols, the main
   * executable first, then where its text went: "svma 0x…, avma 0x…", the
   * address in the file and in the process. Their difference is where the
   * executable was loaded.
   */
  private valgrindSays(text: string): void {
    if (this.options.from !== 'exe') return;
    const reading = /^--\d+-- Reading syms from (.+)$/.exec(text);
    if (reading && !this.exe && this.awaitingBias === null) {
      this.awaitingBias = reading[1]!.trim();
      return;
    }
    const svma = /^--\d+--\s+svma 0x([0-9a-f]+), avma 0x([0-9a-f]+)/.exec(text);
    if (svma && this.awaitingBias !== null) {
      const path = this.awaitingBias;
      const bias = parseInt(svma[2]!, 16) - parseInt(svma[1]!, 16);
      this.exe = { path, code: executableSegments(path).map((r) => ({ lo: r.lo + bias, hi: r.hi + bias })) };
      this.awaitingBias = null;
    }
  }
}

/**
 * The executable segments of an ELF file (its PT_LOAD headers with PF_X), as
 * addresses before relocation. 64-bit little-endian ELF only, which is what
 * valgrind's amd64 port runs.
 */
export function executableSegments(path: string): Range[] {
  // The ELF header and the program headers: the first few kilobytes, not the whole file.
  const read = (at: number, n: number) => {
    const b = Buffer.alloc(n);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, b, 0, n, at);
    } finally {
      closeSync(fd);
    }
    return b;
  };
  const f = read(0, 64);
  if (f.readUInt32BE(0) !== 0x7f454c46 || f[4] !== 2 || f[5] !== 1) throw new Error(`${path}: not a 64-bit little-endian ELF executable`);
  const phentsize = f.readUInt16LE(0x36);
  const phnum = f.readUInt16LE(0x38);
  const ph = read(Number(f.readBigUInt64LE(0x20)), phentsize * phnum);
  const out: Range[] = [];
  for (let i = 0; i < phnum; i++) {
    const h = i * phentsize;
    const PT_LOAD = 1;
    const PF_X = 1;
    if (ph.readUInt32LE(h) !== PT_LOAD || !(ph.readUInt32LE(h + 4) & PF_X)) continue;
    const vaddr = Number(ph.readBigUInt64LE(h + 0x10));
    out.push({ lo: vaddr, hi: vaddr + Number(ph.readBigUInt64LE(h + 0x28)) });
  }
  if (!out.length) throw new Error(`${path}: no executable segment`);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
// #endregion G-lackey
