/* Small machines for tests: memory, a frame allocator, an address space and an MMU with paging on. */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, EFER_NXE, Mmu, type MmuOptions } from '../../src/hw/mmu.ts';
import { PhysicalMemory } from '../../src/hw/phys-memory.ts';
import { Builder32, BuilderPae, FrameAllocator } from '../../src/tools/builder.ts';
import { PageFault } from '../../src/hw/fault.ts';

export interface Machine32 {
  memory: PhysicalMemory;
  frames: FrameAllocator;
  space: Builder32;
  mmu: Mmu;
}

/** 32-bit paging on, CR0.WP as asked, CR4 bits as given, the MMU made with `mmu`. Frames 0–15 are left for test data. */
export function machine32(options: { wp?: boolean; cr4?: number; mb?: number; mmu?: MmuOptions } = {}): Machine32 {
  const memory = new PhysicalMemory((options.mb ?? 1) << 20);
  const frames = new FrameAllocator(memory, 16);
  const space = new Builder32(memory, frames);
  const mmu = new Mmu(memory, options.mmu);
  mmu.writeCr4(options.cr4 ?? 0);
  mmu.writeCr3(space.cr3);
  mmu.writeCr0(CR0_PE | CR0_PG | (options.wp ? CR0_WP : 0));
  return { memory, frames, space, mmu };
}

export interface MachinePae {
  memory: PhysicalMemory;
  frames: FrameAllocator;
  space: BuilderPae;
  mmu: Mmu;
}

/** PAE paging, optionally with EFER.NXE, the MMU made with `mmu`. The address space is built by `build` before CR3 is loaded. */
export function machinePae(build: (space: BuilderPae) => void, options: { nxe?: boolean; cr4?: number; mmu?: MmuOptions } = {}): MachinePae {
  const memory = new PhysicalMemory(1 << 20);
  const frames = new FrameAllocator(memory, 16);
  const space = new BuilderPae(memory, frames);
  build(space);
  const mmu = new Mmu(memory, options.mmu);
  if (options.nxe) mmu.writeEfer(EFER_NXE);
  mmu.writeCr4(CR4_PAE | (options.cr4 ?? 0));
  mmu.writeCr3(space.cr3);
  mmu.writeCr0(CR0_PE | CR0_PG | CR0_WP);
  return { memory, frames, space, mmu };
}

/** The page numbers the TLB holds, smallest first. */
export const cachedPages = (mmu: Mmu): number[] => mmu.tlb.entries().map((e) => e.vpn).sort((a, b) => a - b);

/** The error of class `kind` that `fn` throws; anything else it throws goes on up, and throwing nothing fails. */
export function thrownBy<E extends Error>(kind: abstract new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof kind) return e;
    throw e;
  }
  throw new Error(`expected ${kind.name}, but nothing was thrown`);
}

/** The page fault `fn` raises, or a failure if it raises none. */
export function faultOf(fn: () => unknown): PageFault {
  return thrownBy(PageFault, fn);
}

export { CR4_PGE, CR4_PSE };
