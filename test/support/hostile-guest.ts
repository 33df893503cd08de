/*
 * The hostile Guest kernel that both hardware-assisted Hosts' tests run: the
 * transparent shadow Host's (hostile-transparent.ts) and the nested-paging
 * Host's (hostile-nested.ts). Neither Host gives the Guest a hypercall, so
 * the Guest abuses what it has, its page tables and its control registers,
 * and both tests need the same Guest: it keeps a dozen address spaces, writes
 * sense and garbage into its tables through its direct map, maps its own
 * tables writable into user space and writes them through the alias, changes
 * directory entries' rights in place, memsets tables as data, points CR3 and
 * PDPT entries at nonsense, and flushes or not as it pleases.
 *
 * What differs is the judge: each test hands in a `GuestCpu` whose every
 * instruction runs on its Host and on bare hardware and compares them. And
 * a little of the Guest: each Host has its own few moves (kept in its test),
 * and its own memory layout (`GuestShape`).
 *
 * Every choice comes from the test's seeded generator, so a failure names a
 * seed and replays exactly.
 */
import { _PAGE_TABLE, PTE_A, PTE_D, PTE_G, PTE_P, PTE_PCD, PTE_PS, PTE_PWT, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';

/** Where the Guest's kernel sees its memory, and its boot page directory. */
export const PAGE_OFFSET = 0xc000_0000;
export const BOOT_DIR = 0x2000;
/** Its programs' pages: runs of `USER_RUN` pages at each of these. */
export const USER_ADDRS = [0x0180_0000, 0x0804_8000, 0x080f_0000, 0x0840_0000, 0x4000_0000, 0x4020_0000, 0x8000_0000, 0xbffe_0000];
export const USER_RUN = 16;
export const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** The Guest's memory, and the few ways one test's Guest differs from the other's. */
export interface GuestShape {
  pae: boolean;
  /** Guest memory, in pages. */
  pages: number;
  /** The frames its programs' data lives in: [first, end) ranges. */
  data: readonly (readonly [number, number])[];
  /** New tables come from the top of memory down to this frame; after that, old tables are used again (which is nonsense, and another move). */
  tableFloor: number;
  /** How often a random PTE names a frame past the end of memory. */
  outsideChance: number;
  /** How often a random PTE or directory entry's flags carry PS; absent, never (no draw is made). */
  psChance?: number;
  /** A directory entry changed in place is now and then made a large page (PSE, or PAE's 2 MiB). */
  largeDirectories: boolean;
  /** A large directory entry under two-level paging stays when a PTE is set below it (the Host must meet it); otherwise it is replaced by a table. */
  keepLarge32: boolean;
  /** PAE: the Guest checks and clears a PDPT entry's high word when it sets one. */
  highWords: boolean;
  /** The memset move stores a zero every `memsetStride` bytes of a table, but never into the tables `spares` names. */
  memsetStride: number;
  spares(table: number): boolean;
}

/** One Guest instruction at a time, run on the Host and judged against bare hardware by the test. */
export interface GuestCpu {
  /** What the Guest's memory holds at Guest-physical `gpa` (0 outside it). */
  peek(gpa: number): number;
  access(va: number, kind: AccessKind, cpl: number, value?: number): void;
  cr3(value: number): void;
  invlpg(va: number): void;
  /** Whether paging is off, so the kernel's stores go to physical addresses. */
  pagingOff(): boolean;
  /** A line of the story printed when a check fails. */
  note(what: string): void;
}

export class HostileGuest {
  /** The address spaces it has made, the one running, and the most it ever had. */
  dirs: number[] = [BOOT_DIR];
  current = BOOT_DIR;
  maxDirs = 0;
  /** Frames this life has used as tables (page tables, directories, PMDs): the ones its aliases and memsets aim at. */
  tables: number[] = [];
  /** The next fresh frame for a table is below this one. */
  top: number;
  readonly e: number;

  constructor(
    readonly shape: GuestShape,
    readonly cpu: GuestCpu,
    readonly rnd: () => number,
  ) {
    this.e = shape.pae ? 8 : 4;
    this.top = shape.pages;
  }

  /** A new life: one address space, no tables yet. */
  reset(): void {
    this.top = this.shape.pages;
    this.tables = [];
    this.dirs = [BOOT_DIR];
    this.current = BOOT_DIR;
  }

  int = (n: number) => Math.floor(this.rnd() * n);
  chance = (p: number) => this.rnd() < p;

  // ---- The Guest's knowledge of its memory (it wrote it; reading it back changes nothing). ----
  inGuest = (entry: number) => (entry & PTE_P) !== 0 && entry >>> 12 < this.shape.pages;
  frameOf = (entry: number) => (entry & 0xffff_f000) >>> 0;
  pteIndex = (va: number) => (this.shape.pae ? (va >>> 12) & 0x1ff : (va >>> 12) & 0x3ff);
  /** Where the directory entry for `va` in `dir` is (under PAE, below its PDPT entry), or -1. */
  pdeAt = (dir: number, va: number) => {
    if (!this.shape.pae) return dir + (va >>> 22) * 4;
    const pdpte = this.cpu.peek(dir + (va >>> 30) * 8);
    return this.inGuest(pdpte) ? this.frameOf(pdpte) + ((va >>> 21) & 0x1ff) * 8 : -1;
  };

  // ---- What the Guest writes. ----
  dataFrame = () => {
    const { data } = this.shape;
    const [lo, hi] = data.length === 1 ? data[0]! : data[this.int(data.length)]!;
    return lo + this.int(hi - lo);
  };
  sensiblePte = () => ((this.dataFrame() << 12) | PTE_P | PTE_US | (this.chance(0.8) ? PTE_RW : 0) | [0, PTE_A, PTE_A | PTE_D][this.int(3)]!) >>> 0;
  randomPte = (): number => {
    const { chance, int, tables } = this;
    if (chance(0.5)) return this.sensiblePte();
    if (chance(0.1)) return int(0x1_0000_0000) >>> 0;
    const frame = chance(this.shape.outsideChance) ? this.shape.pages + int(64) : chance(0.1) && tables.length ? tables[int(tables.length)]! >>> 12 : this.dataFrame();
    let flags = chance(0.08) ? 0 : PTE_P;
    if (chance(0.7)) flags |= PTE_RW;
    if (chance(0.7)) flags |= PTE_US;
    flags |= [0, PTE_A, PTE_D, PTE_A | PTE_D][int(4)]!;
    if (chance(0.1)) flags |= PTE_G;
    if (chance(0.05)) flags |= PTE_PWT | PTE_PCD;
    if (this.shape.psChance !== undefined && chance(this.shape.psChance)) flags |= PTE_PS;
    return ((frame << 12) | flags) >>> 0;
  };
  randomPdeFlags = (): number => {
    const { chance } = this;
    let flags = PTE_P | (chance(0.5) ? PTE_A : 0);
    if (chance(0.75)) flags |= PTE_RW;
    if (chance(0.75)) flags |= PTE_US;
    if (this.shape.psChance !== undefined && chance(this.shape.psChance)) flags |= PTE_PS;
    return flags;
  };
  userAddr = () => (USER_ADDRS[this.int(USER_ADDRS.length)]! + this.int(USER_RUN) * 0x1000 + this.int(1024) * 4) >>> 0;
  kernelAddr = () => (PAGE_OFFSET + this.int(this.shape.pages) * 4096 + this.int(1024) * 4) >>> 0;
  anyAddr = () => (this.chance(0.6) ? this.userAddr() : this.chance(0.8) ? this.kernelAddr() : this.int(0x1_0000_0000) >>> 0);
  /** A fresh frame for a table, while this life's ration lasts; then one of its tables again. */
  tableFrame = () => {
    if (this.top > this.shape.tableFloor) {
      const f = --this.top * 4096;
      this.tables.push(f);
      return f;
    }
    return this.tables[this.int(this.tables.length)]!;
  };

  /** A kernel store to Guest-physical `gpa`: through the direct map, as any kernel writes its tables, or at the address itself with paging off. */
  poke = (gpa: number, value: number) => this.cpu.access(this.cpu.pagingOff() ? gpa : (PAGE_OFFSET + gpa) >>> 0, WRITE, 0, value);

  /** Set the PTE for `va` in `dir`, making the tables above it if there are none. */
  setPte(dir: number, va: number, pte: number, pdeFlags = _PAGE_TABLE): void {
    const { cpu, poke } = this;
    if (this.shape.pae) {
      const pdpteAt = dir + (va >>> 30) * 8;
      if (!this.inGuest(cpu.peek(pdpteAt)) || cpu.peek(pdpteAt) & 0x1e6 || (this.shape.highWords && cpu.peek(pdpteAt + 4))) {
        poke(pdpteAt, this.tableFrame() | PTE_P);
        if (this.shape.highWords) poke(pdpteAt + 4, 0);
        // The processor reads PDPT entries at CR3 loads: load CR3 again if this one is running.
        if (dir === this.current) cpu.cr3(this.current);
      }
    }
    const at = this.pdeAt(dir, va);
    if (at < 0) return;
    const large = cpu.peek(at) & PTE_PS && (this.shape.pae || !this.shape.keepLarge32);
    if (!this.inGuest(cpu.peek(at)) || large) poke(at, this.tableFrame() | pdeFlags);
    const pde = cpu.peek(at);
    if (!this.inGuest(pde)) return;
    poke(this.frameOf(pde) + this.pteIndex(va) * this.e, pte);
  }

  /** Its programs' pages at boot, mapped through its direct map (stores the judge compares, like every other). */
  mapPrograms(): void {
    for (const base of USER_ADDRS) for (let i = 0; i < USER_RUN; i++) if (this.chance(0.7)) this.setPte(BOOT_DIR, base + i * 4096, this.sensiblePte());
  }

  /** The moves both Hosts' Guests make, with their weights; each test adds its own after these. */
  moves(): [number, () => void][] {
    const { cpu, chance, int, poke, e } = this;
    const { pae } = this.shape;
    return [
      [30, () => cpu.access(this.anyAddr(), int(3) as AccessKind, chance(0.7) ? 3 : 0)],
      [6, () => {
        const base = USER_ADDRS[int(USER_ADDRS.length)]!;
        const kind = chance(0.5) ? WRITE : READ;
        for (let i = 0; i < USER_RUN; i++) cpu.access(base + i * 4096, kind, 3);
      }],
      // An entry set, sensible or strange, in some address space, for a user or a kernel address.
      [16, () => {
        const dir = this.dirs[int(this.dirs.length)]!;
        const va = chance(0.85) ? this.userAddr() : this.kernelAddr();
        // The kernel keeps most of its direct map, or it could write nothing any more.
        if (va >= PAGE_OFFSET && !chance(0.1)) return;
        this.setPte(dir, va, this.randomPte(), this.randomPdeFlags());
      }],
      // A directory entry's rights changed in place (or, where the Host allows them, made a large page); flushed, or not.
      [5, () => {
        const dir = chance(0.6) ? this.current : this.dirs[int(this.dirs.length)]!;
        const at = this.pdeAt(dir, this.userAddr());
        if (at < 0 || !this.inGuest(cpu.peek(at))) return;
        if (this.shape.largeDirectories && chance(0.15)) {
          const { data } = this.shape;
          poke(at, (((pae ? data[int(data.length)]![0] & ~0x1ff : 0) << 12) | PTE_P | PTE_RW | PTE_US | PTE_PS | (chance(0.5) ? PTE_A : 0)) >>> 0);
        } else poke(at, (cpu.peek(at) & ~(PTE_RW | PTE_US)) | (this.randomPdeFlags() & (PTE_RW | PTE_US)));
        if (chance(0.3)) cpu.cr3(this.current);
      }],
      // A new table, or garbage, in a directory entry, or (PAE) a PDPT entry, live at the next CR3 load.
      [3, () => {
        const dir = this.dirs[int(this.dirs.length)]!;
        const va = this.userAddr();
        const garbage = chance(0.05);
        if (pae && chance(0.3)) {
          poke(dir + (va >>> 30) * 8, garbage ? int(0x1_0000_0000) >>> 0 : this.tableFrame() | PTE_P);
          if (chance(0.5)) cpu.cr3(this.current);
          return;
        }
        const at = this.pdeAt(dir, va);
        if (at >= 0) poke(at, garbage ? int(0x1_0000_0000) >>> 0 : this.tableFrame() | this.randomPdeFlags());
      }],
      // Context switches through many address spaces, new ones made as fork makes them.
      [8, () => {
        // A directory from a fresh frame (one made of an old table would be nonsense, which is another move).
        if (this.dirs.length < 12 && this.top > this.shape.tableFloor + 8 && chance(0.35)) {
          const dir = this.tableFrame();
          if (pae) {
            poke(dir + 3 * 8, cpu.peek(BOOT_DIR + 3 * 8));
            for (let i = 0; i < 3; i++) poke(dir + i * 8, 0);
          } else {
            for (let i = 0; i < PAGE_OFFSET >>> 22; i += 1 + int(64)) poke(dir + i * 4, 0);
            for (let i = PAGE_OFFSET >>> 22; i < 1024; i++) if (cpu.peek(dir + i * 4) !== cpu.peek(BOOT_DIR + i * 4)) poke(dir + i * 4, cpu.peek(BOOT_DIR + i * 4));
          }
          for (let r = 0; r < 3; r++) {
            const base = USER_ADDRS[int(USER_ADDRS.length)]!;
            for (let i = 0; i < USER_RUN; i += 2) if (chance(0.5)) this.setPte(dir, base + i * 4096, this.sensiblePte());
          }
          this.dirs.push(dir);
          this.maxDirs = Math.max(this.maxDirs, this.dirs.length);
        }
        this.current = this.dirs[int(this.dirs.length)]!;
        // Now and then with the low bits set, which the processor ignores (PCD and PWT aside).
        cpu.cr3((this.current | (chance(0.1) ? int(pae ? 32 : 4096) : 0)) >>> 0);
      }],
      // Flushes: a CR3 reload, or INVLPG of anything.
      [4, () => {
        if (chance(0.5)) cpu.cr3(this.current);
        else cpu.invlpg(this.anyAddr());
      }],
      // Its own page table mapped writable into user space, and written through the alias.
      [4, () => {
        const table = this.tables[int(this.tables.length)]!;
        const va = this.userAddr() & ~0xfff;
        this.setPte(this.current, va, (table | PTE_P | PTE_RW | PTE_US | PTE_A | (chance(0.5) ? PTE_D : 0)) >>> 0);
        for (let i = 0; i < 1 + int(4); i++) cpu.access(va + int(1024 / (e / 4)) * e, WRITE, 3, chance(0.5) ? this.randomPte() : int(0x1_0000_0000) >>> 0);
      }],
      // A table's frame memset as if it were data (which the Host cannot know it is not).
      [1, () => {
        const table = this.tables[int(this.tables.length)]!;
        if (this.shape.spares(table)) return;
        cpu.note(`memset of table frame ${hex(table)}`);
        for (let off = 0; off < 4096; off += this.shape.memsetStride) poke(table + off, 0);
      }],
      // A store anywhere in the kernel's direct map.
      [1, () => poke(int(this.shape.pages) * 4096 + int(1024) * 4, this.randomPte())],
      // A CR3 of nonsense, now and then.
      [0.1, () => {
        const bad = chance(0.5) ? (this.shape.pages + int(1000)) * 4096 : int(0x1_0000_0000) >>> 0;
        cpu.cr3(bad);
        this.current = bad;
      }],
    ];
  }
}
