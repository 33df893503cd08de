/**
 * Runs x86 paging conformance vectors (JSON Lines, format in
 * shared/reference/x86-vectors/README.md) through `src/hw` and compares every
 * observable: fault, error code, CR2, physical address, and each entry's
 * Accessed and Dirty bits afterwards.
 */
import { PhysicalMemory } from '../hw/phys-memory.ts';
import { GeneralProtectionFault, PageFault } from '../hw/fault.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PSE, CR4_SMAP, CR4_SMEP, EFER_LME, EFER_NXE, Mmu } from '../hw/mmu.ts';
import { FETCH, READ, WRITE } from '../hw/rights.ts';

export interface VectorEntry {
  paddr: string;
  value: string;
  size?: 4 | 8;
}

export interface VectorCase {
  id: string;
  mode: '32bit' | 'pae' | 'ia32e';
  cr0_wp: number;
  cr4_pse: number;
  efer_nxe: number;
  cr4_smep?: number;
  cr4_smap?: number;
  eflags_ac?: number;
  cpl: number;
  access: 'read' | 'write' | 'fetch';
  cr3: string;
  vaddr: string;
  entries: VectorEntry[];
  expect: {
    fault: boolean;
    error_code: number | null;
    cr2: string | null;
    paddr: string | null;
    entries_after: { paddr: string; value: string }[];
  };
}

export interface VectorOutcome {
  fault: boolean;
  errorCode: number | null;
  cr2: bigint | null;
  paddr: bigint | null;
  entriesAfter: bigint[];
  /** Set when the processor raised something other than #PF (e.g. #GP on a PDPTE load). */
  otherException?: string;
}

const MIB = 1024 * 1024;
/** The value every write in a vector stores; the vectors only look at paging state. */
const WRITE_VALUE = 0x5a5a_5a5a;

/** A linear address from a vector, as the MMU takes it (IA-32e: signed 48-bit). */
function linear(vaddr: bigint, mode: VectorCase['mode']): number {
  if (mode !== 'ia32e') return Number(vaddr);
  return Number(BigInt.asIntN(64, vaddr));
}

/**
 * Zeroed physical memory, reused from case to case. Making 16 MiB afresh for
 * every case cost nearly all of a run's time; instead, a case hands back the
 * byte ranges it wrote (its entries and its data write), and they are zeroed.
 * Nothing else can have changed: the walk sets bits only in present entries,
 * and every present entry is one the case wrote.
 */
export class MemoryPool {
  private memory: PhysicalMemory | null = null;

  /** All-zero memory of at least `size` bytes. */
  take(size: number): PhysicalMemory {
    if (this.memory === null || this.memory.size < size) this.memory = new PhysicalMemory(size);
    return this.memory;
  }

  /** Zero what a case wrote: `[paddr, paddr + length)` for each range. */
  give(ranges: readonly (readonly [number, number])[]): void {
    for (const [paddr, length] of ranges) this.memory?.bytes.fill(0, paddr, paddr + length);
  }

  /** Whether every byte is zero again (a check that `give` was told every write). */
  isClean(): boolean {
    if (this.memory === null) return true;
    const words = new Uint32Array(this.memory.bytes.buffer);
    for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false;
    return true;
  }
}

/** Apply one case to a fresh machine (zeroed memory from `pool`, if given) and report what it observed. */
export function runVector(c: VectorCase, pool: MemoryPool = new MemoryPool()): VectorOutcome {
  const sizes = c.entries.map((e) => e.size ?? (c.mode === '32bit' ? 4 : 8));
  const highest = Math.max(16 * MIB, ...c.entries.map((e) => Number(BigInt(e.paddr)) + 8));
  const memory = pool.take(Math.ceil(highest / MIB) * MIB);
  const written: [number, number][] = c.entries.map((e, i) => [Number(BigInt(e.paddr)), sizes[i]!]);
  c.entries.forEach((e, i) => {
    if (sizes[i] === 8) memory.write64(Number(BigInt(e.paddr)), BigInt(e.value));
    else memory.write32(Number(BigInt(e.paddr)), Number(BigInt(e.value)));
  });
  const readBack = () => c.entries.map((e, i) => (sizes[i] === 8 ? memory.read64(Number(BigInt(e.paddr))) : BigInt(memory.read32(Number(BigInt(e.paddr))))));

  // One access needs one TLB entry; a small TLB is quicker to make and to re-key at every control write.
  const mmu = new Mmu(memory, { tlbSize: 16 });
  const outcome: VectorOutcome = { fault: false, errorCode: null, cr2: null, paddr: null, entriesAfter: [] };
  try {
    mmu.writeCr3(Number(BigInt(c.cr3)));
    mmu.writeCr4((c.cr4_pse ? CR4_PSE : 0) | (c.mode !== '32bit' ? CR4_PAE : 0) | (c.cr4_smep ? CR4_SMEP : 0) | (c.cr4_smap ? CR4_SMAP : 0));
    mmu.writeEfer((c.efer_nxe ? EFER_NXE : 0) | (c.mode === 'ia32e' ? EFER_LME : 0));
    mmu.writeCr0(CR0_PE | CR0_PG | (c.cr0_wp ? CR0_WP : 0));
    mmu.setCpl(c.cpl);
    mmu.setAc(Boolean(c.eflags_ac));

    const vaddr = linear(BigInt(c.vaddr), c.mode);
    const kind = c.access === 'read' ? READ : c.access === 'write' ? WRITE : FETCH;
    // Translation is what the vectors test. The data access then happens only
    // where this machine has memory: a 1 GiB page may map beyond it, and a
    // real machine would just read an empty bus there.
    const paddr = mmu.physical(vaddr, kind);
    if (paddr < 0) throw new PageFault(mmu.cr2, mmu.lastErrorCode);
    outcome.paddr = BigInt(paddr);
    if (paddr + 4 <= memory.size) {
      if (c.access === 'read') mmu.read32(vaddr);
      else if (c.access === 'write') {
        written.push([paddr, 4]);
        mmu.write32(vaddr, WRITE_VALUE);
      } else mmu.fetch32(vaddr);
    }
  } catch (e) {
    if (e instanceof PageFault) {
      outcome.fault = true;
      outcome.errorCode = e.errorCode;
      outcome.cr2 = BigInt.asUintN(64, BigInt(e.address));
    } else if (e instanceof GeneralProtectionFault) {
      outcome.otherException = e.message;
    } else {
      pool.give(written);
      throw e;
    }
  }
  outcome.entriesAfter = readBack();
  pool.give(written);
  return outcome;
}

/** Compare an outcome with a case's expectations: one message per difference. */
export function compareVector(c: VectorCase, got: VectorOutcome): string[] {
  const hex = (v: bigint | null) => (v === null ? 'null' : `0x${v.toString(16)}`);
  const big = (s: string | null) => (s === null ? null : BigInt(s));
  const problems: string[] = [];
  if (got.otherException) problems.push(`expected ${c.expect.fault ? '#PF' : 'no fault'}, got ${got.otherException}`);
  if (got.fault !== c.expect.fault) problems.push(`fault: expected ${c.expect.fault}, got ${got.fault}`);
  if (got.errorCode !== c.expect.error_code) problems.push(`error_code: expected ${c.expect.error_code}, got ${got.errorCode}`);
  if (got.cr2 !== big(c.expect.cr2)) problems.push(`cr2: expected ${c.expect.cr2}, got ${hex(got.cr2)}`);
  if (got.paddr !== big(c.expect.paddr)) problems.push(`paddr: expected ${c.expect.paddr}, got ${hex(got.paddr)}`);
  for (const after of c.expect.entries_after) {
    const i = c.entries.findIndex((e) => BigInt(e.paddr) === BigInt(after.paddr));
    const actual = i < 0 ? null : got.entriesAfter[i]!;
    if (actual !== BigInt(after.value)) problems.push(`entry at ${after.paddr}: expected ${after.value}, got ${hex(actual)}`);
  }
  return problems;
}

/** Run every case of a JSON Lines text; report mismatches as `file:line: id: message`. */
export function runVectorText(text: string, file: string): { passed: number; failed: number; lines: string[] } {
  let passed = 0;
  let failed = 0;
  const lines: string[] = [];
  const pool = new MemoryPool();
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '') return;
    let c: VectorCase;
    try {
      c = JSON.parse(line) as VectorCase;
    } catch (e) {
      failed++;
      lines.push(`${file}:${n + 1}: not valid JSON: ${(e as Error).message}`);
      return;
    }
    let problems: string[];
    try {
      problems = compareVector(c, runVector(c, pool));
    } catch (e) {
      problems = [`the runner threw ${(e as Error).name}: ${(e as Error).message}`];
    }
    if (problems.length === 0) passed++;
    else {
      failed++;
      lines.push(`${file}:${n + 1}: ${c.id}: ${problems.join('; ')}`);
    }
  });
  if (!pool.isClean()) throw new Error(`${file}: a case wrote memory the runner did not zero afterwards`);
  return { passed, failed, lines };
}
