/*
 * The textbook question, answered by running it: what happens for this
 * sequence of operations under shadow paging, and under nested paging? The
 * same Guest kernel does the same things on two machines: the transparent
 * shadow-paging Host, and the nested-paging one. For each operation, what
 * the Host had to do (its exits, and what they were), and what the
 * processor did (TLB misses, and under nested paging the memory references
 * they cost). Then one TLB miss of the nested processor, reference by
 * reference.
 * Run: npx tsx examples/14-shadow-or-nested.ts
 */
import { ptePtr } from '../src/guest/kernel.ts';
import { NestedPlatform } from '../src/guest/nested.ts';
import { GuestOs } from '../src/guest/os.ts';
import { TransparentPlatform } from '../src/guest/transparent.ts';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../src/hw/pte.ts';

const shadow = new TransparentPlatform(512 * 4096);
const nested = new NestedPlatform(512 * 4096);
const worlds = [shadow, nested].map((pv) => ({ pv, os: new GuestOs(pv, { lowmemPages: 256 }) }));
// Both Guests have booted and mapped one page for process 1, not yet touched, and four more it has used.
const bufs = worlds.map(({ os }) => {
  const buf = os.mmap(1);
  const more = os.mmap(4);
  for (let i = 0; i < 4; i++) os.write(more + i * 4096, i);
  return buf;
});

/** What each Host did during `step`, in words. */
function shadowCost(before: typeof shadow.vm.stats): string {
  const s = shadow.vm.stats;
  const parts = [
    [s.hiddenFaults - before.hiddenFaults, 'fill'],
    [s.emulatedWrites - before.emulatedWrites, 'PT store'],
    [s.cr3Loads - before.cr3Loads, 'CR3'],
    [s.invlpgs - before.invlpgs, 'INVLPG'],
    [s.reflectedFaults - before.reflectedFaults, '#PF'],
  ].filter(([n]) => n) as [number, string][];
  return parts.map(([n, what]) => `${n} ${what}`).join(', ') || '-';
}

const total = { shadow: 0, nested: 0, shadowMisses: 0, nestedMisses: 0, refs: 0 };

function step(what: string, act: (os: GuestOs, buf: number, i: number) => void): void {
  const sb = { ...shadow.vm.stats };
  const nb = { ...nested.vm.stats };
  const misses = worlds.map(({ pv }) => (pv instanceof TransparentPlatform ? pv.vm.mmu : (pv as NestedPlatform).vm.mmu).tlb.misses);
  const refs = nested.vm.ept.walkRefs;
  worlds.forEach(({ os }, i) => act(os, bufs[i]!, i));
  const sExits = shadow.vm.stats.exits - sb.exits;
  const nExits = nested.vm.stats.exits - nb.exits;
  const sMiss = shadow.vm.mmu.tlb.misses - misses[0]!;
  const nMiss = nested.vm.mmu.tlb.misses - misses[1]!;
  const nRefs = nested.vm.ept.walkRefs - refs;
  Object.assign(total, { shadow: total.shadow + sExits, nested: total.nested + nExits, shadowMisses: total.shadowMisses + sMiss, nestedMisses: total.nestedMisses + nMiss, refs: total.refs + nRefs });
  row(what, sExits, shadowCost(sb), sMiss, nExits, nMiss, nRefs);
}

function row(what: string, sExits: number | string, how: string, sMiss: number | string, nExits: number | string, nMiss: number | string, nRefs: number | string): void {
  const n = (v: number | string, w: number) => String(v).padStart(w);
  console.log(`${what.padEnd(36)}${n(sExits, 6)}  ${how.padEnd(35)}${n(sMiss, 6)}${n(nExits, 7)}${n(nMiss, 7)}${n(nRefs, 6)}`);
}

console.log(`${''.padEnd(36)}  ------------- shadow paging -------------  --- nested paging ---`);
row('the Guest', 'exits', 'what they were', 'misses', 'exits', 'misses', 'refs');
step("1. reads a page it never touched", (os, buf) => os.read(buf));
step('2. reads it again', (os, buf) => os.read(buf + 4));
step('3. writes it', (os, buf) => os.write(buf, 1));
step('4. writes it again', (os, buf) => os.write(buf + 4, 2));
step('5. set_pte to a new frame; INVLPG', (os, buf, i) => {
  const k = os.k;
  const ptep = ptePtr(k, k.current.pgdir, buf, false);
  const frame = k.frames.allocUser();
  worlds[i]!.pv.setPteAt(k.current.pgdir, buf, ptep, frame | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
  worlds[i]!.pv.flushTlbSingle(buf);
});
step('6. reads the new page', (os, buf) => os.read(buf));
const children: number[] = [];
step('7. fork: process 2', (os) => children.push(os.fork()));
step('8. switch to process 2 (CR3)', (os, _buf, i) => os.switchTo(children[i]!));
step('9. process 2 writes: copy on write', (os, buf) => os.write(buf, 3));
step('10. switch back to process 1, read', (os, buf) => {
  os.switchTo(1);
  os.read(buf);
});
step('11. process 2 exits; its directory', (os, _buf, i) => {
  const dir = os.k.procs.get(children[i]!)!.pgdir;
  os.exit(children[i]!, 1);
  // The kernel hands the frame out again, and zeroes it.
  worlds[i]!.pv.zeroFrame(dir);
});
console.log('    is reused and zeroed');
row('in all', total.shadow, '', total.shadowMisses, total.nested, total.nestedMisses, total.refs);
console.log('(fill: a fault the Host fixed; PT store: a store into a page table, emulated; #PF: a fault that was the Guest\'s)');

// One TLB miss of the nested processor, every memory reference in order.
const { mmu, ept } = nested.vm;
mmu.writeCr3(mmu.cr3);
console.log('\nOne TLB miss under nested paging, at 0x' + bufs[1]!.toString(16) + ':');
let n = 0;
ept.onRef = (r) => {
  const where = r.dimension === 'guest' ? `the Guest's ${r.level}` : `${r.level} for guest-physical 0x${r.gpa.toString(16).padStart(6, '0')}`;
  console.log(`  ${String(++n).padStart(2)}. ${where.padEnd(42)} at host-physical 0x${r.hpa.toString(16)}`);
};
worlds[1]!.os.read(bufs[1]!);
ept.onRef = null;
