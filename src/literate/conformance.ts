/**
 * The conformance map: every `H:` section of lguest's Host journey, and what
 * this project did with it. `docs/lguest-host-journey.yaml` lists lguest's
 * numbers (from ../shared/reference/lguest-h-order.md); `docs/conformance.yaml`
 * answers each one. The check makes sure no section is forgotten, every
 * status says why when it has to, and every region named exists and is woven.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import type { SourceError } from './regions.ts';
import type { SourceTree } from './sources.ts';

/** `planned`: not built yet; the conformance page shows it as a gap, and it needs a note. */
export const STATUSES = ['ported', 'diverges', 'not-applicable', 'planned'] as const;
export type Status = (typeof STATUSES)[number];

export interface ConformanceEntry {
  h: number;
  title: string;
  status: Status;
  regions: string[];
  note: string;
  line: number;
}

export interface Conformance {
  /** lguest's sections: the H: number, what it says, and the C names it covers (`guest_set_pte`, …). */
  journey: { h: number; title: string; captures: string[]; line: number }[];
  entries: ConformanceEntry[];
  errors: SourceError[];
}

const MAP_FILE = 'docs/conformance.yaml';
const JOURNEY_FILE = 'docs/lguest-host-journey.yaml';

function readList(root: string, file: string, errors: SourceError[]): { value: Record<string, unknown>; line: number }[] {
  let text: string;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch {
    errors.push({ file, line: 0, message: `missing ${file}` });
    return [];
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length) {
    for (const e of doc.errors) errors.push({ file, line: e.linePos?.[0]?.line ?? 0, message: e.message.split('\n')[0]! });
    return [];
  }
  if (!isSeq(doc.contents)) {
    errors.push({ file, line: 1, message: 'expected a YAML list of entries' });
    return [];
  }
  return doc.contents.items.map((item) => {
    const node = item as Node;
    const line = node.range ? lineCounter.linePos(node.range[0]).line : 0;
    return { value: (isMap(node) ? node.toJSON() : {}) as Record<string, unknown>, line };
  });
}

export function loadConformance(root: string): Conformance {
  const errors: SourceError[] = [];
  const journey = readList(root, JOURNEY_FILE, errors).map(({ value, line }) => ({
    h: Number(value['h']), title: String(value['title'] ?? ''), line,
    // "`lguest_address_ok()`, `__lgread()`" → lguest_address_ok, __lgread
    captures: [...String(value['captures'] ?? '').matchAll(/`([A-Za-z_][\w]*)/g)].map((m) => m[1]!),
  }));
  for (const j of journey) if (!Number.isInteger(j.h)) errors.push({ file: JOURNEY_FILE, line: j.line, message: 'each entry needs an integer h' });
  const entries: ConformanceEntry[] = [];
  for (const { value, line } of readList(root, MAP_FILE, errors)) {
    const err = (message: string) => errors.push({ file: MAP_FILE, line, message });
    const h = Number(value['h']);
    if (!Number.isInteger(h)) {
      err('each entry needs an integer h');
      continue;
    }
    const status = value['status'] as Status;
    if (!STATUSES.includes(status)) err(`H:${h}: status must be one of ${STATUSES.join(', ')}`);
    const regions = value['regions'] ?? [];
    if (!Array.isArray(regions) || !regions.every((r) => typeof r === 'string')) err(`H:${h}: regions must be a list of region names`);
    const note = typeof value['note'] === 'string' ? value['note'].trim() : '';
    entries.push({ h, title: String(value['title'] ?? ''), status, regions: Array.isArray(regions) ? regions.map(String) : [], note, line });
  }
  return { journey, entries, errors };
}

/**
 * `woven` maps `file#region` to where it is woven. Regions are found by name
 * anywhere in the weavable tree.
 */
export function checkConformance(c: Conformance, tree: SourceTree, woven: Map<string, string>): SourceError[] {
  const errors = [...c.errors];
  const byH = new Map<number, ConformanceEntry>();
  for (const e of c.entries) {
    if (byH.has(e.h)) errors.push({ file: MAP_FILE, line: e.line, message: `H:${e.h} has two entries` });
    byH.set(e.h, e);
  }
  const known = new Set(c.journey.map((j) => j.h));
  for (const j of c.journey) {
    if (!byH.has(j.h)) errors.push({ file: MAP_FILE, line: 0, message: `H:${String(j.h).padStart(3, '0')} (${j.title}) is in lguest's Host journey but missing from the conformance map` });
  }
  const regions = tree.allRegions();
  const wovenNames = new Map([...woven].map(([k, where]) => [k.slice(k.indexOf('#') + 1), where]));
  for (const e of c.entries) {
    const hs = `H:${String(e.h).padStart(3, '0')}`;
    const at = (message: string) => errors.push({ file: MAP_FILE, line: e.line, message: `${hs}: ${message}` });
    if (!known.has(e.h)) at(`not an H: number of lguest's Host journey (${JOURNEY_FILE})`);
    if (e.status === 'ported' || e.status === 'diverges') {
      if (!e.regions.length) at(`a ${e.status} section names the region(s) that port it`);
    } else if (e.status === 'not-applicable' && e.regions.length) at('a not-applicable section names no regions');
    if (e.status !== 'ported' && !e.note) at(`status ${e.status} needs a note saying why`);
    for (const r of e.regions) {
      if (!regions.has(r)) at(`region "${r}" does not exist`);
      else if (!wovenNames.has(r)) at(`region "${r}" is not woven into any chapter`);
    }
  }
  // Every H region answers to its own number in the map.
  for (const [name, region] of regions) {
    if (region.h === undefined) continue;
    const e = byH.get(region.h);
    if (!e || !e.regions.includes(name)) errors.push({ file: region.file, line: region.startLine, message: `region "${name}" is not listed under H:${String(region.h).padStart(3, '0')} in ${MAP_FILE}` });
  }
  return errors;
}
