/*
 * A hostile Guest: random hypercalls and random page-table contents. After
 * every step, the shadows stay inside the Guest's memory, never grant more
 * than the Guest's entries, and nothing but GuestKilled ever leaves the Host.
 */
import { describe, expect } from 'vitest';
import { PTE_G, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { mulberry32 } from '../../src/host/init.ts';
import { GuestKilled, type Guest } from '../../src/host/lguest.ts';
import { SWITCHER_PGD_INDEX } from '../../src/host/switcher.ts';
import { claim } from '../support/claim.ts';
import { bootGuest, BOOT_PGDIR, hypercall, type TestGuest } from '../support/guest.ts';

/** Every present shadow entry maps Guest memory, has no G, and has no right the Guest entries deny. */
function checkShadows(t: TestGuest, told: Map<string, number>): void {
  const g: Guest = t.g;
  const lo = g.memBase / 4096;
  const hi = lo + g.pfnLimit;
  for (const p of g.pgdirs) {
    // A slot for a directory outside Guest memory keeps only the shared kernel half,
    // and the Guest dies at the first read through it: nothing to compare against.
    if (!p.pgdir || p.gpgdir + 4096 > g.pfnLimit * 4096) continue;
    for (let i = 0; i < SWITCHER_PGD_INDEX; i++) {
      const spgd = g.memory.read32(p.pgdir + i * 4);
      if (!(spgd & PTE_P)) continue;
      const table = (spgd & 0xffff_f000) >>> 0;
      expect(table < g.memBase).toBe(true); // shadow tables are Host pages
      for (let j = 0; j < 1024; j++) {
        const spte = g.memory.read32(table + j * 4);
        if (!(spte & PTE_P)) continue;
        const pfn = spte >>> 12;
        if (pfn < lo || pfn >= hi) throw new Error(`shadow maps host frame ${pfn} outside the Guest`);
        if (spte & PTE_G) throw new Error('shadow entry is Global');
        const vaddr = (i << 22) | (j << 12);
        const gpte = told.get(`${p.gpgdir}:${vaddr}`) ?? t.pte(p.gpgdir, vaddr);
        const gpde = t.read(p.gpgdir + i * 4);
        const rights = gpte & gpde & (PTE_RW | PTE_US);
        if ((spte & (PTE_RW | PTE_US)) & ~rights) throw new Error(`shadow grants more than the Guest at 0x${vaddr.toString(16)}`);
      }
    }
  }
}

describe('a hostile guest', () => {
  claim('host-survives-hostile-guest', () => {
    const rnd = mulberry32(2024);
    const int = (n: number) => Math.floor(rnd() * n);
    let t = bootGuest(128);
    let dirs = [BOOT_PGDIR];
    const told = new Map<string, number>();
    let steps = 0, kills = 0, calls = 0;
    const USERS = [0x0804_8000, 0x0804_9000, 0x4000_0000, 0xbfff_f000];
    while (steps < 100_000) {
      steps++;
      try {
        const op = int(10);
        const dir = dirs[int(dirs.length)]!;
        const va = USERS[int(USERS.length)]!;
        if (op < 3) {
          // A random entry, told to the Host properly.
          const gpte = int(8) === 0 ? (int(0xffff_ffff) >>> 0) : ((int(130) << 12) | int(0x80)) >>> 0;
          t.setPte(dir, va, gpte);
          calls++;
          hypercall(t.g, 14, dir, va, gpte);
          told.delete(`${dir}:${va}`);
        } else if (op < 5) {
          t.access((['read', 'write', 'fetch'] as const)[int(3)]!, int(4) === 0 ? 0xc000_0000 + int(128) * 4096 : va, int(2) ? 3 : 1, 1);
        } else if (op === 5) {
          if (dirs.length < 6) dirs.push(t.newPgdir());
          calls++;
          hypercall(t.g, 4, dirs[int(dirs.length)]!);
        } else if (op === 6) {
          calls++;
          hypercall(t.g, 5, int(2));
        } else if (op === 7) {
          // Garbage: any call number, any arguments.
          calls++;
          hypercall(t.g, int(20), int(0xffff_ffff) >>> 0, int(2000), int(0xffff_ffff) >>> 0);
        } else if (op === 8) {
          const pdeAt = dir + (va >>> 22) * 4;
          t.write(pdeAt, int(3) === 0 ? int(0xffff_ffff) >>> 0 : ((int(130) << 12) | 0x67) >>> 0);
          calls++;
          hypercall(t.g, 15, dir, va >>> 22);
        } else {
          calls++;
          hypercall(t.g, 7, 0xc000_0000 + int(140) * 4096, int(4));
        }
      } catch (e) {
        if (!(e instanceof GuestKilled)) throw e;
        kills++;
        t = bootGuest(128, PTE_P | PTE_RW, steps);
        dirs = [BOOT_PGDIR];
        told.clear();
        continue;
      }
      if (steps % 50 === 0) checkShadows(t, told);
    }
    checkShadows(t, told);
    expect(kills).toBeGreaterThan(100);
    expect(calls).toBeGreaterThan(50_000);
    console.log(`hostile guest: ${steps} steps, ${calls} hypercalls, ${kills} guests killed`);
  });
});
