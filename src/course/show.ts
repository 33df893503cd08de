/*
 * What a graded test looked at, in a form that crosses a process boundary
 * unchanged (plain JSON), and printed the way a reader of page tables wants
 * it: addresses in hex, entries in hex with their flags named, error codes
 * with their bits named. The tests' `see` (under vitest), the grader's
 * sandbox (which records) and the grader itself (which compares and
 * reports) all use these, so a value means and prints the same everywhere.
 */
import { errorCodeNames } from '../hw/fault.ts';
import { flagNames } from '../hw/pte.ts';

// #region X-course-show
// unwoven: course plumbing shared by the tests and the grader.

/** How a value is printed: as it is, as an address, as a page-table entry, as a #PF error code. */
export type Kind = 'value' | 'addr' | 'entry' | 'pf';

/** A value made plain: JSON, with tags for what JSON cannot say. */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

const MAX_DEPTH = 8;
const MAX_ITEMS = 4096;
const MAX_STRING = 2000;

/**
 * `v` as plain JSON, deterministically (object keys sorted). Numbers JSON
 * cannot hold, bigints, undefined and objects that are not plain data are
 * tagged, so that no two different values look the same.
 */
export function plain(v: unknown, depth = 0): Plain {
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return typeof v === 'string' && v.length > MAX_STRING ? { $string: v.slice(0, MAX_STRING), $length: v.length } : v;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? v : { $number: Object.is(v, -0) ? '-0' : String(v) };
    case 'bigint':
      return { $bigint: `0x${v.toString(16)}` };
    case 'undefined':
      return { $undefined: true };
    case 'function':
    case 'symbol':
      return { $type: typeof v };
  }
  if (v === null) return null;
  if (depth >= MAX_DEPTH) return { $type: 'too deep' };
  if (Array.isArray(v)) return v.slice(0, MAX_ITEMS).map((x) => plain(x, depth + 1)).concat(v.length > MAX_ITEMS ? [{ $more: v.length - MAX_ITEMS }] : []);
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return { $type: (v as object).constructor?.name ?? 'object' };
  const out: { [key: string]: Plain } = {};
  for (const k of Object.keys(v as object).sort().slice(0, MAX_ITEMS)) out[k] = plain((v as Record<string, unknown>)[k], depth + 1);
  return out;
}

/** Are two plain values the same? */
export function same(a: Plain, b: Plain): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function hex(n: number, width = 8): string {
  return n < 0 ? `-0x${(-n).toString(16).padStart(width, '0')}` : `0x${n.toString(16).padStart(width, '0')}`;
}

/** Keys whose numbers are addresses, entries or error codes, wherever they sit in a value. */
const KEY_KINDS: [RegExp, Kind][] = [
  [/^(errorCode|errcode)$/, 'pf'],
  [/^(s|g)?(pte|pde|pgd|pmd|pdpte|entry|spte|gpte|spgd|gpgd)$/i, 'entry'],
  [/^(at|cr3|gpa|frame|pgdir|gpgdir)$|addr(ess)?$|base$/i, 'addr'],
];

/** A plain value as a reader wants to see it, printed as `kind`. */
export function show(v: Plain, kind: Kind = 'value'): string {
  if (typeof v === 'number' && Number.isInteger(v)) {
    switch (kind) {
      case 'addr':
        return hex(v);
      case 'entry':
        return `${hex(v)} ${flagNames(v)}`;
      case 'pf':
        return `${hex(v, 2)} ${errorCodeNames(v)}`;
      case 'value':
        return Math.abs(v) >= 4096 ? `${hex(v)} (${v})` : String(v);
    }
  }
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => show(x, kind)).join(', ')}]`;
  if ('$bigint' in v) {
    const b = BigInt(v['$bigint'] as string);
    const digits = `0x${b.toString(16).padStart(16, '0')}`;
    return kind === 'entry' ? `${digits} ${flagNames(Number(b & 0xffff_ffffn), Number(b >> 32n))}` : digits;
  }
  if ('$number' in v) return String(v['$number']);
  if ('$undefined' in v) return 'undefined';
  if ('$type' in v) return `<${String(v['$type'])}>`;
  if ('$string' in v) return `${JSON.stringify(v['$string'])}… (${String(v['$length'])} characters)`;
  const parts = Object.entries(v).map(([k, x]) => `${k}: ${show(x, KEY_KINDS.find(([re]) => re.test(k))?.[1] ?? kind)}`);
  return `{ ${parts.join(', ')} }`;
}
// #endregion X-course-show
