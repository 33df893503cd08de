/*
 * The Mastery chapter "Three ways", measured on the committed traces: as the
 * processes outnumber lguest's four cached page directories, its Host refills
 * their shadows at every switch back, and the transparent Host, whose shadows
 * belong to Guest tables, does not; the nested-paging Host has no shadows to
 * refill, and exits only for Guest memory touched the first time. Each
 * process plays the first 40,000 accesses of its trace, 10,000 at a time:
 * small enough for a test, and every process still comes back three times.
 * One sweep serves both claims.
 */
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { perMillion } from '../../src/workload/m009.ts';
import { procsSweep } from '../../src/workload/three-ways.ts';
import { readTraceStart } from '../../src/workload/trace-file.ts';
import { claim } from '../support/claim.ts';

const fixtures = join(import.meta.dirname, '../fixtures/traces');
const traces = await Promise.all(['grep', 'gzip', 'md5sum', 'sort'].map((n) => readTraceStart(join(fixtures, `${n}.lgjt.gz`), 40_000)));

let swept: ReturnType<typeof procsSweep> | undefined;
const at = (procs: number, host: string) => {
  swept ??= procsSweep(traces, [4, 8, 16], ['lguest-fixed', 'shadow', 'nested'], { quantum: 10_000 });
  return swept.find((r) => r.procs === procs && r.host === host)!.result;
};

describe('three ways', () => {
  claim('three-ways-procs', () => {
    for (const procs of [4, 8, 16]) {
      // The same work seen by the Guest in both: the same faults for its own handler, in order.
      expect(at(procs, 'shadow').faultLog).toEqual(at(procs, 'lguest-fixed').faultLog);
      expect(at(procs, 'shadow').contextSwitches).toBe(at(procs, 'lguest-fixed').contextSwitches);
    }
    // lguest: past four processes, every switch back may find its shadow evicted, and refills it.
    expect(perMillion(at(8, 'lguest-fixed'))).toBeGreaterThan(3 * perMillion(at(4, 'lguest-fixed')));
    expect(perMillion(at(16, 'lguest-fixed'))).toBeGreaterThan(3 * perMillion(at(4, 'lguest-fixed')));
    expect(at(16, 'lguest-fixed').shadowPagesBuilt).toBeGreaterThan(4 * at(4, 'lguest-fixed').shadowPagesBuilt);
    // The transparent Host: per million accesses, no more hidden faults (fills and emulated stores both), and no
    // more trips, with 8 or 16 processes than with 4; its shadow pages grow with the processes' tables, once each.
    for (const procs of [8, 16]) {
      expect(perMillion(at(procs, 'shadow'))).toBeLessThanOrEqual(perMillion(at(4, 'shadow')));
      expect(perMillion(at(procs, 'shadow'), at(procs, 'shadow').trips)).toBeLessThanOrEqual(perMillion(at(4, 'shadow'), at(4, 'shadow').trips));
      expect(at(procs, 'shadow').shadowPagesBuilt).toBeLessThanOrEqual((procs / 4) * at(4, 'shadow').shadowPagesBuilt);
      expect(at(procs, 'shadow').clearAlls).toBe(0);
    }
    // And past four processes it makes fewer trips than lguest's Host, fixed kmap and all.
    expect(at(16, 'shadow').trips).toBeLessThan(at(16, 'lguest-fixed').trips);
  });

  claim('three-ways-nested', () => {
    for (const procs of [4, 8, 16]) {
      const nested = at(procs, 'nested');
      // The same Guest, the same work: its own faults in the same order as under lguest's Host.
      expect(nested.faultLog).toEqual(at(procs, 'lguest-fixed').faultLog);
      // Its exits are the EPT violations and the CR0 write that turned paging on: nothing for a page-table store, a CR3 load or an INVLPG.
      expect(nested.crWrites).toBe(1);
      expect(nested.trips).toBe(nested.hiddenFaults + nested.crWrites);
      expect(nested.clearAlls).toBe(0);
      // Fewer exits than either shadow-paging Host, several times over.
      expect(3 * nested.trips).toBeLessThan(at(procs, 'shadow').trips);
      expect(3 * nested.trips).toBeLessThan(at(procs, 'lguest-fixed').trips);
      // The price is on the TLB miss: over a dozen references each (14 for a whole walk), where a walk of the shadows takes 2.
      expect(nested.refsPerMiss).toBeGreaterThan(12);
      expect(nested.refsPerMiss).toBeLessThanOrEqual(14);
      expect(nested.refsPerMissCached).toBeLessThan(nested.refsPerMiss / 2);
    }
    // Past four processes lguest's hidden faults per million accesses grow several times over; nested paging's, and its exits, do not grow at all.
    expect(perMillion(at(16, 'lguest-fixed'))).toBeGreaterThan(3 * perMillion(at(4, 'lguest-fixed')));
    for (const procs of [8, 16]) {
      expect(perMillion(at(procs, 'nested'))).toBeLessThanOrEqual(perMillion(at(4, 'nested')));
      expect(perMillion(at(procs, 'nested'), at(procs, 'nested').trips)).toBeLessThanOrEqual(perMillion(at(4, 'nested'), at(4, 'nested').trips));
    }
  });
});
