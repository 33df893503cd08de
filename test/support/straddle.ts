/*
 * The straddling-word check both hardware-assisted Hosts' detail tests make:
 * a word at the end of a page whose first bytes are in one frame and whose
 * last are in the next. Frame 0x5000 ends with 0x44332211, frame 0x3000
 * starts with 0x88776655, and 0x6000 (what lies past the first frame) must
 * lend no byte to it.
 */
import { expect } from 'vitest';
import { FETCH, READ, WRITE, type AccessKind } from '../../src/hw/rights.ts';

/** Where the word's halves lie: the end of `first`, the start of `second`, and the frame right after `first`. */
export interface StraddleFrames {
  first: number;
  second: number;
  between: number;
}
/** The detail tests' layout. */
export const DETAIL_FRAMES: StraddleFrames = { first: 0x5000, second: 0x3000, between: 0x6000 };

/** Lays the word's two halves, and the frame that must lend it nothing, into Guest-physical memory. */
export function layStraddlingWord(write: (gpa: number, value: number) => void, frames: StraddleFrames = DETAIL_FRAMES): void {
  write(frames.first + 0xffc, 0x4433_2211);
  write(frames.second, 0x8877_6655);
  write(frames.between, 0xeeee_eeee);
}

/** Reads, a fetch and a write across the page boundary above `user`, each half from its own frame. */
export function expectEachHalfFromItsFrame(
  access: (kind: AccessKind, vaddr: number, cpl: number, value?: number) => number,
  word: (gpa: number) => number,
  user: number,
  frames: StraddleFrames = DETAIL_FRAMES,
): void {
  expect(access(READ, user + 0xffc, 3)).toBe(0x4433_2211);
  expect(access(READ, user + 0xffd, 3)).toBe(0x5544_3322);
  expect(access(READ, user + 0xffe, 3)).toBe(0x6655_4433);
  expect(access(FETCH, user + 0xfff, 3)).toBe(0x7766_5544);
  expect(access(WRITE, user + 0xffe, 3, 0xddcc_bbaa)).toBe(0xddcc_bbaa);
  expect(word(frames.first + 0xffc)).toBe(0xbbaa_2211);
  expect(word(frames.second)).toBe(0x8877_ddcc);
  expect(word(frames.between)).toBe(0xeeee_eeee);
}
