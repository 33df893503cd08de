/*
 * The textbook question, "what happens for this sequence of operations under
 * shadow paging and under nested paging?", answered by running it. The same
 * Guest kernel does the same short sequence on three machines (lguest's
 * Host, the transparent shadow-paging Host, the nested-paging Host), and
 * for each step we record what the Host saw and did, and what the
 * processor's walks cost. The Mastery chapter "Three ways" draws its
 * stepping figure from this, and its claim checks the numbers.
 */
import { PTE_P, PTE_RW } from '../hw/pte.ts';
import { EPT_DEPTH, EPT_LEVELS, EPT_R, EPT_W, EPT_X } from '../hw/nested.ts';
import { ptePtr } from '../guest/kernel.ts';
import { NestedPlatform } from '../guest/nested.ts';
import { GuestOs } from '../guest/os.ts';
import { LguestPlatform } from '../guest/paravirt.ts';
import type { Platform } from '../guest/platform.ts';
import { TransparentPlatform } from '../guest/transparent.ts';

// #region G-textbook-sequence
/** One machine under the Guest: where its kernel runs, and its processes. */
export interface Machine {
  pv: Platform;
  os: GuestOs;
  /** Process 1, and process 2, which runs in between. */
  a: number;
  b: number;
  /** Process 1's two pages: X it has written, Y it has mapped and never touched. Process 2 has its own page at X's address. */
  x: number;
  y: number;
}

/**
 * Both processes have written a page at 0x40000000, and each has run since;
 * process 1 runs now, just switched to, so the TLB holds nothing of its.
 */
export function prepare(pv: Platform): Machine {
  const os = new GuestOs(pv);
  const a = os.pid;
  const b = os.fork();
  os.switchTo(b);
  os.write(os.mmap(1), 2);
  os.switchTo(a);
  const x = os.mmap(2);
  os.write(x, 1);
  os.switchTo(b);
  os.read(x);
  os.switchTo(a);
  return { pv, os, a, b, x, y: x + 4096 };
}

/** The sequence: what the Guest does, step by step. Each is the same code on every machine. */
export const TEXTBOOK_STEPS: { guest: string; run: (m: Machine) => void }[] = [
  { guest: 'Process 1 reads X, a page it has used: a TLB miss', run: (m) => m.os.read(m.x) },
  {
    guest: "The kernel takes write access away from X: it stores X's new PTE into process 1's page table (set_pte_at, as mprotect does)",
    run: (m) => {
      const k = m.os.k;
      const ptep = ptePtr(k, k.current.pgdir, m.x, false);
      m.pv.setPteAt(k.current.pgdir, m.x, ptep, m.pv.read32(ptep) & ~PTE_RW);
    },
  },
  { guest: 'The kernel flushes the old translation of X: INVLPG', run: (m) => m.pv.flushTlbSingle(m.x) },
  { guest: 'Process 1 reads X again: a TLB miss', run: (m) => m.os.read(m.x) },
  { guest: 'The kernel switches to process 2: a CR3 load', run: (m) => m.os.switchTo(m.b) },
  { guest: 'Process 2 reads its own page at the same address: a TLB miss', run: (m) => m.os.read(m.x) },
  { guest: 'The kernel switches back to process 1: a CR3 load', run: (m) => m.os.switchTo(m.a) },
  { guest: 'Process 1 reads X once more: the CR3 load emptied the TLB, so a TLB miss', run: (m) => m.os.read(m.x) },
  { guest: "Process 1 touches Y, mapped but never touched: a page fault for the Guest's own kernel, which zero-fills a new frame and stores Y's PTE", run: (m) => m.os.read(m.y) },
];
// #endregion G-textbook-sequence

// #region X-textbook-measure
// unwoven: the bookkeeping that turns one run into the figure's numbers (trace messages and table diffs).

/** The three Hosts, in the order the figure shows them. */
export const TEXTBOOK_HOSTS = ['lguest', 'transparent', 'nested'] as const;
export type TextbookHost = (typeof TEXTBOOK_HOSTS)[number];

/** One entry of the Host's tables (a shadow, or the nested tables) that a step wrote. */
export interface TableChange {
  /** "shadow PDE", "shadow PTE", "EPT PTE", ... */
  table: string;
  /** What the entry translates: a Guest-virtual address (shadows) or a Guest-physical one (nested). */
  covers: string;
  before: number;
  after: number;
}

/** What one Host saw and did in one step, and what its processor's walks cost. */
export interface HostStep {
  /** Every trip into the Host, in order, by why it happened. */
  exits: string[];
  /** What the Host did besides writing entries: the shadow it switched the processor to, the pages it built. */
  did: string[];
  /** The entries of the Host's tables the step wrote, in address order. */
  changes: TableChange[];
  /** TLB misses: walks the processor made. */
  misses: number;
  /** Memory references those walks made: counted under nested paging, two per walk of a two-level shadow. */
  refs: number;
  /** Of `refs`, the references into the Guest's own tables (nested) or the shadow's (shadow paging). */
  tableRefs: number;
  /** Of `refs`, the references into the Host's nested tables (EPT): none for shadow paging. */
  hostRefs: number;
  /**
   * Each walk's references in order: "g" an entry of the tables the
   * processor walks for the Guest (the shadow's, or under nested paging the
   * Guest's own), "h" an entry of the Host's nested tables. Counted under
   * nested paging (a walk a fault cut short is shorter); under shadow
   * paging, two per walk, the length of a two-level walk.
   */
  walks: string[];
}

export interface TextbookStep {
  guest: string;
  hosts: Record<TextbookHost, HostStep>;
}

/** Why each kind of exit happened, as the figure says it. */
export const EXIT_WHY = {
  hidden: 'hidden page fault',
  guest: "page fault, the Guest's",
  store: 'write-protection trap',
  cr3: 'CR3 load trapped',
  invlpg: 'INVLPG trapped',
  ept: 'EPT violation',
} as const;

const hex = (v: number, w = 0) => `0x${(v >>> 0).toString(16).padStart(w, '0')}`;

/** A Host under measurement: how to read its exits, its tables, its processor's counts. */
interface Probe {
  exits: string[];
  /** The Host's exit counter, to check that `exits` missed none. */
  exitCount(): number;
  /** Host memory that holds its tables: [0, memBase). */
  tables(): Uint8Array;
  /** Name the entry at Host-physical `at`; null when it is no table entry of the Guest's (the Switcher's pages). */
  classify(at: number): { table: string; covers: string } | null;
  misses(): number;
  /**
   * The shadow the processor runs on (null: the Host keeps none), and how
   * to say it, given what `shadows()` said before the step.
   */
  root(): { key: string; says: (before: Set<string>) => string } | null;
  /** Every shadow the Host holds now, by the same keys. */
  shadows(): Set<string>;
  /** Pages of its tables the Host has built. */
  built(): number;
  /** Under nested paging, the references the processor told of (`onRef`), and its own count of them (`walkRefs`). */
  nestedRefs(): { guest: number; host: number; walks: string[]; counted: number };
}

/** Whose page directory is at Guest-physical `gpa`. */
const owner = (m: Machine, gpa: number) => [...m.os.k.procs.values()].find((p) => p.pgdir === gpa)?.pid ?? `the directory at ${hex(gpa)}`;

function lguestProbe(pv: LguestPlatform, m: Machine): Probe {
  const g = pv.g;
  const exits: string[] = [];
  g.trace = (h, message) => {
    if (h === 120) exits.push(message.replace(/^hypercall (\w+).*$/, 'hypercall $1'));
    else if (h === 50) exits.push(message.startsWith('fixed') ? EXIT_WHY.hidden : EXIT_WHY.guest);
  };
  const switcher = new Set([g.switcher.code, g.switcher.roState, g.switcher.regs, g.switcher.ptePage]);
  return {
    exits,
    exitCount: () => g.stats.hypercalls + g.stats.hiddenFaults + g.stats.reflectedFaults,
    tables: () => g.memory.bytes.slice(0, g.memBase),
    classify(at) {
      const page = at - (at % 4096);
      const index = (at % 4096) / 4;
      if (switcher.has(page)) return null;
      const slot = g.pgdirs.findIndex((p) => p.pgdir === page);
      if (slot >= 0) return { table: 'shadow PDE', covers: hex(index * 0x40_0000) };
      // A page table: found through the directory entry that names it, in any slot.
      for (const p of g.pgdirs) {
        if (!p.pgdir) continue;
        for (let i = 0; i < 1024; i++) {
          const pde = g.memory.read32(p.pgdir + i * 4);
          if (pde & PTE_P && pde >>> 12 === page >>> 12) return { table: 'shadow PTE', covers: hex(i * 0x40_0000 + index * 4096) };
        }
      }
      return { table: 'shadow PTE', covers: 'a page table thrown away' };
    },
    misses: () => g.mmu.tlb.misses,
    root() {
      const slot = g.cpuPgd, gpgdir = g.pgdirs[slot]!.gpgdir;
      const key = `${slot}:${gpgdir}`;
      // A slot that held this directory before the step kept its shadow; otherwise the Host gave it one.
      return { key, says: (before) => `switches the processor to process ${owner(m, gpgdir)}'s shadow, ${before.has(key) ? 'kept' : 'newly made'} in slot ${slot}` };
    },
    shadows: () => new Set(g.pgdirs.flatMap((p, slot) => (p.pgdir ? [`${slot}:${p.gpgdir}`] : []))),
    built: () => g.stats.shadowPagesAllocated,
    nestedRefs: () => ({ guest: 0, host: 0, walks: [], counted: 0 }),
  };
}

function transparentProbe(pv: TransparentPlatform, m: Machine): Probe {
  const vm = pv.vm;
  const exits: string[] = [];
  vm.trace = (message) => {
    if (message.startsWith('exit: MOV CR3')) exits.push(EXIT_WHY.cr3);
    else if (message.startsWith('exit: INVLPG')) exits.push(EXIT_WHY.invlpg);
    else if (message.startsWith('exit: ')) exits.push(message.slice(6));
    else if (/^fault at .* fixed/.test(message)) exits.push(EXIT_WHY.hidden);
    else if (/^fault at .* is the Guest's/.test(message)) exits.push(EXIT_WHY.guest);
    else if (/ trapped: done by the Host$/.test(message)) exits.push(EXIT_WHY.store);
  };
  return {
    exits,
    exitCount: () => vm.stats.exits,
    tables: () => vm.memory.bytes.slice(0, vm.memBase),
    classify(at) {
      const page = at - (at % 4096);
      const index = (at % 4096) / 4;
      const sp = vm.pageOf.get(page);
      if (!sp) return { table: 'shadow entry', covers: 'a shadow page thrown away' };
      if (sp.level === 2) return { table: 'shadow PDE', covers: hex(index * 0x40_0000) };
      // Shared by every directory that names its Guest table: any parent says where it maps.
      const parent = [...sp.parents][0];
      if (parent === undefined) return { table: 'shadow PTE', covers: `Guest table frame ${hex(sp.gfn)}` };
      const more = sp.parents.size > 1 ? ` (one shadow page, under ${sp.parents.size} directories)` : '';
      return { table: 'shadow PTE', covers: `${hex(((parent % 4096) / 4) * 0x40_0000 + index * 4096)}${more}` };
    },
    misses: () => vm.mmu.tlb.misses,
    root() {
      const sp = vm.pageOf.get(vm.root);
      if (!sp) return { key: '', says: () => 'has no shadow root' };
      const key = `${sp.page}`;
      return { key, says: (before) => `switches the processor to process ${owner(m, sp.gfn * 4096)}'s shadow, ${before.has(key) ? "found by its directory's frame" : 'built for its directory'}` };
    },
    shadows: () => new Set([...vm.pageOf.keys()].map(String)),
    built: () => vm.stats.shadowPagesAllocated,
    nestedRefs: () => ({ guest: 0, host: 0, walks: [], counted: 0 }),
  };
}

function nestedProbe(pv: NestedPlatform): Probe {
  const vm = pv.vm;
  const exits: string[] = [];
  vm.trace = (message) => {
    if (message.startsWith('EPT violation')) exits.push(EXIT_WHY.ept);
    else if (message.startsWith('exit: ')) exits.push(message.slice(6));
  };
  const counted = { guest: 0, host: 0, walks: [] as string[] };
  let walk = -1;
  vm.ept.onRef = (r) => {
    if (r.dimension === 'guest') counted.guest++;
    else counted.host++;
    // Each TLB miss is one walk; a reference made in a new one starts its count.
    if (vm.ept.walks !== walk) {
      walk = vm.ept.walks;
      counted.walks.push('');
    }
    counted.walks[counted.walks.length - 1] += r.dimension === 'guest' ? 'g' : 'h';
  };
  return {
    exits,
    exitCount: () => vm.stats.exits,
    tables: () => vm.memory.bytes.slice(0, vm.memBase),
    classify(at) {
      // Down from the root: which level each page of the Host's tables is, and what it covers.
      const find = (table: number, level: number, base: number): { table: string; covers: string } | null => {
        const page = at - (at % 4096);
        if (page === table) return { table: EPT_LEVELS[level]!, covers: `guest-physical ${hex(base + ((at % 4096) / 8) * 2 ** (39 - 9 * level))}` };
        if (level === EPT_DEPTH - 1) return null;
        for (let i = 0; i < 512; i++) {
          const e = vm.memory.read32(table + i * 8);
          if (!(e & (EPT_R | EPT_W | EPT_X))) continue;
          const found = find((e & 0xffff_f000) >>> 0, level + 1, base + i * 2 ** (39 - 9 * level));
          if (found) return found;
        }
        return null;
      };
      return find(vm.ept.eptp - (vm.ept.eptp % 4096), 0, 0) ?? { table: 'EPT entry', covers: 'a table thrown away' };
    },
    misses: () => vm.mmu.tlb.misses,
    // The processor's CR3 is the Guest's own: the Host keeps no root to switch.
    root: () => null,
    shadows: () => new Set(),
    built: () => vm.stats.tablePagesAllocated,
    nestedRefs: () => ({ guest: counted.guest, host: counted.host, walks: [...counted.walks], counted: vm.ept.walkRefs }),
  };
}

/** Run one step on one machine and say what happened. */
function measure(probe: Probe, machine: Machine, run: (m: Machine) => void, host: TextbookHost): HostStep {
  probe.exits.length = 0;
  const rootBefore = probe.root()?.key;
  const shadowsBefore = probe.shadows();
  const builtBefore = probe.built();
  const exitsBefore = probe.exitCount();
  const before = probe.tables();
  const missesBefore = probe.misses();
  const refsBefore = probe.nestedRefs();
  run(machine);
  const exits = [...probe.exits];
  if (probe.exitCount() - exitsBefore !== exits.length) {
    throw new Error(`${host}: ${probe.exitCount() - exitsBefore} exits counted, but ${exits.length} told (${exits.join(', ')})`);
  }
  const did: string[] = [];
  const root = probe.root();
  if (root && root.key !== rootBefore) did.push(root.says(shadowsBefore));
  const built = probe.built() - builtBefore;
  if (built) did.push(`built ${built} page${built === 1 ? '' : 's'} of its tables`);
  const after = probe.tables();
  const changes: TableChange[] = [];
  const was = new Int32Array(before.buffer), now = new Int32Array(after.buffer);
  for (let i = 0; i < now.length; i++) {
    if (was[i] === now[i]) continue;
    const named = probe.classify(i * 4);
    if (named) changes.push({ ...named, before: was[i]! >>> 0, after: now[i]! >>> 0 });
  }
  const misses = probe.misses() - missesBefore;
  const refs = probe.nestedRefs();
  const walks = refs.walks.slice(refsBefore.walks.length);
  if (host !== 'nested') return { exits, changes, misses, refs: 2 * misses, tableRefs: 2 * misses, hostRefs: 0, walks: Array<string>(misses).fill('gg'), did };
  const guest = refs.guest - refsBefore.guest, hostRefs = refs.host - refsBefore.host;
  if (guest + hostRefs !== refs.counted - refsBefore.counted) throw new Error(`nested: ${guest + hostRefs} references told, but the processor counted ${refs.counted - refsBefore.counted}`);
  if (walks.length !== misses) throw new Error(`nested: ${misses} TLB misses, but ${walks.length} walks made references`);
  return { exits, changes, misses, refs: guest + hostRefs, tableRefs: guest, hostRefs, walks, did };
}

/** Guest memory for the run: 2 MiB, all lowmem (no kmap to muddy the counts), and room for the Host's tables. */
const GUEST_BYTES = 512 * 4096;
const HOST_PAGES = 128;

/** The sequence on all three machines, step by step. */
export function runTextbookSequence(): { steps: TextbookStep[]; machines: Record<TextbookHost, Machine> } {
  const lguest = new LguestPlatform(GUEST_BYTES, { hostPages: HOST_PAGES });
  const transparent = new TransparentPlatform(GUEST_BYTES, { hostPages: HOST_PAGES });
  const nested = new NestedPlatform(GUEST_BYTES, { hostPages: HOST_PAGES });
  const machines = { lguest: prepare(lguest), transparent: prepare(transparent), nested: prepare(nested) };
  const probes: Record<TextbookHost, Probe> = {
    lguest: lguestProbe(lguest, machines.lguest), transparent: transparentProbe(transparent, machines.transparent), nested: nestedProbe(nested),
  };
  const steps = TEXTBOOK_STEPS.map(({ guest, run }) => ({
    guest,
    hosts: Object.fromEntries(TEXTBOOK_HOSTS.map((h) => [h, measure(probes[h], machines[h], run, h)])) as Record<TextbookHost, HostStep>,
  }));
  lguest.g.trace = null;
  transparent.vm.trace = null;
  nested.vm.trace = null;
  nested.vm.ept.onRef = null;
  return { steps, machines };
}
// #endregion X-textbook-measure
