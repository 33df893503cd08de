// How a fault names itself: the decoded error code a kernel log would print,
// and the exception's name, which a stack trace and the grader show.
import { describe, expect, test } from 'vitest';
import { errorCodeNames, GeneralProtectionFault, PageFault, PF_ID, PF_P, PF_RSVD, PF_U, PF_W } from '../../src/hw/fault.ts';

describe('fault names', () => {
  test('every error-code bit has its name, in the order of the bits', () => {
    expect(errorCodeNames(0)).toBe('not-present');
    expect(errorCodeNames(PF_ID)).toBe('not-present|I/D');
    expect(errorCodeNames(PF_P | PF_W | PF_U | PF_RSVD | PF_ID)).toBe('P|W|U|RSVD|I/D');
  });

  test('each exception says what it is', () => {
    const pf = new PageFault(0x1000, PF_P | PF_ID);
    expect(pf.name).toBe('PageFault');
    expect(String(pf)).toBe('PageFault: #PF at 0x1000, error code 0x11 (P|I/D)');
    const gp = new GeneralProtectionFault('reserved bit in a PDPTE');
    expect(gp.name).toBe('GeneralProtectionFault');
    expect(String(gp)).toBe('GeneralProtectionFault: #GP(0): reserved bit in a PDPTE');
  });
});
