/*
 * The book's central promise: a Guest cannot tell shadow paging from the
 * real thing. Random programs run on bare hardware and under each Host
 * (lguest's, and the transparent and nested ones of the Mastery chapter
 * "Three ways"), and everything the Guest can see must match.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import type { KmapMode } from '../../src/guest/kernel.ts';
import { NativePlatform } from '../../src/guest/native.ts';
import { GuestOs } from '../../src/guest/os.ts';
import { NestedPlatform } from '../../src/guest/nested.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { runProgram, type Observation, type Op } from '../../src/guest/program.ts';
import { TransparentPlatform } from '../../src/guest/transparent.ts';
import { claim } from '../support/claim.ts';
import { runs } from '../support/budget.ts';

const PAGES = 192;
const LOWMEM = 112;

const small = fc.nat({ max: 15 });
const value = fc.nat({ max: 0xffff_ffff });
const access = fc.record({ op: fc.constantFrom('read', 'write', 'write', 'fetch') as fc.Arbitrary<'read' | 'write' | 'fetch'>, map: small, page: small, word: fc.nat({ max: 1023 }), value });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: access },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('mmap' as const), pages: fc.integer({ min: 1, max: 4 }), write: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('munmap' as const), map: small, page: small, pages: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'fork' as const }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('switch' as const), to: small }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('exit' as const), to: small }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('kwrite' as const), map: small, page: small, word: fc.nat({ max: 1023 }), value }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('khold' as const), map: small, page: small }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('kread' as const), which: small, word: fc.nat({ max: 1023 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('krelease' as const), which: small }) },
  // A raw word anywhere but across 4 GiB: that is #GP on bare hardware, before any page is
  // translated, and our Guest kernel has no #GP handler (test/host/word-past-4gib.test.ts checks
  // that each Host kills such a Guest with the reason, where bare hardware has no kernel to die).
  { weight: 1, arbitrary: fc.record({ op: fc.constant('raw' as const), kind: fc.constantFrom('read', 'write', 'fetch') as fc.Arbitrary<'read' | 'write' | 'fetch'>, vaddr: fc.oneof(fc.nat({ max: 0xffff_fffc }), fc.constantFrom(0, 0xc000_0000, 0xbfff_f000, 0xff7f_f000, 0xffbf_e000, 0xffff_fffc)), value }) },
);
// Programs start by mapping something, so that most accesses land.
const program = fc.array(op, { minLength: 5, maxLength: 80 }).map((ops): Op[] => [{ op: 'mmap', pages: 3, write: true }, ...ops]);

function bothWorlds(ops: Op[], kmapMode: KmapMode, seed: number, pae: boolean) {
  const native = runProgram(new GuestOs(new NativePlatform(PAGES * 4096, pae), { lowmemPages: LOWMEM, kmapMode }), ops);
  const lguest = new LguestPlatform(PAGES * 4096, { seed, pae });
  const shadow = runProgram(new GuestOs(lguest, { lowmemPages: LOWMEM, kmapMode }), ops);
  return { native, shadow, host: lguest.g };
}

/** What the Guest saw in two worlds is the same: every result, every fault, every word of its memory. */
function expectSame(native: Observation, shadow: Observation): void {
  expect(shadow.results).toEqual(native.results);
  expect(shadow.faults).toEqual(native.faults);
  // Values, page tables and their Accessed and Dirty bits: every word the Guest owns.
  const first = native.memory.findIndex((w, i) => w !== shadow.memory[i]);
  expect(first === -1 ? 'same' : `differs at guest-physical 0x${(first * 4).toString(16)}`).toBe('same');
}

describe('shadow paging is invisible to the Guest', () => {
  claim('shadow-equals-native', () => {
    for (const [pae, kmapMode] of [[false, 'set-pte'], [false, 'set-pte-at'], [true, 'set-pte'], [true, 'set-pte-at']] as const) {
      fc.assert(fc.property(program, fc.nat(), (ops, seed) => {
        const { native, shadow, host } = bothWorlds(ops, kmapMode, seed, pae);
        expect(host.dead).toBeNull();
        expectSame(native, shadow);
      }), { numRuns: runs(100) });
    }
  });

  // The transparent Host runs the same kernel with no hypercalls: its page-table stores trap instead.
  // Some of its Hosts are so short of pages that they throw every shadow away again and again.
  claim('transparent-equals-native', () => {
    for (const [pae, kmapMode] of [[false, 'set-pte'], [false, 'set-pte-at'], [true, 'set-pte'], [true, 'set-pte-at']] as const) {
      fc.assert(fc.property(program, fc.constantFrom(8, 16, 256), (ops, hostPages) => {
        const native = runProgram(new GuestOs(new NativePlatform(PAGES * 4096, pae), { lowmemPages: LOWMEM, kmapMode }), ops);
        const pv = new TransparentPlatform(PAGES * 4096, { pae, hostPages });
        const shadow = runProgram(new GuestOs(pv, { lowmemPages: LOWMEM, kmapMode }), ops);
        expect(pv.vm.dead).toBeNull();
        expectSame(native, shadow);
      }), { numRuns: runs(45) });
    }
  });

  // The nested Host runs the same kernel on a processor that walks the Host's tables after the Guest's; some
  // of its processors cache nested translations (a page-walk cache), and some Hosts have just the pages their tables need.
  claim('nested-equals-native', () => {
    for (const [pae, kmapMode] of [[false, 'set-pte'], [false, 'set-pte-at'], [true, 'set-pte'], [true, 'set-pte-at']] as const) {
      fc.assert(fc.property(program, fc.constantFrom(0, 4, 32), fc.constantFrom(5, 64), (ops, walkCache, hostPages) => {
        const native = runProgram(new GuestOs(new NativePlatform(PAGES * 4096, pae), { lowmemPages: LOWMEM, kmapMode }), ops);
        const pv = new NestedPlatform(PAGES * 4096, { pae, walkCache, hostPages });
        const nested = runProgram(new GuestOs(pv, { lowmemPages: LOWMEM, kmapMode }), ops);
        expect(pv.vm.dead).toBeNull();
        expectSame(native, nested);
      }), { numRuns: 25 });
    }
  });
});
