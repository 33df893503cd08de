/*
 * A hostile Guest for the nested-paging Host, at either paging width, and
 * the judge that watches it.
 *
 * The Guest is hostile-guest.ts's, as the transparent Host's test has it (garbage
 * and sense in its page tables, written through its direct map; its own
 * tables mapped writable into user space and written through the alias;
 * directory rights changed in place; tables memset as data; a dozen address
 * spaces; CR3 and PDPT entries pointing at nonsense; large pages; flushes or
 * none), and more, because this Host lets it: CR0 and CR4 as it pleases,
 * paging off and on again. A third of its lives run on a Host whose tables
 * can map only two of the Guest's three 2 MiB regions at a time.
 *
 * The judge runs bare hardware beside it: a processor of the same TLB size,
 * on its own copy of the Guest's memory, given every instruction the Guest
 * gives. After every step:
 *  - nothing but a Guest kill left the Host, and only for a reason it may
 *    give: bare hardware reaching outside memory where the Host killed the
 *    Guest for touching outside its memory, #GP where it killed for #GP,
 *    or a Host too small for one walk's tables;
 *  - every access saw what bare hardware saw: the same word, or the same
 *    fault with the same CR2 and error code. Bare hardware keeps a stale
 *    TLB entry as long as it likes, and so does the Guest's processor here;
 *    when the Host empties its tables it flushes the Guest's TLB (INVEPT),
 *    and the judge's processor forgets its own then too, as any processor
 *    may (both forget the entry the access that caused it made, too).
 * Every so often it compares every byte of the Guest's memory, both TLBs
 * entry by entry, and the Host's tables: each leaf maps its Guest frame to
 * the Host frame the memory slot says, every table is a Host page the Host
 * allocated, once.
 */
import { GeneralProtectionFault, PageFault } from '../../src/hw/fault.ts';
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, CR4_SMAP, CR4_SMEP, Mmu } from '../../src/hw/mmu.ts';
import { EPT_R, EPT_RAM, EPT_W, EPT_X } from '../../src/hw/nested.ts';
import { BusError, PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { _PAGE_TABLE, PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';
import { mulberry32 } from '../../src/host/init.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { FAULTED, nestedAccess, nestedInvlpg, nestedWriteCr0, nestedWriteCr3, nestedWriteCr4 } from '../../src/host/nested/run.ts';
import { createNestedVm, type NestedVm } from '../../src/host/nested/vm.ts';
import { BOOT_DIR, hex, HostileGuest, PAGE_OFFSET } from './hostile-guest.ts';

export interface NestedHostileReport {
  steps: number;
  kills: number;
  lives: number[];
  reasons: Map<string, number>;
  /** Accesses compared with bare hardware, the faults among them, the stale TLB hits among them (a fresh walk says otherwise). */
  compared: number;
  comparedFaults: number;
  staleHits: number;
  /** Stores that landed in a page table, large pages reached, accesses with paging off. */
  tableStores: number;
  largePages: number;
  pagingOff: number;
  /** Whole-state checks, and the most address spaces a Guest had. */
  scans: number;
  maxDirs: number;
  /** What the Host did, over every life. */
  eptViolations: number;
  zapAlls: number;
}

const KILL_REASONS = /^(outside its memory|out of memory allocating a nested page table|#GP on MOV CR[034]|#GP\(0\): 4-byte access at 0x[0-9a-f]+ runs past the 4 GiB segment limit)/;

/** Three 2 MiB regions of Guest memory (the last one short): a small Host's tables hold two. */
const PAGES = 1100;
/** Data the Guest's programs map: in the first region and the second. */
const DATA = [[16, 112], [520, 600]] as const;
type Seen = { value: number } | { fault: number; address: number } | { outside: true };

export function runHostileNested(options: { pae: boolean; steps: number; seed: number }): NestedHostileReport {
  const { pae } = options;
  const rnd = mulberry32(options.seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const chance = (p: number) => rnd() < p;
  const e = pae ? 8 : 4;
  const report: NestedHostileReport = {
    steps: 0, kills: 0, lives: [], reasons: new Map(), compared: 0, comparedFaults: 0, staleHits: 0, tableStores: 0, largePages: 0, pagingOff: 0,
    scans: 0, maxDirs: 0, eptViolations: 0, zapAlls: 0,
  };

  let vm!: NestedVm;
  let bare!: Mmu;
  let born = 0;
  let zaps = 0;
  const history: string[] = [];
  const note = (what: string) => {
    history.push(`step ${report.steps}: ${what}`);
    if (history.length > 16) history.shift();
  };

  // ---- The Guest's knowledge of its memory (the judge's copy: the same bytes, until something differs). ----
  const peek = (gpa: number) => (gpa >= 0 && gpa + 4 <= PAGES * 4096 ? bare.memory.read32(gpa) : 0);
  const guest = new HostileGuest(
    {
      pae, pages: PAGES, data: DATA, tableFloor: DATA[1][1] + 16, outsideChance: 0.02,
      largeDirectories: true, keepLarge32: false, highWords: true,
      // Every sixteenth word: to this Host a store into a table is a store like any other, and a whole page is 1,024 of them.
      memsetStride: 64, spares: (table) => table === BOOT_DIR || (table >= 0x3000 && table < 0x8000),
    },
    { peek, access: (va, kind, cpl, value) => access(va, kind, cpl, value), cr3: (v) => cr3(v), invlpg, pagingOff: () => bare.mode === 'off', note },
    rnd,
  );
  const { frameOf } = guest;

  // ---- Both machines, one instruction at a time. ----

  /** What bare hardware makes of an access. */
  function bareAccess(kind: AccessKind, va: number, cpl: number, value: number): Seen {
    if (bare.cpl !== cpl) bare.setCpl(cpl);
    try {
      if ((va & 0xfff) > 0xffc) {
        if (kind === WRITE) {
          bare.write32(va, value);
          return { value: value >>> 0 };
        }
        return { value: kind === READ ? bare.read32(va) : bare.fetch32(va) };
      }
      const paddr = bare.physical(va, kind);
      if (paddr < 0) return { fault: bare.lastErrorCode, address: bare.cr2 };
      if (kind !== WRITE) return { value: bare.memory.read32(paddr) };
      bare.memory.write32(paddr, value);
      return { value: value >>> 0 };
    } catch (err) {
      if (err instanceof PageFault) return { fault: err.errorCode, address: err.address };
      if (err instanceof BusError) return { outside: true };
      throw err;
    }
  }

  /**
   * The Host emptied its tables, and with INVEPT the Guest's TLB (the
   * out-of-pages claim checks it did): bare hardware may drop its entries
   * whenever it likes, so the judge's does too. The access that caused it
   * filled an entry afterwards on one side only: both forget that too.
   */
  function forgetOnZap(): void {
    if (vm.stats.zapAlls === zaps) return;
    zaps = vm.stats.zapAlls;
    bare.tlb.flushAll();
    vm.mmu.tlb.flushAll();
  }

  /** An access by the Guest, on both. */
  function access(va: number, kind: AccessKind, cpl: number, value = (va ^ report.steps) >>> 0): void {
    va >>>= 0;
    const k = (['read', 'write', 'fetch'] as const)[kind];
    note(`${k} ${hex(va)} at CPL ${cpl}${kind === WRITE ? ` of ${hex(value)}` : ''} in ${hex(guest.current)}${bare.mode === 'off' ? ' (paging off)' : ''}`);
    // What a fresh walk says (to tell a stale TLB hit), and whether the store lands in a table or the page is large.
    let fresh: { paddr: number | null; large: boolean } | null = null;
    if (bare.mode !== 'off' && (va & 0xfff) <= 0xffc) {
      try {
        const r = bare.translate(va, k);
        fresh = { paddr: r.paddr, large: (r.pageSize ?? 0) > 4096 };
      } catch (err) {
        if (!(err instanceof BusError)) throw err;
      }
    }
    const expected = bareAccess(kind, va, cpl, value);
    let result: number;
    try {
      result = nestedAccess(vm, kind, va, cpl, value);
    } catch (err) {
      if (!(err instanceof GuestKilled)) throw err;
      // Outside its memory only where bare hardware found no memory; out of tables whatever it found.
      if (/^outside/.test(err.reason) && !('outside' in expected)) throw new Error(`${k} at ${hex(va)}: the Host killed the Guest (${err.reason}); bare hardware saw ${JSON.stringify(expected)}`);
      throw err;
    }
    forgetOnZap();
    if ('outside' in expected) throw new Error(`${k} at ${hex(va)}: bare hardware reached outside memory, and the Guest lived (${hex(result)})`);
    report.compared++;
    if (bare.mode === 'off') report.pagingOff++;
    if (fresh?.large) report.largePages++;
    if ('fault' in expected) {
      report.comparedFaults++;
      if (result !== FAULTED || vm.lastFault.errorCode !== expected.fault || vm.lastFault.address !== expected.address) {
        throw new Error(`${k} at ${hex(va)} (CPL ${cpl}): bare hardware faults with error code ${expected.fault}, the Guest saw ${result === FAULTED ? `a fault ${JSON.stringify(vm.lastFault)}` : hex(result)}`);
      }
      return;
    }
    if (result !== expected.value) throw new Error(`${k} at ${hex(va)} (CPL ${cpl}): bare hardware ${kind === WRITE ? 'stored' : 'read'} ${hex(expected.value)}, the Guest ${result === FAULTED ? `faulted ${JSON.stringify(vm.lastFault)}` : `got ${hex(result)}`}`);
    const paddr = bare.tlb.entries().find((t) => t.vpn === Math.floor(va / 4096));
    if (fresh && paddr && fresh.paddr !== null && (fresh.paddr & ~0xfff) !== paddr.pageBase) report.staleHits++;
    if (kind === WRITE && guest.tables.includes((fresh?.paddr ?? -1) & ~0xfff)) report.tableStores++;
  }

  /** A control register, on both: what bare hardware refuses (#GP, or PDPT entries outside memory) the Host must refuse by killing. */
  function register(what: string, onBare: () => void, onNested: () => void): void {
    note(what);
    let refused: string | null = null;
    try {
      onBare();
    } catch (err) {
      if (err instanceof GeneralProtectionFault) refused = '#GP';
      else if (err instanceof BusError) refused = 'outside';
      else throw err;
    }
    try {
      onNested();
    } catch (err) {
      if (!(err instanceof GuestKilled)) throw err;
      const expect = refused === '#GP' ? /^#GP/ : refused === 'outside' ? /^outside/ : /^out of memory/;
      if (!expect.test(err.reason)) throw new Error(`${what}: the Host killed the Guest (${err.reason}); bare hardware ${refused ? `refused it (${refused})` : 'took it'}`);
      throw err;
    }
    if (refused) throw new Error(`${what}: bare hardware refused it (${refused}), and the Host went on`);
    forgetOnZap();
  }
  const cr3 = (v: number) => register(`MOV CR3, ${hex(v)}`, () => bare.writeCr3(v), () => nestedWriteCr3(vm, v));
  const cr0 = (v: number) => register(`MOV CR0, ${hex(v)}`, () => bare.writeCr0(v), () => nestedWriteCr0(vm, v));
  const cr4 = (v: number) => register(`MOV CR4, ${hex(v)}`, () => bare.writeCr4(v), () => nestedWriteCr4(vm, v));

  const boot = () => {
    const small = report.lives.length % 3 === 0;
    vm = createNestedVm({ pages: PAGES, pae, hostPages: small ? 6 : 64, walkCache: chance(0.5) ? 16 : 0 });
    bare = new Mmu(new PhysicalMemory(PAGES * 4096));
    zaps = 0;
    guest.reset();
    const { tables } = guest;
    born = report.steps;
    history.length = 0;
    // The Launcher lays out the boot tables, the direct map of all the Guest's memory, in both memories before the Guest runs.
    const phys = (gpa: number, v: number) => {
      bare.memory.write32(gpa, v);
      vm.memory.write32(vm.memBase + gpa, v);
    };
    const perTable = pae ? 512 : 1024;
    const pts = Math.ceil(PAGES / perTable);
    if (pae) {
      phys(BOOT_DIR + 3 * 8, 0x3000 | PTE_P);
      phys(BOOT_DIR + 3 * 8 + 4, 0);
      tables.push(0x3000);
    }
    for (let t = 0; t < pts; t++) {
      const pt = 0x4000 + t * 4096;
      phys(pae ? 0x3000 + t * 8 : BOOT_DIR + ((PAGE_OFFSET >>> 22) + t) * 4, pt | (_PAGE_TABLE & ~PTE_US));
      for (let i = 0; i < perTable && t * perTable + i < PAGES; i += 1) phys(pt + i * e, ((t * perTable + i) * 4096) | PTE_P | PTE_RW | PTE_A | PTE_D);
      tables.push(pt);
    }
    tables.push(BOOT_DIR);
    for (let f = DATA[0][0]; f < DATA[0][1]; f += 7) phys(f * 4096, (0xda7a_0000 | f) >>> 0);
    if (pae) cr4(CR4_PAE);
    cr3(BOOT_DIR);
    cr0(CR0_PE | CR0_PG | CR0_WP);
    guest.mapPrograms();
  };

  /** Both memories byte for byte, both TLBs entry by entry, and the Host's tables. */
  function scan(): void {
    report.scans++;
    const guest = vm.memory.bytes.subarray(vm.memBase, vm.memBase + PAGES * 4096);
    if (Buffer.compare(guest, bare.memory.bytes) !== 0) {
      const i = guest.findIndex((b, j) => b !== bare.memory.bytes[j]);
      throw new Error(`the Guest's memory differs from bare hardware's at guest-physical ${hex(i)}`);
    }
    // (With paging off bare hardware caches nothing; the Guest's processor caches Guest-physical pages.)
    const tlb = (m: Mmu, base: number) => m.tlb.entries().map((t) => `${t.vpn}:${t.pageBase - base}:${t.rights}:${t.pageShift}`).join(' ');
    if (bare.mode !== 'off' && tlb(vm.mmu, vm.memBase) !== tlb(bare, 0)) {
      const [a, b] = [tlb(vm.mmu, vm.memBase).split(' '), tlb(bare, 0).split(' ')];
      throw new Error(`the TLBs differ: nested has ${a.filter((x) => !b.includes(x)).join(' ')}, bare hardware ${b.filter((x) => !a.includes(x)).join(' ')}`);
    }
    // The Host's tables: every table a page it allocated, reached once; every leaf the memory slot's frame, with every right.
    const owned = new Set(vm.tablePages);
    const seen = new Set<number>();
    const walk = (table: number, level: number, gpaBase: number) => {
      for (let i = 0; i < 512; i++) {
        const lo = vm.memory.read32(table + i * 8);
        if (!(lo & (EPT_R | EPT_W | EPT_X))) continue;
        if (vm.memory.read32(table + i * 8 + 4) !== 0) throw new Error(`EPT entry at ${hex(table + i * 8)} has a high word`);
        const gpa = gpaBase + i * 2 ** (39 - 9 * level);
        const to = frameOf(lo);
        if (level === 3) {
          if (lo !== ((vm.memBase + gpa) | EPT_RAM) >>> 0 || gpa >= PAGES * 4096) throw new Error(`EPT leaf for guest-physical ${hex(gpa)} is ${hex(lo)}`);
          continue;
        }
        if ((lo & 0xfff) !== (EPT_R | EPT_W | EPT_X) || !owned.has(to) || seen.has(to)) throw new Error(`EPT table entry ${hex(lo)} at ${hex(table + i * 8)}`);
        seen.add(to);
        walk(to, level + 1, gpa);
      }
    };
    walk(vm.ept.eptp, 0, 0);
  }

  // ---- The Guest's moves. ----
  function invlpg(va: number): void {
    note(`INVLPG ${hex(va)}`);
    bare.invlpg(va);
    nestedInvlpg(vm, va);
  }

  // ---- The Guest's moves: the hostile Guest's, and those this Host allows besides. ----
  const moves: [number, () => void][] = [
    ...guest.moves(),
    // CR4's paging bits as the Guest likes (large pages, Global, SMEP, SMAP); now and then a value no processor takes.
    [1, () => {
      if (chance(0.05)) return cr4(int(0x1_0000_0000) >>> 0);
      const bits = [CR4_PSE, CR4_PGE, CR4_SMEP, CR4_SMAP].filter(() => chance(0.4)).reduce((a, b) => a | b, 0);
      cr4(bits | (pae ? CR4_PAE : 0));
    }],
    // CR0: write protection off and on; paging off for a while, and on again (with a fresh CR3 under PAE).
    [1, () => {
      if (chance(0.03)) return cr0(int(0x1_0000_0000) >>> 0);
      if (bare.mode === 'off') {
        cr0(CR0_PE | CR0_PG | CR0_WP);
        return;
      }
      if (chance(0.5)) return cr0(CR0_PE);
      cr0(CR0_PE | CR0_PG | (chance(0.5) ? CR0_WP : 0));
    }],
    // With paging off, the Guest pokes at its memory directly: its tables too.
    [2, () => {
      if (bare.mode !== 'off') return;
      for (let i = 0; i < 4; i++) access(chance(0.2) ? guest.tables[int(guest.tables.length)]! + int(1024) * 4 : int(PAGES * 4096), [READ, WRITE, FETCH][int(3)] as AccessKind, 0);
    }],
  ];
  const total = moves.reduce((s, [w]) => s + w, 0);

  /** A Guest killed: was it for a reason the Host may give? */
  const killed = (err: GuestKilled) => {
    if (!KILL_REASONS.test(err.reason)) throw judged(new Error(`the Host killed the Guest for no reason it may give: ${err.reason}`));
    const reason = err.reason.replace(/,? 0x.*| \d.*|:.*| \(.*/, '');
    report.reasons.set(reason, (report.reasons.get(reason) ?? 0) + 1);
    report.kills++;
    tally();
    report.lives.push(report.steps - born);
  };
  /** A new life (one that dies while it boots, on a Host too small, is counted and replaced). */
  const start = () => {
    for (;;) {
      try {
        boot();
        return;
      } catch (err) {
        if (!(err instanceof GuestKilled)) throw judged(err);
        killed(err);
      }
    }
  };

  const judged = (err: unknown) => new Error(`${err instanceof Error ? err.message : String(err)}\n  (${pae ? 'PAE' : 'two-level'} Guest, seed ${options.seed}; the last steps of this Guest's life:\n    ${history.join('\n    ')})`);
  const tally = () => {
    report.eptViolations += vm.stats.eptViolations;
    report.zapAlls += vm.stats.zapAlls;
  };

  start();
  while (report.steps < options.steps) {
    report.steps++;
    let pick = rnd() * total;
    const move = moves.find(([w]) => (pick -= w) < 0)?.[1] ?? moves[0]![1];
    try {
      try {
        move();
        if (report.steps % 41 === 0) scan();
      } catch (err) {
        if (err instanceof GuestKilled) throw err;
        throw judged(err);
      }
    } catch (err) {
      if (!(err instanceof GuestKilled)) throw err;
      killed(err);
      start();
    }
  }
  tally();
  report.lives.push(report.steps - born);
  report.maxDirs = guest.maxDirs;
  return report;
}
