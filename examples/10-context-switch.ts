/*
 * A context switch under the Host: the Guest loads CR3, which it may not do,
 * so it asks the Host (NEW_PGTABLE). The Host looks for a shadow of that page
 * directory among its four slots, or takes one. Run twice through five
 * processes: the shadows that survive save their faults.
 * Run: npx tsx examples/10-context-switch.ts
 */
import { GuestOs } from '../src/guest/os.ts';
import { LguestPlatform } from '../src/guest/paravirt.ts';

const pv = new LguestPlatform(512 * 4096, { seed: 4 });
const os = new GuestOs(pv);
const g = pv.g;
// Five processes, each with four pages of its own (a fork, and a write to each page).
const buf = os.mmap(4);
for (let i = 0; i < 4; i++) os.write(buf + i * 4096, i);
const pids = [os.pid];
for (let i = 0; i < 4; i++) pids.push(os.fork());
const whose = (gpgdir: number) => [...os.k.procs.values()].find((p) => p.pgdir === gpgdir)?.pid ?? 'boot';
const slots = () => g.pgdirs.map((p, i) => `${i === g.cpuPgd ? '*' : ' '}${p.pgdir ? whose(p.gpgdir) : '-'}`).join(' ');

console.log(`slots: ${slots()}   (* runs; - never used; boot: the Launcher's tables)`);
for (let round = 1; round <= 2; round++) {
  console.log(`round ${round}`);
  for (const pid of pids) {
    const dir = os.k.procs.get(pid)!.pgdir;
    const cached = g.pgdirs.some((p) => p.pgdir && p.gpgdir === dir);
    const hidden = g.stats.hiddenFaults;
    const what = os.pid === pid ? 'runs already      ' : cached ? 'NEW_PGTABLE: found' : 'NEW_PGTABLE: new  ';
    os.switchTo(pid);
    for (let i = 0; i < 4; i++) os.read(buf + i * 4096);
    console.log(`  process ${pid}: ${what}  slots: ${slots()}   hidden faults to read its 4 pages: ${g.stats.hiddenFaults - hidden}`);
  }
}
