/*
 * denialReason, the rule in words that translate and the practice problems
 * print: each refusal names the rule that refused, and an allowed access
 * says so, whatever other bits are about.
 */
import { describe, expect, test } from 'vitest';
import { CR4_SMAP, CR4_SMEP } from '../../src/hw/mmu.ts';
import { PTE_P, PTE_RW, PTE_US, PTE_XD_HI } from '../../src/hw/pte.ts';
import { denialReason, FETCH, R_RW, R_US, R_XD, READ, WRITE, type AccessKind, type PrivilegeState } from '../../src/hw/rights.ts';
import { machineIn } from '../support/modes.ts';

const state = (o: Partial<PrivilegeState> = {}): PrivilegeState => ({
  cpl: 0, wp: true, smep: false, smap: false, ac: false, nxe: true, reportsFetch: true, ...o,
});

const USER_PAGE = 'user access to a supervisor page (U/S=0 at some level)';
const XD = 'instruction fetch from an execute-disable page (XD=1 at some level)';
const SMEP = 'supervisor fetch from a user page with CR4.SMEP=1';
const SMAP = 'supervisor data access to a user page with CR4.SMAP=1 and EFLAGS.AC=0';
const USER_RO = 'user write to a read-only page (R/W=0 at some level)';
const WP = 'supervisor write to a read-only page with CR0.WP=1';
const OK = 'access allowed';

describe('denialReason', () => {
  const cases: [string, number, AccessKind, Partial<PrivilegeState>, string][] = [
    ['user read of a supervisor page', R_RW, READ, { cpl: 3 }, USER_PAGE],
    ['user fetch of a supervisor XD page: U/S is named first', R_RW | R_XD, FETCH, { cpl: 3 }, USER_PAGE],
    ['user fetch of a user XD page', R_US | R_XD, FETCH, { cpl: 3 }, XD],
    ['supervisor fetch of an XD page', R_RW | R_XD, FETCH, {}, XD],
    ['supervisor read of an XD page is allowed', R_RW | R_XD, READ, {}, OK],
    ['supervisor fetch of a user page under SMEP', R_US, FETCH, { smep: true }, SMEP],
    ['supervisor fetch of a user page without SMEP', R_US, FETCH, { smap: true }, OK],
    ['user fetch of a user page under SMEP', R_US, FETCH, { cpl: 3, smep: true }, OK],
    ['supervisor fetch of a supervisor page under SMEP', R_RW, FETCH, { smep: true }, OK],
    ['supervisor read of a user page under SMAP', R_US, READ, { smap: true }, SMAP],
    ['supervisor write of a user page under SMAP', R_US | R_RW, WRITE, { smap: true }, SMAP],
    ['supervisor read of a user page under SMAP with AC', R_US, READ, { smap: true, ac: true }, OK],
    ['supervisor read of a user page without SMAP', R_US, READ, { smep: true }, OK],
    ['user read of a user page under SMAP', R_US, READ, { cpl: 3, smap: true }, OK],
    ['supervisor read of a supervisor page under SMAP', R_RW, READ, { smap: true }, OK],
    ['CPL 1 is a supervisor: SMAP applies', R_US, READ, { cpl: 1, smap: true }, SMAP],
    ['user write to a read-only user page', R_US, WRITE, { cpl: 3 }, USER_RO],
    ['supervisor write to a read-only page', 0, WRITE, {}, WP],
    ['supervisor read of a read-only page', 0, READ, {}, OK],
    ['user write to a writable user page', R_US | R_RW, WRITE, { cpl: 3 }, OK],
    ['supervisor write to a writable page', R_RW, WRITE, {}, OK],
  ];
  for (const [name, rights, kind, s, expected] of cases) {
    test(name, () => expect(denialReason(rights, kind, state(s))).toBe(expected));
  }

  test('translate gives the same words for a real walk, in every mode', () => {
    for (const mode of ['32bit', 'pae', 'ia32e'] as const) {
      const m = machineIn(mode, { nxe: true, cr4: CR4_SMEP | CR4_SMAP, wp: true });
      m.map(0x1000, 0x7000, PTE_P);
      m.map(0x2000, 0x8000, PTE_P | PTE_RW | PTE_US);
      m.map(0x3000, 0x9000, PTE_P | PTE_RW | PTE_US, PTE_XD_HI);
      expect(m.mmu.translate(0x1000, 'write').reason).toBe(WP);
      expect(m.mmu.translate(0x2000, 'fetch').reason).toBe(SMEP);
      expect(m.mmu.translate(0x2000, 'read').reason).toBe(SMAP);
      m.mmu.setCpl(3);
      expect(m.mmu.translate(0x1000, 'read').reason).toBe(USER_PAGE);
      m.map(0x2000, 0x8000, PTE_P | PTE_US);
      expect(m.mmu.translate(0x2000, 'write').reason).toBe(USER_RO);
      // XD is a bit of eight-byte entries only: under 32-bit paging the page is fetchable.
      expect(m.mmu.translate(0x3000, 'fetch').reason).toBe(mode === '32bit' ? '4 KiB page' : XD);
    }
  });
});
