/*
 * Convert valgrind lackey output (--tool=lackey --trace-mem=yes) into the
 * replay format: npx tsx scripts/convert-trace.ts LACKEY_LOG OUT.lgjt.gz [--max N]
 *
 * Two passes over the log: the first collects every page touched (to fold the
 * 64-bit layout into 32 bits), the second writes the accesses. An access of
 * any size becomes one word access at its aligned address; M (modify) is a
 * read then a write.
 */
import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { foldPages } from '../src/workload/fold.ts';
import { encodeTrace, FETCH, READ, WRITE } from '../src/workload/trace.ts';

const [input, output, ...rest] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: convert-trace.ts LACKEY_LOG OUT.lgjt.gz [--max N]');
  process.exit(2);
}
const maxAt = rest.indexOf('--max');
const max = maxAt >= 0 ? Number(rest[maxAt + 1]) : Infinity;
const LINE = /^\s?([ILSM])\s+([0-9a-f]+),\d+$/;

async function* accesses(): AsyncGenerator<[kind: string, addr: bigint]> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(input!) })) {
    const m = LINE.exec(line);
    if (!m) continue; // valgrind's own "==pid==" lines
    const addr = BigInt(`0x${m[2]}`);
    if (m[1] === 'M') {
      yield ['L', addr];
      yield ['S', addr];
      n += 2;
    } else {
      yield [m[1]!, addr];
      n++;
    }
    if (n >= max) return;
  }
}

const pages = new Set<bigint>();
for await (const [, addr] of accesses()) pages.add(addr >> 12n);
const fold = foldPages(pages);
const addrs: number[] = [];
const kinds: number[] = [];
for await (const [kind, addr] of accesses()) {
  addrs.push(fold.get(addr >> 12n)! * 4096 + (Number(addr & 0xfffn) & ~3));
  kinds.push(kind === 'I' ? FETCH : kind === 'S' ? WRITE : READ);
}
const bytes = encodeTrace(addrs, kinds);
writeFileSync(output, bytes);
console.log(`${output}: ${addrs.length} accesses over ${pages.size} pages, ${bytes.length} bytes`);
