/*
 * One page fault's journey, from a user store in the Guest to the Host and
 * back, each step tagged with the H: section of the code that took it.
 * Run: npx tsx examples/07-one-fault.ts
 */
import { GuestOs } from '../src/guest/os.ts';
import { LguestPlatform } from '../src/guest/paravirt.ts';

const pv = new LguestPlatform(256 * 4096);
const os = new GuestOs(pv);
const buf = os.mmap(1);
const say = (who: string, what: string) => console.log(`${who.padEnd(7)} ${what}`);
pv.g.trace = (h, message) => say(`H:${String(h).padStart(3, '0')}`, message);

say('guest', `process ${os.pid} stores 7 at 0x${buf.toString(16)} (a fresh mmap: nothing mapped yet)`);
os.write(buf, 7);
say('guest', `the store is done; the Guest kernel took ${os.k.faults.length} fault: ${os.k.faults.map((f) => f.outcome).join(', ')}`);
console.log('');
say('guest', 'a second store to the same page');
os.write(buf + 4, 8);
say('guest', `done, with no fault for anyone: ${pv.g.stats.hiddenFaults} hidden faults in all, ${pv.g.stats.reflectedFaults} reflected`);
