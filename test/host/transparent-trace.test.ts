/*
 * What the transparent Host tells a listener (`vm.trace`): every exit by its
 * instruction, every shadow page made and thrown away, every fault fixed or
 * handed to the Guest, every store into a table done on the Guest's behalf,
 * in the order they happen.
 */
import { expect, test } from 'vitest';
import { WRITE } from '../../src/hw/rights.ts';
import { guestWriteCr3 } from '../../src/host/transparent/exits.ts';
import { vmAccess } from '../../src/host/transparent/run.ts';
import { PDIR, PRWU, setPte, smallGuest, USER, userRead } from '../support/transparent-guest.ts';

test('the trace says what the Host did, step by step', () => {
  const seen: string[] = [];
  const g = smallGuest({ setup: ({ vm }) => { vm.trace = (m) => seen.push(m); } });
  userRead(g, USER + 0xffc);
  userRead(g, 0x20000);
  setPte(g, 0x12, 0x6000 | PRWU);
  guestWriteCr3(g.vm, PDIR);
  vmAccess(g.vm, WRITE, g.ptVa + 0x81, 0, 0);
  expect(seen).toEqual([
    'exit: MOV CR3, 0x1000',
    'exit: MOV CR0, 0x80010001',
    "new shadow page for the Guest's level-2 table at frame 1",
    "new shadow page for the Guest's level-1 table at frame 2",
    // The Guest's frame 0x5000 at the Host's 0x405000 (its memory starts at 4 MiB), P, R/W, U/S, Accessed, Dirty.
    'fault at 0x10ffc fixed: shadow PTE 0x405067',
    "fault at 0x20000 is the Guest's: error code 4",
    "the Guest's store of 0x6067 into its table at 0x2048 trapped: done by the Host",
    'exit: MOV CR3, 0x1000',
    "the Guest's store of 0x0 into its table at 0x2081 trapped: done by the Host",
    "shadow page for the Guest's level-1 table at frame 2 thrown away",
  ]);
});
