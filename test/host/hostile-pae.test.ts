/*
 * A hostile PAE Guest: random hypercalls, garbage in its own PDPT, PMD and
 * PTE pages, and accesses anywhere. After every step, every shadow stays
 * inside what the Host allows, every shadow entry made in that step grants
 * no more than a Guest entry it could have been made from, and nothing but a
 * Guest kill leaves the Host.
 */
import { describe, expect } from 'vitest';
import { PTE_A, PTE_D, PTE_G, PTE_P, PTE_RW, PTE_US } from '../../src/hw/pte.ts';
import { FETCH, READ, WRITE } from '../../src/hw/rights.ts';
import { GuestOs } from '../../src/guest/os.ts';
import { LguestPlatform } from '../../src/guest/paravirt.ts';
import { hypercall } from '../../src/host/hypercalls.ts';
import { mulberry32 } from '../../src/host/init.ts';
import { GuestKilled, type Guest } from '../../src/host/lguest.ts';
import { guestAccess } from '../../src/host/run.ts';
import { claim } from '../support/claim.ts';

const RIGHTS = PTE_RW | PTE_US;
/** Entry `i` of the table an entry names. */
const pmdEntry = (table: number, i: number) => ((table & 0xffff_f000) >>> 0) + i * 8;

/**
 * The present shadow entries, by place: slot, PDPT index, PMD index, and PTE
 * index (512 for the PMD entry itself). Without Accessed and Dirty: the
 * processor sets those in the shadows as it walks them, and makes nothing new.
 */
type Snapshot = Map<number, number>;
const HW_BITS = PTE_A | PTE_D;
const place = (slot: number, i: number, m: number, j: number) => ((slot * 4 + i) * 512 + m) * 513 + j;

/** A Guest's memory at some moment: the low word at a Guest-physical address, 0 (not present) outside it. */
type GuestWords = (gpa: number) => number;
const wordsOf = (bytes: Uint8Array): GuestWords => {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
  return (gpa) => (gpa >= 0 && gpa + 8 <= bytes.byteLength ? words[gpa >>> 2]! : 0);
};
const guestBytes = (g: Guest) => g.memory.bytes.subarray(g.memBase, g.memBase + g.pfnLimit * 4096);

/**
 * Shadow PDPT entries carry only P; shadow tables are Host pages; shadow PTEs
 * map Guest frames and are never Global. Returns what is present.
 */
function checkPaeShadows(g: Guest): Snapshot {
  const lo = g.memBase / 4096;
  const now: Snapshot = new Map();
  g.pgdirs.forEach((p, slot) => {
    if (!p.pgdir) return;
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
        now.set(place(slot, i, m, 512), spmd & ~HW_BITS);
        for (let j = 0; j < 512; j++) {
          const spte = g.memory.read32(table + j * 8);
          if (g.memory.read32(table + j * 8 + 4) !== 0) throw new Error('shadow PTE with a high word');
          if (!(spte & PTE_P)) continue;
          const pfn = spte >>> 12;
          if (pfn < lo || pfn >= lo + g.pfnLimit) throw new Error(`shadow maps host frame ${pfn} outside the Guest`);
          if (spte & PTE_G) throw new Error('shadow entry is Global');
          now.set(place(slot, i, m, j), spte & ~HW_BITS);
        }
      }
    }
  });
  return now;
}

/**
 * Every shadow entry that appeared or changed in this step must have been
 * made from a Guest entry the Host read in this step, or was told by a
 * SET_PTE call of this step: it maps the frame that entry names, and has no
 * right the entry lacks. The Host read Guest memory somewhere between the
 * step's start and its end (an access's own store, which may land in a page
 * table through the kernel's direct map, comes after its fixes), so an entry
 * passes when memory at either moment, or a told value, accounts for it.
 * Returns how many entries were checked.
 */
function checkNewEntries(g: Guest, before: Snapshot, now: Snapshot, memories: GuestWords[], told: Map<string, number>): number {
  let checked = 0;
  for (const [at, entry] of now) {
    if (before.get(at) === entry) continue;
    checked++;
    const j = at % 513, m = Math.floor(at / 513) % 512, i = Math.floor(at / 513 / 512) % 4, slot = Math.floor(at / 513 / 512 / 4);
    const gpgdir = g.pgdirs[slot]!.gpgdir;
    // The Guest's PMD entry on this path, in each memory.
    const gpmds = memories.map((guest) => {
      const gpdpte = guest(gpgdir + i * 8);
      return { guest, gpmd: gpdpte & PTE_P ? guest(pmdEntry(gpdpte, m)) : 0 };
    });
    if (j === 512) {
      if (!gpmds.some(({ gpmd }) => gpmd & PTE_P && !(entry & RIGHTS & ~gpmd))) {
        throw new Error(`shadow PMD ${slot}/${i}/${m} 0x${entry.toString(16)}: no Guest PMD entry allows it (${gpmds.map(({ gpmd }) => `0x${gpmd.toString(16)}`).join(', ')})`);
      }
      continue;
    }
    const vaddr = ((i << 30) | (m << 21) | (j << 12)) >>> 0;
    // A kernel address is told to every slot (H:410); a user one to its own directory's.
    const toldAs = told.get(`${vaddr >= g.kernelAddress ? '*' : gpgdir}:${vaddr}`);
    const sources = gpmds.map(({ guest, gpmd }) => (gpmd & PTE_P ? guest(pmdEntry(gpmd, j)) : 0));
    if (toldAs !== undefined) sources.push(toldAs);
    const madeFrom = (gpte: number) => gpte & PTE_P && entry >>> 12 === g.memBase / 4096 + (gpte >>> 12) && !(entry & RIGHTS & ~gpte);
    if (!sources.some(madeFrom)) {
      throw new Error(`shadow PTE 0x${entry.toString(16)} for 0x${vaddr.toString(16)} in slot ${slot}: no Guest entry maps that frame with those rights (${sources.map((e) => `0x${(e >>> 0).toString(16)}`).join(', ')})`);
    }
  }
  return checked;
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
    let steps = 0, kills = 0, calls = 0, made = 0;
    let before: Snapshot = new Map();
    // SET_PTE calls of this step: the entry told, by Guest PDPT (`*` for a kernel address, told to every slot) and page.
    const told = new Map<string, number>();
    const tell = (dir: number, va: number, gpte: number) => {
      const page = (va & 0xffff_f000) >>> 0;
      told.set(`${page >= t.g.kernelAddress ? '*' : dir}:${page}`, gpte);
    };
    // Guest memory as the step found it: one copy, refilled every step.
    const startBytes = new Uint8Array(guestBytes(t.g).length);
    const atStart = wordsOf(startBytes);
    while (steps < 30_000) {
      steps++;
      told.clear();
      startBytes.set(guestBytes(t.g));
      try {
        const op = int(10);
        const dirs = [...t.os.k.procs.values()].map((p) => p.pgdir);
        const dir = dirs[int(dirs.length)]!;
        const va = [t.buf, t.buf + 0x1000, 0x8000_0000, 0xc000_0000 + int(96) * 4096, 0xff80_0000, 0xffbf_f000, int(0xffff_ffff) >>> 0][int(7)]!;
        if (op < 2) {
          calls++;
          const gpte = int(4) ? ((int(160) << 12) | int(0x1000)) >>> 0 : int(0xffff_ffff) >>> 0;
          tell(dir, va, gpte);
          hypercall(t.g, 14, dir, va, gpte, int(6) ? 0 : int(0xffff_ffff) >>> 0);
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
          const [call, a1, a2, a3] = [int(20), int(0xffff_ffff) >>> 0, int(2000), int(0xffff_ffff) >>> 0];
          if (call === 14) tell(a1, a2, a3);
          hypercall(t.g, call, a1, a2, a3, int(3));
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
        before = new Map();
        continue;
      }
      const now = checkPaeShadows(t.g);
      made += checkNewEntries(t.g, before, now, [atStart, wordsOf(guestBytes(t.g))], told);
      before = now;
    }
    console.log(`hostile PAE guest: ${steps} steps, ${calls} hypercalls, ${kills} guests killed, ${made} new shadow entries traced to the Guest's`);
    expect(kills).toBeGreaterThan(100);
    expect(made).toBeGreaterThan(1000);
  });
});
