/*
 * Crossing the line: one hypercall and one page fault, each a trip from the
 * Guest into the Host and back, with the H: section of every step, and what
 * each trip would have cost the Guest's TLB on lguest.
 * Run: npx tsx examples/09-world-switch.ts
 */
import { PTE_P, PTE_RW, PTE_US } from '../src/hw/pte.ts';
import { READ } from '../src/hw/rights.ts';
import { ptePtr } from '../src/guest/kernel.ts';
import { GuestOs } from '../src/guest/os.ts';
import { LguestPlatform } from '../src/guest/paravirt.ts';

const pv = new LguestPlatform(256 * 4096);
const os = new GuestOs(pv);
const g = pv.g;
const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const say = (who: string, what: string) => console.log(`${who.padEnd(7)} ${what}`);
// A process with one page in use, so its page table exists.
const buf = os.mmap(2);
os.write(buf, 1);

const trips = () => g.stats.hypercalls + g.stats.hiddenFaults + g.stats.reflectedFaults;
const before = { trips: trips(), calls: g.stats.hypercalls, hidden: g.stats.hiddenFaults };
g.trace = (h, message) => say(`H:${String(h).padStart(3, '0')}`, message);

// The kernel maps the next page itself, and tells the Host.
const va = buf + 0x1000;
const frame = os.k.frames.allocUser();
pv.write32(frame, 0x600d);
say('guest', `the kernel (ring 1) maps ${hex(va)} to frame ${hex(frame)}, and tells the Host`);
pv.setPteAt(os.k.current.pgdir, va, ptePtr(os.k, os.k.current.pgdir, va, false), frame | PTE_P | PTE_RW | PTE_US);
say('guest', 'back in the Guest');
console.log('');
say('guest', `its program (ring 3) loads from ${hex(va)}`);
const value = pv.access(READ, va, 3, 0);
say('guest', `back in the Guest: the load gave ${hex(value)}, and the program never knew it stopped`);
console.log('');
say('count', `${trips() - before.trips} trips across the line: ${g.stats.hypercalls - before.calls} hypercall, ${g.stats.hiddenFaults - before.hidden} hidden fault`);
const held = g.mmu.tlb.entries().length;
say('count', `the TLB holds ${held} translation${held === 1 ? '' : 's'} now; on lguest each trip reloads CR3 with Global pages off, and the Guest starts again from an empty TLB`);
