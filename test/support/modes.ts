/*
 * A machine in any of the three paging modes, for tests that make the same
 * claim of all of them: 32-bit, PAE or IA-32e paging on, its tables built
 * raw in memory so a test can write any entry at any level.
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, EFER_LME, EFER_NXE, Mmu } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { PTE_P, PTE_PS } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';
import { FrameAllocator, TABLE_FLAGS } from '../../src/tools/builder.ts';

export type Mode = '32bit' | 'pae' | 'ia32e';
export const MODES: readonly Mode[] = ['32bit', 'pae', 'ia32e'];
export const KINDS: readonly AccessKind[] = [READ, WRITE, FETCH];
export const KIND_NAME = ['read', 'write', 'fetch'] as const;

/** log2 of what one entry covers, top level first. */
const SHIFTS: Record<Mode, number[]> = { '32bit': [22, 12], pae: [30, 21, 12], ia32e: [39, 30, 21, 12] };

export interface ModeMachine {
  mode: Mode;
  memory: PhysicalMemory;
  mmu: Mmu;
  /** CR3's value: the page directory, PDPT or PML4. */
  root: number;
  /** How many levels the walk has (2, 3 or 4); the leaf is at depth `levels - 1`. */
  levels: number;
  /** The address of the entry at `depth` (0: the top level) on the walk of `va`, making tables above it as needed. */
  entryAddr(va: number, depth: number): number;
  /** Write the entry at `depth` for `va`: its low word, and (eight-byte modes) its high word. */
  setEntry(va: number, depth: number, lo: number, hi?: number): number;
  /** Map the 4 KiB page at `va` to `pa` with `flags`; `hi` adds high-word bits (XD, reserved). */
  map(va: number, pa: number, flags: number, hi?: number): number;
  /** Map a large page at `depth` (PS=1): 4 MiB, 2 MiB or 1 GiB. */
  mapLarge(va: number, depth: number, pa: number, flags: number, hi?: number): number;
}

export interface ModeOptions {
  wp?: boolean;
  /** CR4 bits besides PAE, which the mode decides. */
  cr4?: number;
  nxe?: boolean;
  tlbSize?: number;
  /** The MMU's common-case miss path (on by default); off, every miss takes the full walk. */
  fastMisses?: boolean;
  /** Build the tables before paging is turned on (PAE loads its PDPTEs then). */
  build?: (m: ModeMachine) => void;
}

/**
 * A 1 MiB machine with paging on in `mode`. Linear addresses are numbers as the
 * Mmu takes them: unsigned 32-bit, or signed 48-bit canonical under IA-32e.
 * Under PAE all four PDPTEs are made present at once, as CR3 loads them.
 */
export function machineIn(mode: Mode, o: ModeOptions = {}): ModeMachine {
  const memory = new PhysicalMemory(1 << 20);
  const frames = new FrameAllocator(memory, 16);
  const root = frames.alloc();
  const shifts = SHIFTS[mode];
  const wide = mode !== '32bit';
  const size = wide ? 8 : 4;
  const perTable = wide ? 512 : 1024;
  if (mode === 'pae') for (let i = 0; i < 4; i++) memory.write32(root + i * 8, frames.alloc() | PTE_P);
  const mmu = new Mmu(memory, { tlbSize: o.tlbSize ?? 1024, fastMisses: o.fastMisses ?? true });

  const entryAddr = (va: number, depth: number): number => {
    const u = va < 0 ? va + 2 ** 48 : va;
    let table = root;
    for (let d = 0; ; d++) {
      const at = table + (Math.floor(u / 2 ** shifts[d]!) % perTable) * size;
      if (d === depth) return at;
      let lo = memory.read32(at);
      if (!(lo & PTE_P) || (lo & PTE_PS && d > 0)) {
        lo = (frames.alloc() | TABLE_FLAGS) >>> 0;
        memory.write32(at, lo);
        if (wide) memory.write32(at + 4, 0);
      }
      table = (lo & 0xffff_f000) >>> 0;
    }
  };
  const setEntry = (va: number, depth: number, lo: number, hi = 0): number => {
    const at = entryAddr(va, depth);
    memory.write32(at, lo >>> 0);
    if (wide) memory.write32(at + 4, hi >>> 0);
    return at;
  };
  const entryFor = (pa: number, flags: number, hi: number) =>
    [((pa % 2 ** 32) & 0xffff_f000) | flags, (hi | Math.floor(pa / 2 ** 32)) >>> 0] as const;
  const m: ModeMachine = {
    mode, memory, mmu, root, levels: shifts.length, entryAddr, setEntry,
    map: (va, pa, flags, hi = 0) => setEntry(va, shifts.length - 1, ...entryFor(pa, flags, hi)),
    mapLarge: (va, depth, pa, flags, hi = 0) => setEntry(va, depth, ...entryFor(pa, flags | PTE_PS, hi)),
  };
  o.build?.(m);
  if (mode === 'ia32e') mmu.writeEfer(EFER_LME | (o.nxe ? EFER_NXE : 0));
  else if (o.nxe) mmu.writeEfer(EFER_NXE);
  mmu.writeCr4((o.cr4 ?? 0) | (wide ? CR4_PAE : 0));
  mmu.writeCr3(root);
  mmu.writeCr0(CR0_PE | CR0_PG | (o.wp ? CR0_WP : 0));
  return m;
}

/** The outcome of one access through the MMU: the physical address, or the error code of its #PF. */
export type Outcome = { paddr: number } | { fault: number };

export function access(mmu: Mmu, va: number, kind: AccessKind): Outcome {
  const paddr = mmu.physical(va, kind);
  return paddr >= 0 ? { paddr } : { fault: mmu.lastErrorCode };
}
