/*
 * A hostile Guest, at either paging width, and the judge that watches it.
 *
 * The Guest keeps several address spaces (more than the Host's four slots),
 * fills them with entries of every kind (directory entries without U/S,
 * R/W or Accessed, every Accessed/Dirty combination, frames inside and
 * outside its memory, bits Linux never sets), changes them in place, tells
 * the Host in each of the ways lguest allows, and now and then breaks the
 * contract: scribbles without telling, lies in SET_PTE, makes garbage
 * hypercalls. Some of its lives run on a Host short of shadow pages.
 *
 * After every step the judge checks:
 *  - nothing but a Guest kill left the Host;
 *  - every shadow entry the Host wrote is safe (shadow tables are Host pages,
 *    mapped frames are Guest frames, nothing is Global, a PAE PDPT entry
 *    carries only P) and is traced to the Guest entry it came from: the same
 *    frame, no right that entry withholds, writable only once Dirty. The
 *    judge looks at each stretch of Host work on its own (one hypercall, one
 *    fault fixed), with Guest memory as the Host found it and left it, or the
 *    value told in that hypercall. A step may make two dozen accesses, and a
 *    store may land on the Guest's own page table (nothing stops a Guest
 *    mapping one as data): an entry the Host set Dirty in one fault and the
 *    Guest overwrote in the next access is in neither the step's first
 *    memory nor its last;
 *  - an access saw what bare hardware would: the same value or the same
 *    fault (address and error code), and Accessed and Dirty set as the
 *    processor sets them. This holds while the Guest has kept its contract
 *    (it told the Host of every change); after it breaks it, until the next
 *    flush of everything, the judge checks only safety.
 * Every so often it also checks the whole of every shadow, and that the
 * Host's page references match its present shadow entries.
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { _PAGE_TABLE, PTE_A, PTE_D, PTE_G, PTE_P, PTE_PCD, PTE_PS, PTE_PWT, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { LHCALL_FLUSH_TLB, LHCALL_SET_PMD, LHCALL_SET_PMD_PAE, LHCALL_SET_STACK } from '../../src/host/hypercalls.ts';
import { mulberry32 } from '../../src/host/init.ts';
import { GuestKilled, PGDIR_SLOTS, type Guest } from '../../src/host/lguest.ts';
import { PAE_SWITCHER_PGD_INDEX, PAE_SWITCHER_PMD_INDEX, SWITCHER_PGD_INDEX, switcherAddr } from '../../src/host/switcher.ts';
import { bootGuest, BOOT_PGDIR, hypercall, LHCALL_NEW_PGTABLE, LHCALL_SET_PTE, PAGE_OFFSET, type TestGuest } from './guest.ts';

export interface HostileReport {
  steps: number;
  hypercalls: number;
  kills: number;
  /** Steps each Guest lived, one number per Guest (the last one still alive). */
  lives: number[];
  /** Why Guests died, and how often. */
  reasons: Map<string, number>;
  /** Shadow entries the Host wrote and the judge traced to a Guest entry; user-space PTEs among them. */
  examined: number;
  examinedUser: number;
  /** Accesses compared with bare hardware, and those that saw a fault there. */
  compared: number;
  comparedFaults: number;
  /** Compared stores that landed on an entry of their own walk (the Guest's page table, mapped as data). */
  storesOnOwnWalk: number;
  /** Whole-shadow scans. */
  scans: number;
}

/** The reasons a Host may give for killing a Guest: each names something the Guest did. */
const KILL_REASONS = /^(bad (page table|page directory|PDPT) entry|bad (read|write) address|attempt to (access switcher pages|set pgd)|bad stack page|bad stack pages|Bad hypercall|hypercall \d+ before INIT|already have lguest_data|out of memory allocating a shadow page|failed to get page|bad kernel address|SET_PMD from a Guest without PAE|#GP\(0\): 4-byte access at 0x[0-9a-f]+ runs past the 4 GiB segment limit)/;

/**
 * Guest memory, in pages, and how the Guest uses it: data pages come from
 * the bottom, page tables from the top (bootGuest hands those out). A long
 * life's tables run down into the data pages, and then a program's store can
 * land in a page table: a Guest may map its own tables as data, and the judge
 * allows for it (an entry a store overwrote holds the store).
 */
const PAGES = 192;
const DATA_FRAMES = [16, 112] as const;
/** Where the Guest's programs live: runs of USER_RUN pages from each of these. */
const USER_ADDRS = [0x0180_0000, 0x0804_8000, 0x080f_0000, 0x0840_0000, 0x4000_0000, 0x4020_0000, 0x8000_0000, 0xbffe_0000];
const USER_RUN = 24;
const KERNEL_STACK_TOP = PAGE_OFFSET + 0x8000;
const RIGHTS = PTE_RW | PTE_US;
const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** Run a hostile Guest at one width for `steps` steps (a budget in work, never in time). */
export function runHostile(options: { pae: boolean; steps: number; seed: number; /** SET_PGD of wild indices between moves (on unless false). */ wildSetPgd?: boolean }): HostileReport {
  const { pae } = options;
  const rnd = mulberry32(options.seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const chance = (p: number) => rnd() < p;
  /** A stream of its own for the directory entries left without Accessed, so that each seed's moves stay what they were before there were any. */
  const unaccessed = mulberry32(options.seed ^ 0x0a11_ce55);
  /** Another, for SET_PGD of indices a Guest has no business naming (wildSetPgd): the same moves again, with these between. */
  const wild = mulberry32(options.seed ^ 0x5e7_960d);
  const size = pae ? 8 : 4;
  const report: HostileReport = { steps: 0, hypercalls: 0, kills: 0, lives: [], reasons: new Map(), examined: 0, examinedUser: 0, compared: 0, comparedFaults: 0, storesOnOwnWalk: 0, scans: 0 };

  // ---- One life of the Guest. ----
  let t!: TestGuest;
  let dirs: number[] = [];
  let current = BOOT_PGDIR;
  let native!: Mmu;
  let keptContract = true;
  let born = 0;
  let small = false;
  /** Fresh frames for new page tables, rationed per life so tables never run into data. */
  let fresh = 0;
  let burstTable = 0;
  const newFrame = () => (++fresh <= 40 ? t.frame() : -1);
  /**
   * Host-physical words written below memBase (the shadows) since the judge
   * last looked, with what each held before. The processor's own Accessed and
   * Dirty bits could come this way too, which is why the judge compares with
   * the old value.
   */
  const written = new Map<number, number>();
  /** Guest-physical words written since the judge last looked, with what each held before: Guest memory as the Host found it. */
  const guestOld = new Map<number, number>();
  /** What SET_PTE told the Host in the hypercall being judged. */
  const told = new Map<string, number>();

  const boot = () => {
    // One life in eight runs on a Host with few pages to spare for shadows.
    small = chance(0.125);
    const hostPages = small ? 16 + int(16) : undefined;
    fresh = 0;
    burstTable = 0;
    t = bootGuest(PAGES, PTE_P | PTE_RW, int(1 << 30), { pae, ...(hostPages ? { hostPages } : {}) });
    dirs = [BOOT_PGDIR];
    current = BOOT_PGDIR;
    keptContract = true;
    born = report.steps;
    history.length = 0;
    // Bare hardware, reading the same Guest memory: its address 0 is the Guest's.
    const g = t.g;
    native = new Mmu(new PhysicalMemory(g.pfnLimit * 4096, g.memory.bytes.subarray(g.memBase, g.memBase + g.pfnLimit * 4096)));
    native.writeCr4(pae ? CR4_PAE : 0);
    native.writeCr3(BOOT_PGDIR);
    native.writeCr0(CR0_PE | CR0_PG | CR0_WP);
    written.clear();
    guestOld.clear();
    told.clear();
    known = null;
    // Watch what the Host writes into its own pages.
    const memory = g.memory;
    const write32 = memory.write32.bind(memory);
    memory.write32 = (paddr: number, value: number) => {
      if (paddr < g.memBase) {
        if (!written.has(paddr)) written.set(paddr, memory.read32(paddr));
      } else if (!guestOld.has(paddr - g.memBase)) guestOld.set(paddr - g.memBase, memory.read32(paddr));
      write32(paddr, value);
    };
    // The Guest runs again each time the processor translates for it: the
    // Host's work since the judge last looked (a fault fixed) is complete.
    const mmu = g.mmu;
    const physical = mmu.physical.bind(mmu);
    mmu.physical = (vaddr, kind) => {
      judgeWrites();
      return physical(vaddr, kind);
    };
    // Every data page says which it is, so a load from the wrong frame shows.
    for (let f = DATA_FRAMES[0]; f < DATA_FRAMES[1]; f++) t.write(f * 4096, (0xda7a_0000 | f) >>> 0);
    // A fresh Guest: its own pages mapped in the user half, for its programs to use.
    for (const base of USER_ADDRS) for (let i = 0; i < USER_RUN; i++) if (chance(0.8)) t.setPte(BOOT_PGDIR, base + i * 4096, sensiblePte());
  };

  const dataFrame = () => DATA_FRAMES[0] + int(DATA_FRAMES[1] - DATA_FRAMES[0]);
  /** The entry a kernel gives a program's page: present, the program's, with Accessed and Dirty as they come. */
  const sensiblePte = () => ((dataFrame() << 12) | PTE_P | PTE_US | (chance(0.8) ? PTE_RW : 0) | [0, PTE_A, PTE_A | PTE_D][int(3)]!) >>> 0;
  /** A Guest entry: mostly sensible, sometimes strange, now and then lethal. */
  const randomPte = (): number => {
    if (chance(0.5)) return sensiblePte();
    // Now and then a frame past the Guest's memory, half the time the very first one past it.
    const past = (k: number) => PAGES + (k < 32 ? 0 : k - 32);
    const frame = chance(0.002) ? past(int(64)) : dataFrame();
    let flags = PTE_P;
    if (chance(0.08)) flags = 0;
    if (chance(0.7)) flags |= PTE_RW;
    if (chance(0.7)) flags |= PTE_US;
    // Every Accessed/Dirty combination.
    flags |= [0, PTE_A, PTE_D, PTE_A | PTE_D][int(4)]!;
    if (chance(0.1)) flags |= PTE_G;
    if (chance(0.05)) flags |= PTE_PWT | PTE_PCD;
    if (chance(0.002)) flags |= PTE_PS; // PAT: the Host refuses it
    return ((frame << 12) | flags) >>> 0;
  };
  /** A directory entry's flags: often without U/S or R/W. */
  const randomPdeFlags = (): number => {
    // Now and then without Accessed: a processor sets it on the way down, and so must the Host.
    let flags = unaccessed() < 0.2 ? PTE_P : PTE_P | PTE_A;
    if (chance(0.75)) flags |= PTE_RW;
    if (chance(0.75)) flags |= PTE_US;
    if (chance(0.002)) flags |= PTE_PS; // the Host refuses a large page
    return flags;
  };
  const userAddr = () => (USER_ADDRS[int(USER_ADDRS.length)]! + int(USER_RUN) * 0x1000) >>> 0;
  /** Kernel addresses: a few pages the kernel remaps often (kmap's, say), and the rest of its direct map. */
  const kernelAddr = () => (PAGE_OFFSET + (chance(0.7) ? DATA_FRAMES[0] + int(12) : dataFrame()) * 4096) >>> 0;
  const anyAddr = () => (chance(0.75) ? userAddr() : chance(0.9) ? kernelAddr() : int(0xffff_ffff) >>> 0);

  /** What the last steps did, for the message when the judge objects. */
  const history: string[] = [];
  const note = (what: string) => {
    history.push(`step ${report.steps}: ${what}`);
    if (history.length > 16) history.shift();
  };
  /** A hypercall, counted: the judge looks at what came before it, and after it at what the Host did in it. */
  const call = (n: number, a1 = 0, a2 = 0, a3 = 0, a4 = 0, tell?: () => void) => {
    note(`hypercall ${n}(${hex(a1)}, ${hex(a2)}, ${hex(a3)}, ${hex(a4)})`);
    report.hypercalls++;
    judgeWrites();
    tell?.();
    hypercall(t.g, n, a1, a2, a3, a4);
    judgeWrites();
  };
  /** SET_PTE, and what the Host was told (a kernel address is told to every slot). */
  const setPte = (dir: number, va: number, gpte: number) =>
    call(LHCALL_SET_PTE, dir, va, gpte, 0, () => told.set(`${va >= PAGE_OFFSET ? '*' : dir}:${(va & 0xffff_f000) >>> 0}`, gpte));

  // ---- The Guest's moves. ----
  const moves: [number, () => void][] = [
    // An access from the kernel or a program.
    [36, () => access(anyAddr(), int(3), chance(0.7) ? 3 : 1)],
    // The kernel reads the pages it remaps most.
    [4, () => {
      for (let i = 0; i < 12; i++) access(PAGE_OFFSET + (DATA_FRAMES[0] + i) * 4096, 0, 1);
    }],
    // A program sweeps through its pages (a memset, a copy).
    [8, () => {
      const base = USER_ADDRS[int(USER_ADDRS.length)]!;
      const kind = chance(0.5) ? 1 : 0;
      for (let i = 0; i < USER_RUN; i++) access(base + i * 4096, kind, 3);
    }],
    // A page-table entry set, and told.
    [18, () => {
      const dir = dirs[int(dirs.length)]!;
      const va = chance(0.8) ? userAddr() : kernelAddr();
      if (va >= PAGE_OFFSET && (va & ~0xfff) === KERNEL_STACK_TOP - 0x1000 && !chance(0.05)) return;
      const gpte = randomPte();
      note(`set the PTE of ${hex(va)} in ${hex(dir)} to ${hex(gpte)}`);
      t.setPte(dir, va, gpte, randomPdeFlags());
      setPte(dir, va, gpte);
    }],
    // A directory entry's rights changed in place, told by SET_PTE of an entry under it, or by a flush.
    [6, () => {
      const dir = chance(0.6) ? current : dirs[int(dirs.length)]!;
      const va = userAddr();
      const at = t.pdeAt(dir, va);
      if (at < 0 || !(t.read(at) & PTE_P) || t.read(at) >>> 12 >= PAGES) return;
      t.write(at, (t.read(at) & ~RIGHTS) | (randomPdeFlags() & RIGHTS));
      note(`directory entry of ${hex(va)} in ${hex(dir)} now ${hex(t.read(at))}, in place`);
      const pte = t.pte(dir, va);
      // SET_PTE of a mapped entry brings our copy of the directory entry up to date; of an unmapped one it need not.
      if (dir === current && chance(0.3)) call(LHCALL_FLUSH_TLB, 0);
      else if (pte & PTE_P && pte & PTE_A) setPte(dir, va, pte);
      else call(LHCALL_FLUSH_TLB, 1);
    }],
    // A new page table (or garbage) in a directory entry, told by SET_PGD (SET_PMD under PAE).
    [3, () => {
      const dir = dirs[int(dirs.length)]!;
      const va = userAddr();
      const table = newFrame();
      if (table < 0) return;
      // Now and then garbage, which may name any page as a table: the judge stops comparing until a flush of everything.
      const garbage = chance(0.01);
      if (garbage) keptContract = false;
      const entry = (flags: number) => (garbage ? int(0xffff_ffff) >>> 0 : (table | flags) >>> 0);
      if (pae && !chance(0.3)) {
        // The middle level: lguest throws every shadow away.
        const pmdAt = t.pdeAt(dir, va);
        if (pmdAt < 0) return;
        t.write(pmdAt, entry(randomPdeFlags()));
        call(LHCALL_SET_PMD_PAE, 0, 0);
        return;
      }
      t.write(pae ? dir + (va >>> 30) * 8 : dir + (va >>> 22) * 4, entry(pae ? PTE_P : randomPdeFlags()));
      call(LHCALL_SET_PMD, dir, pae ? va >>> 30 : va >>> 22);
    }],
    // A context switch, through more address spaces than the Host has slots.
    [8, () => {
      if (dirs.length < 7 && chance(0.3)) {
        // A new process: its own directory, and its pages mapped (a fork, roughly).
        const dir = t.newPgdir();
        for (const base of USER_ADDRS) for (let i = 0; i < USER_RUN; i++) if (chance(0.6)) t.setPte(dir, base + i * 4096, sensiblePte());
        dirs.push(dir);
      }
      current = dirs[int(dirs.length)]!;
      // Now and then with the low bits of CR3 set: the processor ignores them.
      call(LHCALL_NEW_PGTABLE, (current | (chance(0.1) ? int(pae ? 32 : 4096) : 0)) >>> 0);
    }],
    // Flushes.
    [4, () => {
      const all = chance(0.4);
      call(LHCALL_FLUSH_TLB, all ? 1 : 0);
      if (all) keptContract = true;
    }],
    // A new kernel stack, now and then a bad one.
    [1, () => call(LHCALL_SET_STACK, chance(0.99) ? KERNEL_STACK_TOP : (PAGE_OFFSET + int(PAGES) * 4096) >>> 0, chance(0.99) ? 1 : int(4))],
    // Breaking the contract: an entry changed without telling, or a lie told.
    [2, () => {
      const dir = dirs[int(dirs.length)]!;
      const va = anyAddr();
      if (va >= switcherAddr(t.g)) return;
      keptContract = false;
      const gpte = chance(0.2) ? int(0xffff_ffff) >>> 0 : randomPte();
      note(`contract broken: ${hex(va)} in ${hex(dir)} gets ${hex(gpte)}`);
      if (chance(0.5)) t.setPte(dir, va, gpte);
      else setPte(dir, va, gpte);
    }],
    // Garbage hypercalls.
    [0.04, () => call(int(20), int(0xffff_ffff) >>> 0, int(2000), int(0xffff_ffff) >>> 0, int(2))],
    // On a Host short of pages: touch a dozen new regions, each needing a shadow page table of its own.
    [2, () => {
      if (!small) return;
      // One Guest page table serves every region (the Host still needs a shadow table for each).
      burstTable = burstTable || newFrame();
      const table = burstTable;
      if (table < 0) return;
      const gpte = ((DATA_FRAMES[0] + int(16)) << 12 | PTE_P | PTE_RW | PTE_US | PTE_A) >>> 0;
      for (let i = 0; i < 12; i++) {
        const va = ((0x1000_0000 + int(64) * (pae ? 0x20_0000 : 0x40_0000)) | 0x1000) >>> 0;
        if (pae) {
          const pdpteAt = current + (va >>> 30) * 8;
          if (!(t.read(pdpteAt) & PTE_P)) return;
          t.write(t.pdeAt(current, va), (table | PTE_P | PTE_RW | PTE_US | PTE_A) >>> 0);
        } else {
          t.write(current + (va >>> 22) * 4, (table | PTE_P | PTE_RW | PTE_US | PTE_A) >>> 0);
          call(LHCALL_SET_PMD, current, va >>> 22);
        }
        t.write(table + ((va >>> 12) & (pae ? 0x1ff : 0x3ff)) * size, gpte);
        if (pae) call(LHCALL_SET_PMD_PAE, 0, 0);
        access(va, 0, 3);
      }
    }],
  ];
  const total = moves.reduce((s, [w]) => s + w, 0);

  /**
   * An access by the Guest, and what bare hardware makes of it. While the
   * Guest has kept its contract the two must agree; the Switcher, which the
   * Host shows the Guest kernel and bare hardware does not have, is left out.
   */
  function access(va: number, kind: number, cpl: number): void {
    const k = (['read', 'write', 'fetch'] as const)[kind]!;
    const compare = keptContract && va < switcherAddr(t.g);
    let expected: { fault: number } | { paddr: number } | null = null;
    if (compare) {
      native.setCpl(cpl);
      // A fresh walk: CR3 written again (under PAE, the PDPTEs reloaded), no TLB.
      try {
        native.writeCr3(current);
        const r = native.translate(va, k);
        expected = r.ok ? { paddr: r.paddr! } : { fault: r.errorCode! };
      } catch {
        expected = null; // tables outside the Guest's memory: nothing a processor could do either
      }
    }
    // The entries the walk uses, found before the access: a store may land on
    // one of them (a Guest may map its own page tables as data), and then
    // what the judge reads there afterwards is the store, not the walk.
    const pdeAt = t.pdeAt(current, va);
    const pde = pdeAt < 0 ? 0 : t.read(pdeAt);
    const pteAt = pde & PTE_P && pde >>> 12 < PAGES ? ((pde & 0xffff_f000) >>> 0) + ((va >>> 12) & (pae ? 0x1ff : 0x3ff)) * size : -1;
    // A read or fetch must leave Dirty as it found it: no processor sets it for one.
    const dirtyBefore = expected && 'paddr' in expected && pteAt >= 0 ? t.read(pteAt) & PTE_D : 0;
    const value = (va ^ report.steps) >>> 0;
    note(`${k} ${hex(va)} at CPL ${cpl} in ${hex(current)}${compare ? '' : ' (not compared)'}`);
    judgeWrites();
    const result = t.access(k, va, cpl, value);
    if (!expected) return;
    report.compared++;
    if ('fault' in expected) {
      report.comparedFaults++;
      if (result.ok || result.fault.errorCode !== expected.fault || result.fault.address !== va) {
        throw new Error(`${k} at ${hex(va)} (CPL ${cpl}): bare hardware faults with error code ${expected.fault}, the Guest saw ${JSON.stringify(result)}`);
      }
      return;
    }
    if (expected.paddr + 4 > PAGES * 4096) throw new Error(`${k} at ${hex(va)}: the Guest reached ${hex(expected.paddr)}, outside its memory, and lived`);
    if (!result.ok) throw new Error(`${k} at ${hex(va)} (CPL ${cpl}): bare hardware reaches ${hex(expected.paddr)}, the Guest saw a fault ${JSON.stringify(result.fault)}`);
    const now = t.read(expected.paddr);
    if (k === 'write' ? now !== value : result.value !== now) {
      throw new Error(`${k} at ${hex(va)}: bare hardware reaches ${hex(expected.paddr)} holding ${hex(now)}, the Guest saw ${hex(result.value)}`);
    }
    // Accessed on both entries, Dirty on the page-table entry of a write: what
    // the processor must set. On bare hardware the walk sets them and then the
    // store lands, so an entry the store itself overwrote holds the store.
    const stored = (at: number) => k === 'write' && at === expected.paddr;
    if (stored(pdeAt) || stored(pteAt)) report.storesOnOwnWalk++;
    const pdeNow = t.read(pdeAt);
    const pte = t.read(pteAt);
    if ((!stored(pdeAt) && !(pdeNow & PTE_A)) || (!stored(pteAt) && (!(pte & PTE_A) || (k === 'write' && !(pte & PTE_D))))) {
      throw new Error(`${k} at ${hex(va)}: the Guest's entries are ${hex(pdeNow)} and ${hex(pte)} afterwards: Accessed or Dirty missing`);
    }
    // And nothing it must not: Dirty on a page only read. (A directory entry's Dirty is the
    // Guest's own: Linux's _PAGE_TABLE sets it, and no processor reads or writes it.)
    if (k !== 'write' && (pte & PTE_D) !== dirtyBefore) {
      throw new Error(`${k} at ${hex(va)}: the Guest's entries are ${hex(pdeNow)} and ${hex(pte)} afterwards: Dirty set where no processor sets it`);
    }
  }

  // ---- The judge's look at what the Host wrote. ----

  /** Where each shadow page sits: slot, level, and the address its first entry covers. */
  function shadowPages(g: Guest): Map<number, { slot: number; level: 'top' | 'pmd' | 'pt'; base: number }> {
    const pages = new Map<number, { slot: number; level: 'top' | 'pmd' | 'pt'; base: number }>();
    g.pgdirs.forEach((p, slot) => {
      if (!p.pgdir) return;
      pages.set(p.pgdir, { slot, level: 'top', base: 0 });
      const tops = pae ? 4 : SWITCHER_PGD_INDEX;
      for (let i = 0; i < tops; i++) {
        const e = g.memory.read32(p.pgdir + i * size);
        if (!(e & PTE_P)) continue;
        const page = (e & 0xffff_f000) >>> 0;
        if (!pae) {
          pages.set(page, { slot, level: 'pt', base: i << 22 });
          continue;
        }
        pages.set(page, { slot, level: 'pmd', base: i * 2 ** 30 });
        for (let m = 0; m < 512; m++) {
          if (i === PAE_SWITCHER_PGD_INDEX && m === PAE_SWITCHER_PMD_INDEX) continue;
          const d = g.memory.read32(page + m * 8);
          if (d & PTE_P) pages.set((d & 0xffff_f000) >>> 0, { slot, level: 'pt', base: i * 2 ** 30 + m * 2 ** 21 });
        }
      }
    });
    return pages;
  }

  /**
   * The same, kept between looks: the judge looks after every fault fixed,
   * and most fixes write a page-table entry and nothing else. A shadow page
   * comes or goes only with a write to the directory (or PDPT) above it, or
   * with a slot's top page changing, and then the judge walks them all again.
   */
  let known: ReturnType<typeof shadowPages> | null = null;
  let knownTops = '';
  function shadowPagesNow(g: Guest): ReturnType<typeof shadowPages> {
    const tops = g.pgdirs.map((p) => p.pgdir).join();
    let fresh = known !== null && tops === knownTops;
    for (const at of written.keys()) {
      if (!fresh) break;
      if (known!.get((at & ~0xfff) >>> 0)?.level !== 'pt') fresh = false;
    }
    if (!fresh) {
      known = shadowPages(g);
      knownTops = tops;
    }
    return known!;
  }

  /** The Guest's entries for `va` in `dir`, read from one copy of its memory. */
  const guestPath = (read: (gpa: number) => number, dir: number, va: number) => {
    const ok = (a: number) => a >= 0 && a + 8 <= PAGES * 4096;
    const r = (a: number) => (ok(a) ? read(a) : 0);
    let pdeAt = pae ? -1 : dir + (va >>> 22) * 4;
    if (pae) {
      const pdpte = r(dir + (va >>> 30) * 8);
      if (pdpte & PTE_P) pdeAt = ((pdpte & 0xffff_f000) >>> 0) + ((va >>> 21) & 0x1ff) * 8;
    }
    const pde = pdeAt < 0 ? 0 : r(pdeAt);
    const pte = pde & PTE_P ? r(((pde & 0xffff_f000) >>> 0) + ((va >>> 12) & (pae ? 0x1ff : 0x3ff)) * size) : 0;
    return { pde, pte };
  };

  /**
   * Every shadow word the Host wrote since the judge last looked: safe, and
   * made from a Guest entry. Called whenever the Guest is about to act (a
   * hypercall, an access, each translation in one) and at the end of a step,
   * so what it looks at is one stretch of Host work, with no store of the
   * Guest's in the middle.
   */
  function judgeWrites(): void {
    try {
      if (written.size) judgeStretch();
    } finally {
      written.clear();
      guestOld.clear();
      told.clear();
    }
  }

  function judgeStretch(): void {
    const g = t.g;
    const pages = shadowPagesNow(g);
    const memories = [(a: number) => guestOld.get(a) ?? t.read(a), (a: number) => t.read(a)];
    const lo = g.memBase / 4096;
    for (const [at, old] of written) {
      const page = (at & ~0xfff) >>> 0;
      const where = pages.get(page);
      const offset = at & 0xfff;
      if (!where || offset % size) continue; // a page no longer in use, or a high word (checked below)
      const e = g.memory.read32(at);
      // Unchanged but for what the processor sets as it walks: nothing new was made.
      if (((e ^ old) & ~(PTE_A | PTE_D)) === 0) continue;
      if (pae && g.memory.read32(at + 4) !== 0) throw new Error(`shadow entry at ${hex(at)} has a high word`);
      if (!(e & PTE_P)) continue;
      const index = offset / size;
      const { slot, level, base } = where;
      const dir = g.pgdirs[slot]!.gpgdir;
      if (level === 'top' && pae) {
        if ((e & 0xfff) !== PTE_P) throw new Error(`shadow PDPT entry ${index} has flags ${hex(e & 0xfff)}`);
        if (e >>> 12 >= lo) throw new Error('a shadow PDPT entry names a Guest page');
        continue;
      }
      if (level !== 'pt') {
        // A directory entry: our page, and no right the Guest's directory entry withholds.
        if (!pae && index === SWITCHER_PGD_INDEX) continue;
        if (pae && base === PAE_SWITCHER_PGD_INDEX * 2 ** 30 && index === PAE_SWITCHER_PMD_INDEX) continue;
        if (e >>> 12 >= lo) throw new Error(`a shadow directory entry names Guest frame ${(e >>> 12) - lo} as a table`);
        const va = (pae ? base + index * 2 ** 21 : index * 2 ** 22) >>> 0;
        if (!memories.some((m) => { const { pde } = guestPath(m, dir, va); return pde & PTE_P && !(e & RIGHTS & ~pde); })) {
          throw new Error(`shadow directory entry ${hex(e)} for ${hex(va)} in slot ${slot} grants more than the Guest's`);
        }
        if (e & 0xfff & ~_PAGE_TABLE) throw new Error(`shadow directory entry ${hex(e)} carries flags a Guest's may not`);
        report.examined++;
        continue;
      }
      // A page-table entry: a Guest frame, never Global, rights and writability from a Guest entry.
      const va = (base + index * 4096) >>> 0;
      if (e >>> 12 < lo || e >>> 12 >= lo + g.pfnLimit) throw new Error(`shadow PTE for ${hex(va)} maps host frame ${e >>> 12}, outside the Guest`);
      if (e & PTE_G) throw new Error(`shadow PTE for ${hex(va)} is Global`);
      const sources = memories.map((m) => guestPath(m, dir, va).pte);
      const toldAs = told.get(`${va >= PAGE_OFFSET ? '*' : dir}:${va}`);
      if (toldAs !== undefined) sources.push(toldAs);
      const madeFrom = (gpte: number) => gpte & PTE_P && e >>> 12 === lo + (gpte >>> 12) && !(e & RIGHTS & ~gpte) && (!(e & PTE_RW) || gpte & PTE_D);
      if (!sources.some(madeFrom)) {
        throw new Error(`shadow PTE ${hex(e)} for ${hex(va)} in slot ${slot}: no Guest entry maps that frame with those rights (${sources.map(hex).join(', ')})`);
      }
      report.examined++;
      if (va < PAGE_OFFSET) report.examinedUser++;
    }
  }

  /** The whole of every shadow: the Switcher in place, and one page reference per present shadow PTE. */
  function scan(): void {
    report.scans++;
    const g = t.g;
    const refs = new Map<number, number>();
    for (const [page, where] of shadowPages(g)) {
      if (where.level !== 'pt') continue;
      for (let j = 0; j < 4096 / size; j++) {
        const e = g.memory.read32(page + j * size);
        if (e & PTE_P) refs.set(e >>> 12, (refs.get(e >>> 12) ?? 0) + 1);
      }
    }
    for (const [pfn, n] of g.pageRefs) if (refs.get(pfn) !== n) throw new Error(`host frame ${pfn}: ${n} references held, ${refs.get(pfn) ?? 0} shadow entries`);
    for (const [pfn] of refs) if (!g.pageRefs.has(pfn)) throw new Error(`host frame ${pfn} is mapped with no reference held`);
    const slots = g.pgdirs.filter((p) => p.pgdir).length;
    if (slots > PGDIR_SLOTS) throw new Error('more shadows than slots');
  }

  /**
   * SET_PGD (SET_PMD, in 2.6.24's name) of a top-level index a Guest has no business naming, in a
   * directory the Host shadows: the kernel's first, the Switcher's, the last, now and then one past
   * the end (which kills). The Guest's tables do not change, so neither may anything it sees. Drawn
   * from a stream of its own, now and then between two moves.
   */
  function wildSetPgd(): void {
    const entries = pae ? 4 : 1024;
    const kernel = pae ? PAGE_OFFSET / 2 ** 30 : PAGE_OFFSET >>> 22;
    const pick = (n: number) => Math.floor(wild() * n);
    const idx = wild() < 0.1 ? entries + pick(2) : [kernel, pae ? PAE_SWITCHER_PGD_INDEX : SWITCHER_PGD_INDEX, entries - 1][pick(3)]!;
    call(LHCALL_SET_PMD, wild() < 0.6 ? current : dirs[pick(dirs.length)]!, idx);
  }

  /** The judge's objection, with what led to it. */
  const judged = (e: unknown) => new Error(`${e instanceof Error ? e.message : String(e)}\n  (${pae ? 'PAE' : 'two-level'} Guest, seed ${options.seed}; the last steps of this Guest's life:\n    ${history.join('\n    ')})`);

  // ---- The run. ----
  boot();
  while (report.steps < options.steps) {
    report.steps++;
    let pick = rnd() * total;
    const move = moves.find(([w]) => (pick -= w) < 0)?.[1] ?? moves[0]![1];
    try {
      try {
        if (options.wildSetPgd !== false && wild() < 0.003) wildSetPgd();
        move();
      } catch (e) {
        if (e instanceof GuestKilled) throw e;
        throw judged(e);
      }
    } catch (e) {
      if (!(e instanceof GuestKilled)) throw e;
      const reason = e.reason.replace(/ 0x.*| \d.*/, '');
      if (!KILL_REASONS.test(e.reason)) throw new Error(`the Host killed the Guest for no reason it may give: ${e.reason}`);
      report.reasons.set(reason, (report.reasons.get(reason) ?? 0) + 1);
      report.kills++;
      note(`killed: ${e.reason}`);
      try {
        judgeWrites();
      } catch (err) {
        throw judged(err);
      }
      report.lives.push(report.steps - born);
      boot();
      continue;
    }
    try {
      judgeWrites();
      if (report.steps % 97 === 0) scan();
    } catch (err) {
      throw judged(err);
    }
  }
  report.lives.push(report.steps - born);
  return report;
}

/** The median of a list of numbers. */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : 0;
};
