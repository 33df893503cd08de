/*
 * npm run bench: every benchmark, each figure a ratio measured in this one run
 * (these machines are shared; absolute numbers drift, ratios much less).
 *
 * It runs bundled by esbuild into one module, the way the browser runs the
 * simulator: loaded module by module through tsx, every imported constant is
 * a live binding the engine cannot fold, and the MMU measures 2-3x slower.
 */
import { fileURLToPath } from 'node:url';
import { benchMmu } from './mmu.ts';
import { benchReplay, printReplay } from './replay.ts';

const mmu = await benchMmu();
console.log('MMU translation (4096 accesses over 64 pages, per access):');
console.log(`  raw Uint32Array read   ${mmu.rawNs.toFixed(2)} ns   1.00x`);
console.log(`  TLB-hit translation    ${mmu.tlbHitNs.toFixed(2)} ns   ${mmu.tlbHitRatio.toFixed(2)}x   (target ≤ 2x)`);
console.log(`  full two-level walk    ${mmu.walkNs.toFixed(2)} ns   ${mmu.walkRatio.toFixed(2)}x   (target ≤ 8x)`);

// The bundle runs from .cache/; the traces are found from the package root.
const root = fileURLToPath(new URL('..', import.meta.url));
printReplay(benchReplay(root));
