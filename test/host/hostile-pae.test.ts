/*
 * A hostile PAE Guest: random hypercalls, garbage in its own PDPT, PMD and
 * PTE pages, and accesses anywhere. After every step, every shadow stays
 * inside what the Host allows, and nothing but a Guest kill leaves the Host.
 */
import { describe, expect } from 'vitest';
import { PTE_G, PTE_P } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE } from '../../src/hw/rights.ts';
import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { hypercall } from '../../src/host/hypercalls.ts';
import { mulberry32 } from '../../src/host/init.ts';
import { GuestKilled, type Guest } from '../../src/host/lguest.ts';
import { guestAccess } from '../../src/host/run.ts';
import { claim } from '../support/claim.ts';

/** Shadow PDPT entries carry only P; shadow tables are Host pages; shadow PTEs map Guest frames and are never Global. */
function checkPaeShadows(g: Guest): void {
  const lo = g.memBase / 4096;
  for (const p of g.pgdirs) {
    if (!p.pgdir) continue;
    for (let i = 0; i < 4; i++) {
      const pdpte = g.memory.read32(p.pgdir + i * 8);
      if (!(pdpte & PTE_P)) continue;
      if ((pdpte & 0xfff) !== PTE_P) throw new Error(`shadow PDPTE ${i} has flags 0x${(pdpte & 0xfff).toString(16)}`);
      const pmd = (pdpte & 0xffff_f000) >>> 0;
      expect(pmd < g.memBase).toBe(true);
      for (let m = 0; m < 512; m++) {
        const spmd = g.memory.read32(pmd + m * 8);
        if (!(spmd & PTE_P)) continue;
        const table = (spmd & 0xffff_f000) >>> 0;
        if (table >= g.memBase) throw new Error('a shadow PMD names a Guest page as its page table');
        if (i === 3 && m === 511) continue; // the Switcher's own page table
        for (let j = 0; j < 512; j++) {
          const spte = g.memory.read32(table + j * 8);
          if (g.memory.read32(table + j * 8 + 4) !== 0) throw new Error('shadow PTE with a high word');
          if (!(spte & PTE_P)) continue;
          const pfn = spte >>> 12;
          if (pfn < lo || pfn >= lo + g.pfnLimit) throw new Error(`shadow maps host frame ${pfn} outside the Guest`);
          if (spte & PTE_G) throw new Error('shadow entry is Global');
        }
      }
    }
  }
}

describe('a hostile PAE guest', () => {
  claim('host-survives-hostile-pae-guest', () => {
    const rnd = mulberry32(4242);
    const int = (n: number) => Math.floor(rnd() * n);
    const boot = () => {
      const pv = new LguestPlatform(128 * 4096, { pae: true });
      const os = new GuestOs(pv, { lowmemPages: 96 });
      const buf = os.mmap(8);
      for (let p = 0; p < 8; p++) os.write(buf + p * 4096, p);
      os.fork();
      return { pv, os, g: pv.g, buf };
    };
    let t = boot();
    let steps = 0, kills = 0, calls = 0;
    while (steps < 30_000) {
      steps++;
      try {
        const op = int(10);
        const dirs = [...t.os.k.procs.values()].map((p) => p.pgdir);
        const dir = dirs[int(dirs.length)]!;
        const va = [t.buf, t.buf + 0x1000, 0x8000_0000, 0xc000_0000 + int(96) * 4096, 0xff80_0000, 0xffbf_f000, int(0xffff_ffff) >>> 0][int(7)]!;
        if (op < 2) {
          calls++;
          hypercall(t.g, 14, dir, va, int(4) ? ((int(160) << 12) | int(0x1000)) >>> 0 : int(0xffff_ffff) >>> 0, int(6) ? 0 : int(0xffff_ffff) >>> 0);
        } else if (op < 5) {
          guestAccess(t.g, [READ, WRITE, FETCH][int(3)] as 0 | 1 | 2, va, int(2) ? 3 : 1, 7);
        } else if (op === 5) {
          calls++;
          hypercall(t.g, [4, 5, 13, 15][int(4)]!, int(3) ? dir : int(0xffff_ffff) >>> 0, int(6), int(99));
        } else if (op === 6) {
          // Garbage anywhere in a page-table page the Guest owns: its PDPT, a PMD, a page table.
          const pdpte = t.pv.read32(dir + int(4) * 8);
          const target = int(3) === 0 ? dir + int(4) * 8 : pdpte & PTE_P && pdpte >>> 12 < 128 ? (pdpte & 0xffff_f000) + int(512) * 8 : dir;
          t.pv.write32(target + int(2) * 4, int(4) ? ((int(160) << 12) | int(0x1000)) >>> 0 : int(0xffff_ffff) >>> 0);
        } else if (op === 7) {
          calls++;
          hypercall(t.g, int(20), int(0xffff_ffff) >>> 0, int(2000), int(0xffff_ffff) >>> 0, int(3));
        } else {
          // Ordinary work: the kernel itself runs on.
          t.os.write(t.buf + int(8) * 4096, steps);
        }
      } catch (e) {
        // The Guest kernel model may trip over its own garbage (its own errors say so); the Host may only kill.
        const modelError = e instanceof Error && /^(guest kernel|guest-physical .* is outside the Guest|guest out of memory)/.test(e.message);
        if (!(e instanceof GuestKilled) && !modelError) throw e;
        kills++;
        t = boot();
        continue;
      }
      checkPaeShadows(t.g);
    }
    console.log(`hostile PAE guest: ${steps} steps, ${calls} hypercalls, ${kills} guests killed`);
    expect(kills).toBeGreaterThan(100);
  });
});
