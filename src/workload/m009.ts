/*
 * M:009 measured: the committed traces replayed under the Host in both kmap
 * modes, as guest memory grows past lowmem and as the kernel's highmem
 * traffic grows. Counts are exact and repeatable; times are this machine's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replay, type Workload, type WorkloadResult } from './replay.ts';
import { decodeTrace, type Trace } from './trace.ts';

// #region G-m009
/** The traces under test/fixtures/traces, in name order. */
export function loadTraces(root: string): Trace[] {
  const dir = join(root, 'test/fixtures/traces');
  return readdirSync(dir).filter((f) => f.endsWith('.lgjt.gz')).sort().map((f) => decodeTrace(f, readFileSync(join(dir, f))));
}

/**
 * Our lowmem is 8 MiB where a 32-bit Linux had about 896 MiB: the model is
 * scaled down, so that a few traced programs fill it.
 */
export const LOWMEM_PAGES = 2048;

export interface M009Row {
  label: string;
  lguest: WorkloadResult;
  fixed: WorkloadResult;
}

/** One workload in both modes. */
export function compareModes(label: string, w: Workload): M009Row {
  return { label, lguest: replay(w, 'lguest', 'set-pte'), fixed: replay(w, 'lguest', 'set-pte-at') };
}

/** Guest memory from all-lowmem to twice lowmem, with I/O every `ioEvery` accesses. */
export function memorySweep(traces: Trace[], accesses: number, ioEvery = 5000): M009Row[] {
  return [0, 256, 512, 1024, 2048].map((high) => compareModes(`${(LOWMEM_PAGES + high) / 256} MiB`, {
    traces, pages: LOWMEM_PAGES + high, lowmemPages: LOWMEM_PAGES, quantum: 20_000, ioEvery, accesses,
  }));
}

/** A Guest with as much highmem as lowmem, and more and more I/O through kmap_atomic. */
export function trafficSweep(traces: Trace[], accesses: number): M009Row[] {
  return [0, 20_000, 5000, 1000].map((ioEvery) => compareModes(ioEvery ? `1 per ${ioEvery}` : 'none', {
    traces, pages: 2 * LOWMEM_PAGES, lowmemPages: LOWMEM_PAGES, quantum: 20_000, ioEvery, accesses,
  }));
}

/** Hidden faults per million accesses. */
export function perMillion(r: WorkloadResult, n = r.hiddenFaults): number {
  return (n / r.accesses) * 1e6;
}
// #endregion G-m009
