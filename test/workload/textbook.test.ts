/*
 * The textbook question of the Mastery chapter "Three ways", run: one short
 * Guest sequence on lguest's Host, the transparent Host and the nested Host.
 * Every exit, in order, and every walk's references are checked against
 * the running Hosts, and the stepping figure must say the same.
 */
import { describe, expect } from 'vitest';
import { textbookFigure } from '../../src/figures/textbook-steps.ts';
import { refsPerMiss } from '../../src/hw/nested.ts';
import { EXIT_WHY, runTextbookSequence, TEXTBOOK_HOSTS, TEXTBOOK_STEPS, type TextbookHost } from '../../src/workload/textbook.ts';
import { claim } from '../support/claim.ts';

const { steps } = runTextbookSequence();

/** Each step's exits, in order, on each Host. */
const EXITS: Record<TextbookHost, string[][]> = {
  lguest: [
    [], ['hypercall SET_PTE'], ['hypercall SET_PTE'], [EXIT_WHY.hidden], ['hypercall NEW_PGTABLE'], [], ['hypercall NEW_PGTABLE'], [],
    [EXIT_WHY.guest, EXIT_WHY.hidden, 'hypercall SET_PTE'],
  ],
  transparent: [
    [], [EXIT_WHY.store], [EXIT_WHY.invlpg], [], [EXIT_WHY.cr3], [], [EXIT_WHY.cr3], [],
    [EXIT_WHY.guest, EXIT_WHY.hidden, EXIT_WHY.store],
  ],
  nested: [[], [], [], [], [], [], [], [], [EXIT_WHY.ept]],
};

/** A TLB miss of a two-level Guest over four levels of the Host's: the Host's four for the PDE's address, the PDE, four, the PTE, four for the page. */
const TWO_D = 'hhhhghhhhghhhh';
/** The steps that are one TLB miss of a user read, and nothing else. */
const MISSES = [0, 3, 5, 7];

describe('the textbook sequence', () => {
  claim('three-ways-sequence', () => {
    expect(steps.map((s) => s.guest)).toEqual(TEXTBOOK_STEPS.map((s) => s.guest));
    for (const h of TEXTBOOK_HOSTS) expect(steps.map((s) => s.hosts[h].exits), h).toEqual(EXITS[h]);
    for (const i of MISSES) {
      // One walk: two references on either shadow, fourteen under nested paging, twelve of them the Host's.
      expect(steps[i]!.hosts.lguest.misses + steps[i]!.hosts.transparent.misses, `step ${i + 1}`).toBe(i === 3 ? 3 : 2);
      expect(steps[i]!.hosts.transparent.refs).toBe(2);
      expect(steps[i]!.hosts.nested.walks, `step ${i + 1}`).toEqual([TWO_D]);
      expect(steps[i]!.hosts.nested.hostRefs).toBe(12);
    }
    expect(TWO_D.length).toBe(refsPerMiss(2));
    // lguest's INVLPG is SET_PTE with an empty entry: the shadow entry goes, and the next read refills it.
    expect(steps[2]!.hosts.lguest.changes.map((c) => [c.table, c.covers, c.after])).toEqual([['shadow PTE', '0x40000000', 0]]);
    expect(steps[3]!.hosts.lguest.misses).toBe(2);
    // The PTE store: lguest's shadow follows the hypercall, the transparent one the trapped store, and nested paging has no shadow.
    for (const h of ['lguest', 'transparent'] as const) {
      const [c] = steps[1]!.hosts[h].changes;
      expect([c!.table, c!.covers, c!.before & 2, c!.after & 2], h).toEqual(['shadow PTE', '0x40000000', 2, 0]);
    }
    expect(steps.slice(0, 8).every((s) => s.hosts.nested.changes.length === 0)).toBe(true);
    // A CR3 load, there and back, changes no table anywhere: each shadow was found, not rebuilt.
    for (const i of [4, 6]) for (const h of TEXTBOOK_HOSTS) expect(steps[i]!.hosts[h].changes, `${h} step ${i + 1}`).toEqual([]);
    expect([4, 6].map((i) => [steps[i]!.hosts.lguest.did, steps[i]!.hosts.transparent.did])).toEqual([
      [["switches the processor to process 2's shadow, kept in slot 0"], ["switches the processor to process 2's shadow, found by its directory's frame"]],
      [["switches the processor to process 1's shadow, kept in slot 2"], ["switches the processor to process 1's shadow, found by its directory's frame"]],
    ]);
    // Nothing in the sequence needs a page of any Host's tables that was not there already.
    for (const s of steps) for (const h of TEXTBOOK_HOSTS) expect(s.hosts[h].did.filter((d) => d.startsWith('built'))).toEqual([]);
    // The first touch: the nested Host maps the one new frame, and a walk the Guest's fault cut short is 10 references.
    expect(steps[8]!.hosts.nested.changes.map((c) => [c.table, c.covers])).toEqual([['EPT PTE', 'guest-physical 0xe000']]);
    expect(steps[8]!.hosts.nested.walks[0]).toBe('hhhhghhhhg');
    const total = (h: TextbookHost, f: (s: (typeof steps)[number]['hosts'][TextbookHost]) => number) => steps.reduce((n, s) => n + f(s.hosts[h]), 0);
    expect(TEXTBOOK_HOSTS.map((h) => total(h, (r) => r.exits.length))).toEqual([8, 7, 1]);
    expect(TEXTBOOK_HOSTS.map((h) => total(h, (r) => r.refs))).toEqual([18, 28, 164]);
  });

  claim('three-ways-sequence-figure', () => {
    const figure = textbookFigure();
    expect(figure.frames).toHaveLength(TEXTBOOK_STEPS.length);
    // Each frame draws one square per memory reference, red for the Host's tables, green for the walked tables.
    steps.forEach((s, i) => {
      const frame = figure.frames![i]!;
      const red = frame.match(/<rect [^>]*fill="var\(--fig-a\)"/g)?.length ?? 0;
      const green = frame.match(/<rect [^>]*fill="var\(--fig-b\)"/g)?.length ?? 0;
      expect([red, green], `step ${i + 1}`).toEqual([s.hosts.nested.hostRefs, TEXTBOOK_HOSTS.reduce((n, h) => n + s.hosts[h].tableRefs, 0)]);
      for (const h of TEXTBOOK_HOSTS) {
        const why = s.hosts[h].exits.length ? s.hosts[h].exits.join(' → ') : 'No exit';
        expect(frame.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '), `${h} step ${i + 1}`).toContain(why);
      }
    });
    expect(figure.text).toContain('nested       no exit · 1 TLB miss, 14 references [14]');
    expect(figure.text).toMatch(/lguest {7}8 exits, 9 TLB misses, 18 memory references\n {4}transparent {2}7 exits, 14 TLB misses, 28 memory references\n {4}nested {7}1 exit, 12 TLB misses, 164 memory references/);
  });
});
