/*
 * Flushing, the two ways the Guest can ask: FLUSH_TLB(0) when its user
 * mappings changed (the Host drops the current shadow's user half), and
 * FLUSH_TLB(1) when a kernel mapping changed and it cannot say which (the
 * Host drops everything, in every slot, and pins the stack again). Then what
 * it costs to build the shadows back.
 * Run: npx tsx examples/11-flush.ts
 */
import { READ } from '../src/hw/rights.ts';
import { GuestOs } from '../src/guest/os.ts';
import { LguestPlatform } from '../src/guest/paravirt.ts';
import { PAGE_OFFSET } from '../src/guest/layout.ts';
import { hypercall, LHCALL_FLUSH_TLB } from '../src/host/hypercalls.ts';

const pv = new LguestPlatform(512 * 4096, { seed: 4 });
const os = new GuestOs(pv);
const g = pv.g;
// Two processes, eight pages each in use, and the kernel reading eight pages of its own.
const buf = os.mmap(8);
const kernelPages = Array.from({ length: 8 }, (_, i) => PAGE_OFFSET + 0x10_0000 + i * 4096);
const work = () => {
  for (let i = 0; i < 8; i++) os.read(buf + i * 4096);
  for (const k of kernelPages) pv.access(READ, k, 1, 0);
};
for (let i = 0; i < 8; i++) os.write(buf + i * 4096, i);
const child = os.fork();
os.switchTo(child);
work();
os.switchTo(1);
work();

const live = () => g.stats.shadowPagesAllocated - g.stats.shadowPagesFreed;
const mapped = () => [...g.pageRefs.values()].reduce((a, b) => a + b, 0);
const show = (what: string) => console.log(`${what.padEnd(50)} shadow pages ${String(live()).padStart(2)}, shadow entries ${String(mapped()).padStart(3)}`);
const again = () => {
  const hidden = g.stats.hiddenFaults;
  work();
  show(`process 1 works again: ${g.stats.hiddenFaults - hidden} hidden faults`);
};
g.trace = (h, message) => { if (h === 470) console.log(`H:470   ${message}`); };

show('two processes at work');
hypercall(g, LHCALL_FLUSH_TLB, 0);
show('FLUSH_TLB(0): the user half of this shadow');
again();
hypercall(g, LHCALL_FLUSH_TLB, 1);
show('FLUSH_TLB(1): everything, the stack pinned again');
again();
