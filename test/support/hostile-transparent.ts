/*
 * A hostile Guest for the transparent Host, at either paging width, and the
 * judge that watches it.
 *
 * The Guest (hostile-guest.ts's, shared with the nested Host's test) has no
 * hypercalls to abuse, so it abuses what it has: stores.
 * It keeps many address spaces (far more than lguest's four slots), writes
 * sensible entries and garbage into its page tables through its direct map,
 * maps its own page tables writable into user space and writes them through
 * that alias, changes directory entries' rights in place, memsets pages that
 * are still tables, points CR3 and PDPT entries at nonsense, uses large
 * pages the Host does not shadow, flushes or not as it pleases, and now and
 * then lives on a Host with a handful of pages for shadows.
 *
 * After every step the judge checks:
 *  - nothing but a Guest kill left the Host, and only for a reason the Host
 *    may give;
 *  - every shadow word the Host wrote that step is safe (tables are Host
 *    pages, frames are Guest frames, nothing Global, a PAE root entry only P)
 *    and says what the Guest's table says now: a shadow PTE maps the frame
 *    its Guest PTE maps, with no right that entry lacks, writable only when
 *    it is Dirty and the frame is no page table; a shadow directory entry
 *    points at the shadow of the very table its Guest entry names. There is
 *    no contract to break here: every store the Guest makes to a table traps,
 *    so the shadows never lag;
 *  - every access saw what bare hardware, walking the same memory afresh,
 *    would see: the same value or the same fault, Accessed and Dirty set as
 *    the processor sets them; or the Guest was killed, for something bare
 *    hardware could not do either (a table outside its memory, a large page).
 * Every so often it scans the whole of every shadow the same way, with the
 * reverse map and the parent links.
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, Mmu } from '../../src/hw/mmu.ts';
import { BusError, PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { _PAGE_TABLE, PTE_A, PTE_D, PTE_G, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';
import { GeneralProtectionFault } from '../../src/hw/fault.ts';
import { mulberry32 } from '../../src/host/init.ts';
import { GuestKilled } from '../../src/host/lguest.ts';
import { guestInvlpg, guestWriteCr0, guestWriteCr3, guestWriteCr4 } from '../../src/host/transparent/exits.ts';
import { FAULTED, vmAccess } from '../../src/host/transparent/run.ts';
import { isWriteProtected } from '../../src/host/transparent/write-protect.ts';
import { createVm, type Vm } from '../../src/host/transparent/vm.ts';
import { BOOT_DIR, hex, HostileGuest, PAGE_OFFSET } from './hostile-guest.ts';

export interface TransparentHostileReport {
  steps: number;
  kills: number;
  lives: number[];
  reasons: Map<string, number>;
  /** Shadow words the Host wrote and the judge traced to the Guest's table, and shadow PTEs among them. */
  examined: number;
  examinedLeaves: number;
  /** Accesses compared with bare hardware, those that faulted there, and stores that landed in a page table. */
  compared: number;
  comparedFaults: number;
  tableStores: number;
  /** Whole-shadow scans, and the most address spaces a Guest had. */
  scans: number;
  maxDirs: number;
  /** What the Host did, over every life. */
  emulatedWrites: number;
  unshadowed: number;
  zapAlls: number;
}

/** The reasons the transparent Host may give: each names something the Guest did. */
const KILL_REASONS = /^(bad page table entry|bad PDPT entry|bad CR3|a large page|out of memory allocating a shadow page|unsupported CR[04]|access to 0x[0-9a-f]+ with paging off|refused by the processor|#GP\(0\): 4-byte access at 0x[0-9a-f]+ runs past the 4 GiB segment limit)/;

const PAGES = 192;
const DATA_FRAMES = [16, 112] as const;

export function runHostileTransparent(options: { pae: boolean; steps: number; seed: number }): TransparentHostileReport {
  const { pae } = options;
  const rnd = mulberry32(options.seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const chance = (p: number) => rnd() < p;
  const e = pae ? 8 : 4;
  const report: TransparentHostileReport = {
    steps: 0, kills: 0, lives: [], reasons: new Map(), examined: 0, examinedLeaves: 0, compared: 0, comparedFaults: 0, tableStores: 0, scans: 0, maxDirs: 0,
    emulatedWrites: 0, unshadowed: 0, zapAlls: 0,
  };

  let vm!: Vm;
  let native!: Mmu;
  let born = 0;
  const written = new Map<number, number>();
  const history: string[] = [];
  const note = (what: string) => {
    history.push(`step ${report.steps}: ${what}`);
    if (history.length > 16) history.shift();
  };

  // ---- The Guest's own knowledge of its memory (it wrote it; reading it back changes nothing). ----
  const peek = (gpa: number) => (gpa >= 0 && gpa + 4 <= PAGES * 4096 ? vm.memory.read32(vm.memBase + gpa) : 0);
  const guest = new HostileGuest(
    {
      pae, pages: PAGES, data: [DATA_FRAMES], tableFloor: DATA_FRAMES[1], outsideChance: 0.01, psChance: 0.01,
      largeDirectories: false, keepLarge32: true, highWords: false,
      // A word at a time: the stores to a shadowed table trap, and KVM's flood detector should notice.
      memsetStride: 4, spares: (table) => table === BOOT_DIR || table === 0x3000 || (pae && table === 0x4000),
    },
    { peek, access: (va, kind, cpl, value) => access(va, kind, cpl, value), cr3: (v) => cr3(v), invlpg, pagingOff: () => false, note },
    rnd,
  );
  const { frameOf } = guest;

  const boot = () => {
    // The first life, every third after it, and a quarter of the rest run on a Host short of pages.
    const small = report.lives.length % 3 === 0 || chance(0.25);
    vm = createVm({ pages: PAGES, pae, hostPages: small ? 8 + int(12) : 256 });
    // The judge's own processor: bare hardware on the same memory.
    native = new Mmu(new PhysicalMemory(PAGES * 4096, vm.memory.bytes.subarray(vm.memBase, vm.memBase + PAGES * 4096)));
    const write32 = vm.memory.write32.bind(vm.memory);
    vm.memory.write32 = (paddr: number, value: number) => {
      if (paddr < vm.memBase && !written.has(paddr)) written.set(paddr, vm.memory.read32(paddr));
      write32(paddr, value);
    };
    guest.reset();
    const { tables } = guest;
    born = report.steps;
    history.length = 0;
    // With paging off the Guest writes its boot tables at their physical addresses.
    const phys = (gpa: number, v: number) => vmAccess(vm, WRITE, gpa, 0, v);
    for (let f = DATA_FRAMES[0]; f < DATA_FRAMES[1]; f++) phys(f * 4096, (0xda7a_0000 | f) >>> 0);
    if (pae) {
      phys(BOOT_DIR + 3 * 8, 0x3000 | PTE_P);
      phys(0x3000, 0x4000 | _PAGE_TABLE & ~PTE_US);
      for (let pfn = 0; pfn < PAGES; pfn++) phys(0x4000 + pfn * 8, pfn * 4096 | PTE_P | PTE_RW | PTE_A | PTE_D);
      tables.push(0x3000, 0x4000);
    } else {
      phys(BOOT_DIR + (PAGE_OFFSET >>> 22) * 4, 0x3000 | _PAGE_TABLE & ~PTE_US);
      for (let pfn = 0; pfn < PAGES; pfn++) phys(0x3000 + pfn * 4, pfn * 4096 | PTE_P | PTE_RW | PTE_A | PTE_D);
      tables.push(0x3000);
    }
    tables.push(BOOT_DIR);
    if (pae) guestWriteCr4(vm, CR4_PAE);
    guestWriteCr3(vm, BOOT_DIR);
    guestWriteCr0(vm, CR0_PE | CR0_PG | CR0_WP);
    native.writeCr4(pae ? CR4_PAE : 0);
    native.writeCr3(BOOT_DIR);
    native.writeCr0(CR0_PE | CR0_PG | CR0_WP);
    // Its programs' pages, mapped through its direct map (stores the judge compares, like every other).
    guest.mapPrograms();
  };

  // ---- The judge. ----

  /** An access by the Guest, and what bare hardware makes of the same memory. */
  function access(va: number, kind: AccessKind, cpl: number, value = (va ^ report.steps) >>> 0): void {
    va >>>= 0;
    const k = (['read', 'write', 'fetch'] as const)[kind];
    note(`${k} ${hex(va)} at CPL ${cpl}${kind === WRITE ? ` of ${hex(value)}` : ''} in ${hex(guest.current)}`);
    const crossing = (va & 0xfff) > 0xffc;
    let expected: { fault: number } | { paddr: number; steps: number[]; large: boolean } | 'bus' | null = null;
    if (!crossing) {
      if (native.cpl !== cpl) native.setCpl(cpl);
      try {
        const r = native.translate(va, k);
        expected = r.ok ? { paddr: r.paddr!, steps: r.steps.filter((s) => s.level !== 'PDPTE').map((s) => s.entryAddr), large: r.pageSize !== 4096 } : { fault: r.errorCode! };
      } catch (err) {
        if (!(err instanceof BusError)) throw err;
        expected = 'bus';
      }
    }
    const inTable = kind === WRITE && expected !== null && typeof expected === 'object' && 'paddr' in expected && isWriteProtected(vm, Math.floor(expected.paddr / 4096));
    let result: number;
    try {
      result = vmAccess(vm, kind, va, cpl, value);
    } catch (err) {
      // A kill is the one way out; for an access bare hardware could make, only for what the Host does not do.
      if (err instanceof GuestKilled && expected && typeof expected === 'object' && 'paddr' in expected && !expected.large && expected.paddr + 4 <= PAGES * 4096) {
        if (!/^out of memory/.test(err.reason)) throw new Error(`${k} at ${hex(va)}: bare hardware reaches ${hex(expected.paddr)}, the Host killed the Guest: ${err.reason}`);
      }
      throw err;
    }
    if (expected === null) return;
    if (expected === 'bus') throw new Error(`${k} at ${hex(va)}: bare hardware reads a table outside memory, and the Guest lived (${hex(result)})`);
    report.compared++;
    if ('fault' in expected) {
      report.comparedFaults++;
      if (result !== FAULTED || vm.lastFault.errorCode !== expected.fault || vm.lastFault.address !== va) {
        throw new Error(`${k} at ${hex(va)} (CPL ${cpl}): bare hardware faults with error code ${expected.fault}, the Guest saw ${result === FAULTED ? `a fault ${JSON.stringify(vm.lastFault)}` : hex(result)}`);
      }
      return;
    }
    if (expected.large) throw new Error(`${k} at ${hex(va)}: a large page, and the Host went on`);
    if (expected.paddr + 4 > PAGES * 4096) throw new Error(`${k} at ${hex(va)}: the Guest reached ${hex(expected.paddr)}, outside its memory, and lived`);
    if (result === FAULTED) throw new Error(`${k} at ${hex(va)} (CPL ${cpl}): bare hardware reaches ${hex(expected.paddr)}, the Guest saw a fault ${JSON.stringify(vm.lastFault)}`);
    const now = peek(expected.paddr);
    if (kind === WRITE ? now !== value : result !== now) throw new Error(`${k} at ${hex(va)}: bare hardware reaches ${hex(expected.paddr)} holding ${hex(now)}, the Guest saw ${hex(result)}`);
    if (inTable) report.tableStores++;
    // Accessed on every entry the walk used, Dirty on the PTE of a store: what the processor must set.
    const [pde, pte] = expected.steps;
    // (Unless the store itself overwrote one of them.)
    if (kind === WRITE && expected.steps.includes(expected.paddr & ~(e - 1))) return;
    if (!(peek(pde!) & PTE_A) || !(peek(pte!) & PTE_A) || (kind === WRITE && !(peek(pte!) & PTE_D))) {
      throw new Error(`${k} at ${hex(va)}: the Guest's entries are ${hex(peek(pde!))} and ${hex(peek(pte!))} afterwards: Accessed or Dirty missing`);
    }
  }

  /** MOV to CR3, on both machines; what bare hardware refuses, the Host must refuse by killing. */
  function cr3(value: number): void {
    note(`MOV CR3, ${hex(value)}`);
    let refused = false;
    try {
      native.writeCr3(value);
    } catch (err) {
      if (!(err instanceof GeneralProtectionFault || err instanceof BusError)) throw err;
      refused = true;
    }
    guestWriteCr3(vm, value);
    if (refused) throw new Error(`CR3 ${hex(value)}: bare hardware refuses it, and the Host went on`);
  }

  /** Is the shadow word at host-physical `at` (in shadow page `holder`, or the PAE root) what the Guest's table says now? */
  function judgeEntry(at: number): void {
    const page = (at & ~0xfff) >>> 0;
    if ((at & 0xfff) % e) return;
    const s = vm.memory.read32(at);
    if (pae && vm.memory.read32(at + 4) !== 0) throw new Error(`shadow entry at ${hex(at)} has a high word`);
    if (!(s & PTE_P)) return;
    const lo = vm.memBase / 4096;
    if (page === vm.paeRoot && vm.pae) {
      const i = (at & 0xfff) / 8;
      if (i > 3) throw new Error(`the PAE root has an entry ${i}`);
      const child = vm.pageOf.get(frameOf(s));
      if ((s & 0xfff & ~(PTE_A | PTE_D)) !== PTE_P) throw new Error(`shadow PDPT entry ${i} has flags ${hex(s & 0xfff)}`);
      if (!child || child.level !== 2 || !child.parents.has(at)) throw new Error(`shadow PDPT entry ${i} points at no shadow page directory that knows it`);
      const g = native.pdpteLo[i]!;
      if (!(g & PTE_P) || frameOf(g) !== child.gfn * 4096) throw new Error(`shadow PDPT entry ${i} shadows frame ${child.gfn}, the Guest's register says ${hex(g)}`);
      report.examined++;
      return;
    }
    const holder = vm.pageOf.get(page);
    if (!holder) return; // a page freed this step
    const index = (at & 0xfff) / e;
    const gAt = holder.gfn * 4096 + index * e;
    const g = peek(gAt);
    const gHi = pae ? peek(gAt + 4) : 0;
    const what = `shadow entry ${index} of the shadow of frame ${holder.gfn} (level ${holder.level}), ${hex(s)}, for Guest entry ${hex(g)}`;
    if (holder.level === 2) {
      if (s >>> 12 >= lo) throw new Error(`${what}: names a Guest page as a table`);
      const child = vm.pageOf.get(frameOf(s));
      if (!child || child.level !== 1 || !child.parents.has(at)) throw new Error(`${what}: points at no shadow page table that knows it`);
      if (!(g & PTE_P) || gHi !== 0 || frameOf(g) !== child.gfn * 4096) throw new Error(`${what}: the Guest's entry names another table`);
      if (s & (PTE_RW | PTE_US) & ~g) throw new Error(`${what}: grants more than the Guest's`);
      if (s & 0xfff & ~_PAGE_TABLE) throw new Error(`${what}: carries flags a directory entry may not`);
    } else {
      if (s >>> 12 < lo || s >>> 12 >= lo + PAGES) throw new Error(`${what}: maps a frame outside the Guest`);
      if (s & PTE_G) throw new Error(`${what}: Global`);
      if (!(g & PTE_P) || !(g & PTE_A) || gHi !== 0 || (s >>> 12) - lo !== g >>> 12) throw new Error(`${what}: the Guest's entry maps no such frame now`);
      if (s & (PTE_RW | PTE_US) & ~g) throw new Error(`${what}: grants more than the Guest's`);
      if (s & PTE_RW && (!(g & PTE_D) || isWriteProtected(vm, g >>> 12))) throw new Error(`${what}: writable, though ${g & PTE_D ? 'the frame is a page table' : 'not Dirty'}`);
      if (!vm.rmap.get((s >>> 12) - lo)?.has(at)) throw new Error(`${what}: missing from the reverse map`);
      report.examinedLeaves++;
    }
    report.examined++;
  }

  /** Every entry of every shadow, the reverse map both ways, and every parent link. */
  function scan(): void {
    report.scans++;
    let leaves = 0;
    for (const sp of vm.shadows.values()) {
      if (vm.pageOf.get(sp.page) !== sp) throw new Error(`shadow page of frame ${sp.gfn} is not where the Host thinks`);
      for (let i = 0; i < 4096; i += e) {
        judgeEntry(sp.page + i);
        if (sp.level === 1 && vm.memory.read32(sp.page + i) & PTE_P) leaves++;
      }
      for (const at of sp.parents) if (frameOf(vm.memory.read32(at)) !== sp.page) throw new Error(`a parent of the shadow of frame ${sp.gfn} points elsewhere`);
    }
    if (pae) for (let i = 0; i < 4; i++) judgeEntry(vm.paeRoot + i * 8);
    let mapped = 0;
    for (const [gfn, set] of vm.rmap) {
      for (const at of set) {
        const s = vm.memory.read32(at);
        if (!(s & PTE_P) || (s >>> 12) - vm.memBase / 4096 !== gfn || vm.pageOf.get((at & ~0xfff) >>> 0)?.level !== 1) throw new Error(`reverse map of frame ${gfn} names ${hex(at)}, which does not map it`);
        mapped++;
      }
    }
    if (mapped !== leaves) throw new Error(`${leaves} present shadow PTEs, ${mapped} in the reverse map`);
  }

  /** INVLPG: nothing for bare hardware to do, since the judge's walks are fresh. */
  function invlpg(va: number): void {
    note(`INVLPG ${hex(va)}`);
    guestInvlpg(vm, va);
  }

  // ---- The Guest's moves: the hostile Guest's, and this Host's own. ----
  const moves: [number, () => void][] = [
    ...guest.moves(),
    // Control registers the Host does not support.
    [0.02, () => (chance(0.5) ? guestWriteCr0(vm, int(0x1_0000_0000) >>> 0) : guestWriteCr4(vm, int(0x1_0000_0000) >>> 0))],
    // Many regions, each needing shadow pages of its own: on a small Host, the shadows are thrown away again and again.
    [2, () => {
      for (let i = 0; i < 6; i++) {
        const va = ((0x1000_0000 + int(64) * (pae ? 0x20_0000 : 0x40_0000)) | 0x1000) >>> 0;
        guest.setPte(guest.current, va, guest.sensiblePte());
        access(va, READ, 3);
      }
    }],
  ];
  const total = moves.reduce((s, [w]) => s + w, 0);

  const judged = (err: unknown) => new Error(`${err instanceof Error ? err.message : String(err)}\n  (${pae ? 'PAE' : 'two-level'} Guest, seed ${options.seed}; the last steps of this Guest's life:\n    ${history.join('\n    ')})`);
  const tally = () => {
    report.emulatedWrites += vm.stats.emulatedWrites;
    report.unshadowed += vm.stats.unshadowed;
    report.zapAlls += vm.stats.zapAlls;
  };

  boot();
  while (report.steps < options.steps) {
    report.steps++;
    written.clear();
    let pick = rnd() * total;
    const move = moves.find(([w]) => (pick -= w) < 0)?.[1] ?? moves[0]![1];
    try {
      try {
        move();
      } catch (err) {
        if (err instanceof GuestKilled) throw err;
        throw judged(err);
      }
      for (const at of written.keys()) judgeEntry(at);
      if (report.steps % 53 === 0) scan();
    } catch (err) {
      if (!(err instanceof GuestKilled)) throw err instanceof Error && err.message.includes('the last steps') ? err : judged(err);
      if (!KILL_REASONS.test(err.reason)) throw judged(new Error(`the Host killed the Guest for no reason it may give: ${err.reason}`));
      const reason = err.reason.replace(/ 0x.*| \d.*|:.*| \(.*/, '');
      report.reasons.set(reason, (report.reasons.get(reason) ?? 0) + 1);
      report.kills++;
      try {
        scan();
      } catch (e2) {
        throw judged(e2);
      }
      tally();
      report.lives.push(report.steps - born);
      boot();
    }
  }
  tally();
  report.lives.push(report.steps - born);
  report.maxDirs = guest.maxDirs;
  return report;
}

