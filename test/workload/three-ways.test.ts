/*
 * The Mastery chapter "Three ways", measured on the committed traces: as the
 * processes outnumber lguest's four cached page directories, its Host refills
 * their shadows at every switch back, and the transparent Host, whose shadows
 * belong to Guest tables, does not. Each process plays the first 40,000
 * accesses of its trace, 10,000 at a time: small enough for a test, and every
 * process still comes back three times.
 */
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { perMillion } from '../../src/workload/m009.ts';
import { procsSweep } from '../../src/workload/three-ways.ts';
import { readTraceStart } from '../../src/workload/trace-file.ts';
import { claim } from '../support/claim.ts';

const fixtures = join(import.meta.dirname, '../fixtures/traces');
const traces = await Promise.all(['grep', 'gzip', 'md5sum', 'sort'].map((n) => readTraceStart(join(fixtures, `${n}.lgjt.gz`), 40_000)));

describe('three ways', () => {
  claim('three-ways-procs', () => {
    const rows = procsSweep(traces, [4, 8, 16], ['lguest-fixed', 'shadow'], { quantum: 10_000 });
    const at = (procs: number, host: string) => rows.find((r) => r.procs === procs && r.host === host)!.result;
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
});
