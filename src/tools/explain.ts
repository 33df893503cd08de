/**
 * Printing the MMU's state the way a kernel engineer reads it: hex addresses,
 * entries as frame + flag names, one walk step per line. Used by the
 * examples (whose output the chapters show) and by the practice problems.
 */
import { errorCodeNames } from '../hw/fault.ts';
import type { TranslateReport } from '../hw/mmu.ts';
import { flagNames } from '../hw/pte.ts';
import type { WalkStep } from '../hw/walk.ts';

export function hex(n: number | bigint, width = 8): string {
  return '0x' + n.toString(16).padStart(width, '0');
}

/** An entry as "frame 0x00123000 P|RW|A". */
export function entry(value: number | bigint): string {
  const v = BigInt(value);
  const lo = Number(v & 0xffff_ffffn);
  const hi = Number(v >> 32n);
  const frame = (v & 0x000f_ffff_ffff_f000n);
  return `frame ${hex(frame)} ${flagNames(lo, hi)}`;
}

export function step(s: WalkStep): string {
  const changed = s.after !== s.before ? `  →  ${flagNames(Number(s.after & 0xffff_ffffn), Number(s.after >> 32n))}` : '';
  return `${s.level.padEnd(5)} [${String(s.index).padStart(4)}] @ ${hex(s.entryAddr)}: ${entry(s.before)}${changed}`;
}

/** A whole `translate` report: the walk, then the verdict. */
export function report(r: TranslateReport): string {
  const head = `${r.access} ${hex(r.vaddr)} at CPL ${r.cpl} (${r.mode} paging)`;
  const steps = r.steps.map((s) => '  ' + step(s));
  const verdict = r.ok
    ? `  = physical ${hex(r.paddr!)} (${r.reason})`
    : `  = #PF error code ${hex(r.errorCode!, 2)} (${errorCodeNames(r.errorCode!)}): ${r.reason}`;
  return [head, ...steps, verdict].join('\n');
}
