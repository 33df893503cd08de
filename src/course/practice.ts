/*
 * Seeded practice in the style of OSTEP's paging simulators, but on this
 * project's own MMU: from a seed and a mode, build page tables, ask where
 * some accesses go (or which fault they raise, with its error code), and
 * reveal or explain the answers. The answers come from the MMU the tests
 * prove, and a seed gives the same problem on any machine.
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PSE, EFER_NXE, Mmu } from '../hw/mmu.ts';
import { PhysicalMemory, recycleMemory } from '../hw/phys-memory.ts';
import { PTE_P, PTE_PS, PTE_RW, PTE_US } from '../hw/pte.ts';
import type { Access } from '../hw/fault.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Builder32, BuilderPae, FrameAllocator } from '../tools/builder.ts';
import { entry, hex, report } from '../tools/explain.ts';

// #region X-practice
// unwoven: course tooling; the chapters link to it with "try seed N" notes.
export type PracticeMode = '32bit' | 'pse' | 'pae';
export const PRACTICE_MODES: readonly PracticeMode[] = ['32bit', 'pse', 'pae'];

/**
 * xoshiro128**, seeded through splitmix32: 32-bit integer arithmetic only,
 * so a seed means the same numbers on every machine and Node version.
 */
export function xoshiro128(seed: number): () => number {
  let x = seed >>> 0;
  const split = () => {
    x = (x + 0x9e37_79b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85eb_ca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2_ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  const rotl = (v: number, k: number) => ((v << k) | (v >>> (32 - k))) >>> 0;
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a; d ^= b; b ^= c; a ^= d; c ^= t;
    d = rotl(d >>> 0, 11);
    a >>>= 0; b >>>= 0; c >>>= 0;
    return result;
  };
}

export interface Question {
  n: number;
  access: Access;
  cpl: 0 | 3;
  vaddr: number;
  /** The answer: the physical address, or the #PF error code. */
  paddr: number | null;
  errorCode: number | null;
  /** The walk, entry by entry, as the MMU did it. */
  explanation: string;
}

export interface Problem {
  seed: number;
  mode: PracticeMode;
  statement: string;
  questions: Question[];
}

/** Build the problem for `seed` in `mode`, with `count` questions. */
export function makeProblem(seed: number, mode: PracticeMode, count = 8): Problem {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new RangeError(`a seed is a whole number from 0 to 4294967295, not ${seed}`);
  if (!PRACTICE_MODES.includes(mode)) throw new RangeError(`mode must be one of ${PRACTICE_MODES.join(', ')}, not "${mode}"`);
  const rnd = xoshiro128(seed ^ (PRACTICE_MODES.indexOf(mode) * 0x5bd1_e995));
  const int = (n: number) => rnd() % n;
  const chance = (percent: number) => int(100) < percent;
  const memory = new PhysicalMemory(8 << 20);
  const frames = new FrameAllocator(memory, 16);
  const pae = mode === 'pae';
  const wp = chance(50);
  const nxe = pae && chance(70);
  const b32 = pae ? null : new Builder32(memory, frames);
  const bpae = pae ? new BuilderPae(memory, frames) : null;
  const leafFlags = () => (chance(90) ? PTE_P : 0) | (chance(50) ? PTE_RW : 0) | (chance(60) ? PTE_US : 0);
  // Directory entries usually allow everything; now and then one does not, which is the lesson.
  const dirFlags = () => PTE_P | (chance(80) ? PTE_RW : 0) | (chance(80) ? PTE_US : 0);

  // A few 4 MiB (or 2 MiB) regions, each with some pages mapped.
  const pages: number[] = [];
  const span = pae ? 0x20_0000 : 0x40_0000;
  const regions = new Set<number>();
  while (regions.size < 3) regions.add(int(pae ? 0x5fe : 0x2ff)); // below 3 GiB, and in PAE below the top
  for (const r of regions) {
    const base = r * span;
    if (mode !== '32bit' && chance(30)) {
      const frame = (1 + int(3)) * span;
      if (pae) bpae!.map2M(base, frame, leafFlags() | PTE_P, nxe && chance(30));
      else b32!.map4M(base, frame, leafFlags() | PTE_P);
      pages.push(base + int(span / 4096) * 4096);
      continue;
    }
    const flags = dirFlags();
    for (let k = 0; k < 3; k++) {
      const va = base + int(span / 4096) * 4096;
      const pa = (0x100 + int(0x700)) * 4096;
      if (pae) bpae!.map(va, pa, leafFlags(), nxe && chance(30), flags);
      else b32!.map(va, pa, leafFlags(), flags);
      pages.push(va);
    }
  }

  const mmu = new Mmu(memory);
  if (nxe) mmu.writeEfer(EFER_NXE);
  mmu.writeCr4((mode === 'pse' ? CR4_PSE : 0) | (pae ? CR4_PAE : 0));
  mmu.writeCr3(pae ? bpae!.cr3 : b32!.cr3);
  mmu.writeCr0(CR0_PE | CR0_PG | (wp ? CR0_WP : 0));

  const accesses: Access[] = ['read', 'write', 'fetch'];
  const questions: Question[] = [];
  for (let n = 1; n <= count; n++) {
    const page = chance(80) ? pages[int(pages.length)]! : int(0xc0000) * 4096;
    const vaddr = (page + int(1024) * 4) >>> 0;
    const cpl = chance(50) ? 3 : 0;
    const access = accesses[int(3)]!;
    mmu.setCpl(cpl);
    const r = mmu.translate(vaddr, access);
    questions.push({ n, access, cpl, vaddr, paddr: r.ok ? r.paddr : null, errorCode: r.ok ? null : r.errorCode, explanation: report(r) });
  }

  const lines = [
    `Practice problem: ${mode} paging, seed ${seed}`,
    `CR3 = ${hex(mmu.cr3)}, CR0.WP = ${wp ? 1 : 0}${mode === 'pse' ? ', CR4.PSE = 1' : ''}${pae ? `, CR4.PAE = 1, EFER.NXE = ${nxe ? 1 : 0}` : ''}`,
    '',
    'Page tables (every present entry; physical address: value):',
    ...dumpTables(memory, mmu.cr3, pae),
    '',
    'For each access, give the physical address it reaches, or the page fault and its error code.',
    'Answer lines look like "1: 0x00345678" or "2: #PF 0x05".',
    ...questions.map((q) => `  ${String(q.n).padStart(2)}. ${q.cpl === 3 ? 'user' : 'supervisor'} ${q.access} of ${hex(q.vaddr)}`),
  ];
  // Nothing here keeps the machine: the next problem draws on the same 8 MiB (a bank is some fifty).
  recycleMemory(memory);
  return { seed, mode, statement: lines.join('\n') + '\n', questions };
}

/** Every present entry reachable from CR3, indented by level. */
function dumpTables(memory: PhysicalMemory, cr3: number, pae: boolean): string[] {
  const out: string[] = [];
  const size = pae ? 8 : 4;
  const read = (at: number) => (pae ? memory.read64(at) : BigInt(memory.read32(at)));
  const frameOf = (v: bigint) => Number(v & 0xf_ffff_f000n);
  const table = (base: number, entries: number, level: string, depth: number, last: boolean) => {
    for (let i = 0; i < entries; i++) {
      const at = base + i * size;
      const v = read(at);
      if (!(v & BigInt(PTE_P))) continue;
      out.push(`${'  '.repeat(depth)}${level} [${String(i).padStart(3)}] @ ${hex(at)}: ${hex(v, size * 2)}  ${entry(v)}`);
      const large = depth > 0 || !pae ? (v & BigInt(PTE_PS)) !== 0n : false;
      if (!last && !large) table(frameOf(v), 4096 / size, level === 'PDPTE' ? 'PDE' : 'PTE', depth + 1, level !== 'PDPTE');
    }
  };
  if (pae) table(cr3, 4, 'PDPTE', 1, false);
  else table(cr3, 1024, 'PDE', 1, false);
  return out;
}

/**
 * The handout's practice: its MMU is full of stubs, so its problems come from
 * a bank the handout generator filled with the finished MMU, for the seeds
 * below (and every seed a chapter names).
 */
export const BANK_FILE = 'course/practice-bank.json';
export const BANK_SEEDS = 16;

export interface Bank {
  seeds: number[];
  problems: Record<string, Problem>;
}

export function makeBank(extraSeeds: number[]): Bank {
  const seeds = [...new Set([...Array(BANK_SEEDS).keys(), ...extraSeeds])].sort((a, b) => a - b);
  const problems: Record<string, Problem> = {};
  for (const mode of PRACTICE_MODES) for (const seed of seeds) problems[`${mode}:${seed}`] = makeProblem(seed, mode);
  return { seeds, problems };
}

/** The problem for a seed: from the bank where there is one (a handout), else made now. */
export function problemFor(root: string, seed: number, mode: PracticeMode, count = 8): Problem {
  const file = join(root, BANK_FILE);
  if (!existsSync(file)) return makeProblem(seed, mode, count);
  if (!PRACTICE_MODES.includes(mode)) throw new RangeError(`mode must be one of ${PRACTICE_MODES.join(', ')}, not "${mode}"`);
  const bank = JSON.parse(readFileSync(file, 'utf8')) as Bank;
  const p = bank.problems[`${mode}:${seed}`];
  if (!p) throw new RangeError(`this handout has practice problems for seeds 0 to ${BANK_SEEDS - 1}${bank.seeds.some((s) => s >= BANK_SEEDS) ? ` and ${bank.seeds.filter((s) => s >= BANK_SEEDS).join(', ')}` : ''}; ${seed} is not one of them`);
  if (count !== 8) throw new RangeError('this handout\'s practice problems have 8 questions each');
  return p;
}

/** The answers, one line each, in the answer-file format. */
export function answerLines(p: Problem): string[] {
  return p.questions.map((q) => `${q.n}: ${q.paddr !== null ? hex(q.paddr) : `#PF ${hex(q.errorCode!, 2)}`}`);
}

export interface CheckResult {
  score: number;
  max: number;
  lines: string[];
}

/** Check an answer file's text against the problem; a line it cannot read is wrong, and says why. */
export function checkAnswers(p: Problem, text: string): CheckResult {
  const given = new Map<number, string>();
  const lines: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const m = /^(\d+)\s*[:.]\s*(0x[0-9a-f]+|#PF\s+0x[0-9a-f]+)$/i.exec(l);
    if (!m) lines.push(`line ${i + 1}: cannot read "${l}" (write "3: 0x00401234" or "3: #PF 0x07")`);
    else given.set(Number(m[1]), m[2]!.toLowerCase().replace(/\s+/g, ' '));
  });
  let score = 0;
  for (const q of p.questions) {
    const want = q.paddr !== null ? hex(q.paddr) : `#pf ${hex(q.errorCode!, 2)}`;
    const got = given.get(q.n);
    const norm = got && (got.startsWith('#pf') ? `#pf ${hex(parseInt(got.slice(4), 16), 2)}` : hex(parseInt(got, 16)));
    if (norm === want) score++;
    else lines.push(`${q.n}: ${got ? `you said ${got}` : 'no answer'}; the answer is ${want.replace('#pf', '#PF')}`);
  }
  return { score, max: p.questions.length, lines };
}
// #endregion X-practice

