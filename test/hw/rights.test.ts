import { describe, expect, test } from 'vitest';
import { PageFault, PF_ID, PF_P, PF_RSVD, PF_U, PF_W } from '../../src/hw/fault.ts';
import { CR4_PSE, CR4_SMAP, CR4_SMEP, type Mmu } from '../../src/hw/mmu.ts';
import { PTE_P, PTE_RW, PTE_US, PTE_XD_HI } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';
import { claim } from '../support/claim.ts';
import { faultOf, machine32, machinePae } from '../support/machine.ts';
import { access, KIND_NAME, KINDS, machineIn, MODES, type Outcome } from '../support/modes.ts';

const PRW = PTE_P | PTE_RW;
const PRWU = PTE_P | PTE_RW | PTE_US;

// One page of each kind, at the same linear addresses in every paging mode.
const RO_SUPER = 0x0040_1000;
const USER = 0x0040_2000;
const XD = 0x0040_3000;
const NO_PTE = 0x0040_5000;
const RSVD = 0x0080_0000; // a 4 MiB page under 32-bit paging, a 4 KiB one otherwise
const NO_PDE = 0x0100_0000;
const NO_PML4E = 2 ** 46;

/** Fill a flushed TLB with everything each privilege level may reach among `pages`. */
function prime(mmu: Mmu, pages: number[]): void {
  mmu.tlb.flushAll();
  for (const cpl of [3, 0]) {
    mmu.setCpl(cpl);
    for (const va of pages) for (const kind of KINDS) mmu.physical(va, kind);
  }
}

/**
 * Long mode: a 4 KiB page under all four levels, and a 1 GiB page under two, with `bit` taken
 * from one entry at a time (the PML4E, the PDPTE, the PDE, the leaf). Each entry alone must
 * withhold the right; `check` sees the MMU with the page mapped at `va`.
 */
function everyIa32eLevel(bit: number, check: (mmu: Mmu, va: number, where: string) => void): void {
  const va = 0x4000_1000;
  for (const [leaf, depths] of [[3, [0, 1, 2, 3]], [1, [0, 1]]] as const) {
    for (const depth of depths) {
      const m = machineIn('ia32e', {
        build: (b) => {
          if (leaf === 3) b.map(va, 0x7000, PRWU);
          else b.mapLarge(va, 1, 0x4000_0000, PRWU);
          const at = b.entryAddr(va, depth);
          b.memory.write32(at, b.memory.read32(at) & ~bit);
        },
      });
      check(m.mmu, va, `${leaf === 3 ? '4 KiB' : '1 GiB'} page, ${['PML4E', 'PDPTE', 'PDE', 'PTE'][depth]} without it`);
    }
  }
}

describe('rights', () => {
  claim('user-needs-us-every-level', () => {
    // Either level may say supervisor, at either width: [PTE flags, PDE flags].
    for (const [pte, pde] of [[PRWU, PRW], [PRW, PRWU]] as const) {
      const narrow = machine32();
      narrow.space.map(0x1000, 0x7000, pte, pde);
      const wide = machinePae((s) => { s.map(0x1000, 0x7000, pte, false, pde); });
      for (const { mmu } of [narrow, wide]) {
        mmu.setCpl(3);
        expect(faultOf(() => mmu.read8(0x1000)).errorCode).toBe(PF_P | PF_U);
        mmu.setCpl(0);
        expect(mmu.read8(0x1000)).toBe(0);
      }
    }
    // And at each of long mode's levels, a 1 GiB page's own entry included.
    everyIa32eLevel(PTE_US, (mmu, va, where) => {
      mmu.setCpl(3);
      expect(access(mmu, va, READ), where).toEqual({ fault: PF_P | PF_U });
      mmu.setCpl(0);
      expect(access(mmu, va, READ), where).toHaveProperty('paddr');
    });
  });

  claim('write-needs-rw-every-level', () => {
    // A read-only directory entry over a writable PTE, and the other way round, at either width.
    for (const [pte, pde] of [[PRWU, PTE_P | PTE_US], [PTE_P | PTE_US, PRWU]] as const) {
      const narrow = machine32();
      narrow.space.map(0x1000, 0x7000, pte, pde);
      const wide = machinePae((s) => { s.map(0x1000, 0x7000, pte, false, pde); });
      for (const { mmu } of [narrow, wide]) {
        mmu.setCpl(3);
        expect(mmu.read8(0x1000)).toBe(0);
        expect(faultOf(() => mmu.write8(0x1000, 1)).errorCode).toBe(PF_P | PF_W | PF_U);
      }
    }
    // And at each of long mode's levels, a 1 GiB page's own entry included.
    everyIa32eLevel(PTE_RW, (mmu, va, where) => {
      mmu.setCpl(3);
      expect(access(mmu, va, READ), where).toHaveProperty('paddr');
      expect(access(mmu, va, WRITE), where).toEqual({ fault: PF_P | PF_W | PF_U });
    });
  });

  claim('wp-supervisor-write', () => {
    for (const wp of [false, true]) {
      const { space, mmu, memory } = machine32({ wp });
      space.map(0x1000, 0x7000, PTE_P);
      if (wp) expect(faultOf(() => mmu.write32(0x1000, 5)).errorCode).toBe(PF_P | PF_W);
      else {
        mmu.write32(0x1000, 5);
        expect(memory.read32(0x7000)).toBe(5);
      }
    }
  });

  claim('smep-smap', () => {
    // SMEP and SMAP each on and off, EFLAGS.AC both ways, every CPL, every
    // access kind, a user and a supervisor page, in every paging mode. Each
    // access is tried from a cold TLB, and again after the TLB learnt the page
    // with both bits off and the control bits changed under it (MOV to CR4
    // does not flush for SMAP, so the check must run on the TLB's entry).
    const S = 0x0040_1000, U = 0x0040_2000;
    let faults = 0;
    for (const mode of MODES) {
      const m = machineIn(mode, { wp: true });
      m.map(S, 0x7000, PRW);
      m.map(U, 0x8000, PRWU);
      const base = m.mmu.cr4;
      for (const smep of [false, true]) {
        for (const smap of [false, true]) {
          const cr4 = base | (smep ? CR4_SMEP : 0) | (smap ? CR4_SMAP : 0);
          for (const warm of [false, true]) {
            for (const ac of [false, true]) {
              for (const cpl of [0, 1, 2, 3]) {
                for (const kind of KINDS) {
                  for (const [name, va] of [['user page', U], ['supervisor page', S]] as const) {
                    m.mmu.setAc(false);
                    m.mmu.writeCr4(warm ? base : cr4);
                    m.mmu.tlb.flushAll();
                    if (warm) {
                      // Every kind of access to both pages, at the CPL that may make it.
                      for (const [page, level] of [[U, 3], [S, 0]]) {
                        m.mmu.setCpl(level!);
                        for (const k of KINDS) expect(m.mmu.physical(page!, k)).toBeGreaterThan(0);
                      }
                      m.mmu.setCpl(0);
                      m.mmu.writeCr4(cr4);
                    }
                    m.mmu.setAc(ac);
                    m.mmu.setCpl(cpl);
                    const where = `${mode} SMEP=${+smep} SMAP=${+smap} AC=${+ac} CPL ${cpl} ${KIND_NAME[kind]} of the ${name}${warm ? ', TLB warm' : ''}`;
                    const got = access(m.mmu, va, kind);
                    let expected: Outcome;
                    if (cpl === 3) {
                      // User mode is unaffected by either: a user page allows everything, a supervisor page nothing.
                      expected = va === U ? { paddr: 0x8000 } : { fault: PF_P | PF_U | (kind === WRITE ? PF_W : 0) | (kind === FETCH && smep ? PF_ID : 0) };
                    } else if (va === S) {
                      expected = { paddr: 0x7000 }; // SMEP and SMAP guard user pages only
                    } else if (kind === FETCH) {
                      expected = smep ? { fault: PF_P | PF_ID } : { paddr: 0x8000 }; // AC does not lift SMEP; SMAP spares fetches
                    } else {
                      expected = smap && !ac ? { fault: PF_P | (kind === WRITE ? PF_W : 0) } : { paddr: 0x8000 }; // writes as reads
                    }
                    expect(got, where).toEqual(expected);
                    if ('fault' in got) faults++;
                  }
                }
              }
            }
          }
        }
      }
    }
    expect(faults).toBeGreaterThan(0);
    // The exceptions a program sees.
    const { space, mmu } = machine32({ cr4: CR4_SMEP | CR4_SMAP });
    space.map(0x1000, 0x7000, PRWU);
    expect(faultOf(() => mmu.fetch32(0x1000)).errorCode).toBe(PF_P | PF_ID);
    expect(faultOf(() => mmu.read32(0x1000)).errorCode).toBe(PF_P);
    mmu.setAc(true);
    expect(mmu.read32(0x1000)).toBe(0);
    expect(faultOf(() => mmu.fetch32(0x1000)).errorCode).toBe(PF_P | PF_ID);
  });

  claim('xd-needs-nxe', () => {
    const build = (s: Parameters<Parameters<typeof machinePae>[0]>[0]) => { s.map(0x1000, 0x7000, PRW, true); };
    const withNxe = machinePae(build, { nxe: true });
    expect(withNxe.mmu.read32(0x1000)).toBe(0);
    expect(faultOf(() => withNxe.mmu.fetch32(0x1000)).errorCode).toBe(PF_P | PF_ID);
    const without = machinePae(build);
    // Without NXE, bit 63 is reserved: any access faults with RSVD (a write says W, a fetch looks like a read).
    expect(faultOf(() => without.mmu.read32(0x1000)).errorCode).toBe(PF_P | PF_RSVD);
    expect(faultOf(() => without.mmu.write32(0x1000, 1)).errorCode).toBe(PF_P | PF_W | PF_RSVD);
    expect(faultOf(() => without.mmu.fetch32(0x1000)).errorCode).toBe(PF_P | PF_RSVD);
    // XD is the OR of every level's: set in the directory entry alone, it forbids fetches from every page below it
    // (on the common-case miss path and in the full walk alike).
    for (const fastMisses of [true, false]) {
      const dirXd = machinePae((s) => {
        s.map(0x1000, 0x7000, PRW);
        s.memory.write32(s.pdeAddr(0x1000) + 4, s.memory.read32(s.pdeAddr(0x1000) + 4) | 0x8000_0000);
      }, { nxe: true, mmu: { fastMisses } });
      expect(dirXd.mmu.read32(0x1000)).toBe(0);
      expect(faultOf(() => dirXd.mmu.fetch32(0x1000)).errorCode).toBe(PF_P | PF_ID);
    }
  });

  claim('error-code-bits', () => {
    // Every paging mode, with and without EFER.NXE and CR4.SMEP, at every CPL
    // (1 and 2 are supervisor levels: only CPL 3 sets U), for every access kind.
    // SMAP is on throughout, so a supervisor read or write of a user page is a
    // protection fault too; WP is on, so is a supervisor write to a read-only one.
    let checked = 0;
    for (const mode of MODES) {
      for (const nxe of [false, true]) {
        for (const smep of [false, true]) {
          const eight = mode !== '32bit';
          const m = machineIn(mode, { wp: true, nxe, cr4: CR4_PSE | CR4_SMAP | (smep ? CR4_SMEP : 0) });
          m.map(RO_SUPER, 0x7000, PTE_P);
          m.map(USER, 0x8000, PRWU);
          m.map(NO_PTE - 0x1000, 0x9000, PRWU); // the table exists; the entry for NO_PTE does not
          if (eight) {
            m.map(XD, 0xa000, PRWU, PTE_XD_HI);
            m.map(RSVD, 0xb000, PRWU, 1 << 19); // bit 51: above MAXPHYADDR, reserved
          } else {
            m.mapLarge(RSVD, 0, 0x0080_0000, PRWU | (1 << 21)); // bit 21 of a 4 MiB PDE is reserved
          }
          const reportsFetch = smep || (nxe && eight);
          // Which accesses fault, and with which of P and RSVD: the cases the sentence names.
          const cases: [string, number, (cpl: number, kind: AccessKind) => number | null][] = [
            ['no PTE', NO_PTE, () => 0],
            ['no PDE', NO_PDE, () => 0],
            ['reserved bit', RSVD, () => PF_P | PF_RSVD],
            ['read-only supervisor page', RO_SUPER, (cpl, kind) => (cpl === 3 || kind === WRITE ? PF_P : null)],
            ['user page', USER, (cpl, kind) => (cpl < 3 && (kind !== FETCH || smep) ? PF_P : null)],
          ];
          if (mode === 'ia32e') cases.push(['no PML4E', NO_PML4E, () => 0]);
          // A user page with XD: SMAP stops the supervisor's reads and writes, XD everyone's fetches.
          if (eight) cases.push(['XD page', XD, (cpl, kind) => (!nxe ? PF_P | PF_RSVD : kind === FETCH || cpl < 3 ? PF_P : null)]);
          // Each access from a cold TLB, then from one holding every page that some CPL may reach.
          for (const warm of [false, true]) {
            for (const cpl of [0, 1, 2, 3]) {
              for (const kind of KINDS) {
                if (warm) prime(m.mmu, cases.map((c) => c[1]));
                for (const [name, va, faults] of cases) {
                  if (!warm) m.mmu.tlb.flushAll();
                  m.mmu.setCpl(cpl);
                  const where = `${mode} NXE=${+nxe} SMEP=${+smep} CPL ${cpl} ${KIND_NAME[kind]} of ${name}${warm ? ', TLB warm' : ''}`;
                  const pf = faults(cpl, kind);
                  const expected = pf === null ? null
                    : pf | (kind === WRITE ? PF_W : 0) | (cpl === 3 ? PF_U : 0) | (kind === FETCH && reportsFetch ? PF_ID : 0);
                  const got = access(m.mmu, va + 0x10, kind);
                  expect('fault' in got ? got.fault : null, where).toBe(expected);
                  if (expected !== null) expect(m.mmu.cr2, where).toBe(va + 0x10);
                  // Without NXE (in these modes) or SMEP, a fetch is indistinguishable from a read.
                  if (kind === FETCH && !reportsFetch && expected !== null && faults(cpl, READ) !== null) {
                    const read = access(m.mmu, va + 0x10, READ);
                    expect(read, where).toEqual(got);
                  }
                  checked++;
                }
              }
            }
          }
        }
      }
    }
    expect(checked).toBe(2 * 4 * 3 * 2 * 2 * (5 + 6 + 7));
    // The exception a program sees carries the same code.
    const { space, mmu } = machine32();
    space.map(0x1000, 0x7000, PTE_P | PTE_US);
    mmu.setCpl(3);
    expect(faultOf(() => mmu.write8(0x1000, 0)).errorCode).toBe(PF_P | PF_W | PF_U);
    expect(faultOf(() => mmu.fetch32(0x5000)).errorCode).toBe(PF_U);
  });

  claim('page-crossing-access', () => {
    const { space, mmu, memory } = machine32();
    space.map(0x1000, 0x7000, PRW);
    const f = faultOf(() => mmu.write32(0x1ffe, 0xaabb_ccdd));
    expect(f.address).toBe(0x2000);
    expect(memory.read16(0x7ffe)).toBe(0); // nothing was written
    space.map(0x2000, 0x9000, PRW);
    mmu.write32(0x1ffe, 0xaabb_ccdd);
    expect([memory.read16(0x7ffe), memory.read16(0x9000)]).toEqual([0xccdd, 0xaabb]);
    expect(mmu.read32(0x1ffe)).toBe(0xaabb_ccdd);
  });

  test('a PageFault names its error code in words', () => {
    expect(new PageFault(0x1000, PF_P | PF_W | PF_U).message).toBe('#PF at 0x1000, error code 0x7 (P|W|U)');
  });

  test('translate explains a denial', () => {
    const { space, mmu } = machine32({ wp: true });
    space.map(0x1000, 0x7000, PTE_P);
    expect(mmu.translate(0x1000, 'write').reason).toBe('supervisor write to a read-only page with CR0.WP=1');
  });
});
