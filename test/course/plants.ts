/*
 * Wrong answers a careful student might hand in: each is the course's own
 * solution with one mistake planted, in one exercise. Each must lose points
 * in its own exercise and nowhere else; `hiddenOnly` ones (the mistakes
 * issue 17 names, and the subtle ones) pass every public test, so only a
 * hidden test can catch them. The class (class.ts) hands them all in.
 */

/** One planted mistake: in block `block` (0-based, in file order) of `exercise`, `from` becomes `to`. */
export interface Plant {
  exercise: string;
  block?: number;
  from: string;
  to: string;
  /** Passes the public tests: a hidden test must catch it. */
  hiddenOnly?: boolean;
}

export const PLANTS: Record<string, Plant> = {
  // The two-level walk.
  'ex04-signed': { exercise: 'ex04-walk', from: 'const pteAddr = ((pde & 0xffff_f000) >>> 0) +', to: 'const pteAddr = (pde & 0xffff_f000) +', hiddenOnly: true },
  'ex04-forgets-dirty': { exercise: 'ex04-walk', from: 'pte | PTE_A | (kind === WRITE ? PTE_D : 0)', to: 'pte | PTE_A' },
  'ex04-dirty-on-read': { exercise: 'ex04-walk', from: 'pte | PTE_A | (kind === WRITE ? PTE_D : 0)', to: 'pte | PTE_A | PTE_D' },
  'ex04-pde-never-accessed': { exercise: 'ex04-walk', from: 'if (!(pde & PTE_A)) mem.write32(pdeAddr, pde | PTE_A);', to: '' },
  'ex04-accessed-when-refused': { exercise: 'ex04-walk', from: 'if (!permits(rights, m.policy[kind]!)) return denied(m, kind, out, rights);', to: 'mem.write32(pteAddr, pte | PTE_A);\n  if (!permits(rights, m.policy[kind]!)) return denied(m, kind, out, rights);', hiddenOnly: true },
  'ex04-pte-rights-only': { exercise: 'ex04-walk', from: 'const rights = pde & pte & (R_RW | R_US);', to: 'const rights = pte & (R_RW | R_US);', hiddenOnly: true },
  'ex04-ps-without-pse': { exercise: 'ex04-walk', from: 'if (pde & PTE_PS && m.pse)', to: 'if (pde & PTE_PS)', hiddenOnly: true },
  'ex04-drops-global': { exercise: 'ex04-walk', from: 'out.rights = rights | (pteAfter & (PTE_D | PTE_G));', to: 'out.rights = rights | (pteAfter & PTE_D);', hiddenOnly: true },
  // The 4 MiB leaf.
  'ex05-no-pse36': { exercise: 'ex05-large-page', from: 'const high = ((pde >>> 13) & 0xff) * 0x1_0000_0000;', to: 'const high = 0;', hiddenOnly: true },
  'ex05-bit21-ignored': { exercise: 'ex05-large-page', from: 'if (pde & m.reservedPse36) return reservedBit(m, kind, out, \'PDE\');', to: '', hiddenOnly: true },
  'ex05-dirty-on-read': { exercise: 'ex05-large-page', from: 'pde | PTE_A | (kind === WRITE ? PTE_D : 0)', to: 'pde | PTE_A | PTE_D' },
  // The PAE walk: loadPdptes (block 0), walk8 (1), walkPae (2).
  'pae-reserved-ignored': { exercise: 'ex05-pae-walk', block: 0, from: 'if (newLo[i]! & PTE_P && (', to: 'if (newLo[i]! & PTE_P && false && (' },
  'pae-registers-half-loaded': { exercise: 'ex05-pae-walk', block: 0, from: 'newLo[i] = mem.read32(base + i * 8);', to: 'newLo[i] = lo[i] = mem.read32(base + i * 8);', hiddenOnly: true },
  'pae-pdpte-from-memory': { exercise: 'ex05-pae-walk', block: 2, from: 'const lo = m.pdpteLo[i]!;', to: 'const lo = m.memory.read32(((m.cr3 & 0xffff_ffe0) >>> 0) + i * 8);' },
  'pae-pdpte-accessed': { exercise: 'ex05-pae-walk', block: 2, from: 'if (!(lo & PTE_P)) return notPresent(m, kind, out, \'PDPTE\');', to: 'if (!(lo & PTE_P)) return notPresent(m, kind, out, \'PDPTE\');\n  m.memory.write32(((m.cr3 & 0xffff_ffe0) >>> 0) + i * 8, lo | PTE_A);', hiddenOnly: true },
  'pae-xd-ignored': { exercise: 'ex05-pae-walk', block: 1, from: 'if (m.privilege.nxe && hi & PTE_XD_HI) rights |= R_XD;', to: '', hiddenOnly: true },
  'pae-pde-never-accessed': { exercise: 'ex05-pae-walk', block: 1, from: 'if (!(lo & PTE_A)) mem.write32(addr, lo | PTE_A);', to: '' },
  'pae-pde-rights-ignored': { exercise: 'ex05-pae-walk', block: 1, from: 'rights &= lo | ~(R_RW | R_US);', to: 'if (last || large) rights &= lo | ~(R_RW | R_US);', hiddenOnly: true },
  // demandPage (block 0) and trackedSpte (block 1).
  'demand-pte-rights-only': { exercise: 'ex08-demand-page', from: 'const rights = gdir & gpte;', to: 'const rights = gpte;', hiddenOnly: true },
  'demand-dirty-on-read': { exercise: 'ex08-demand-page', from: 'if (write) gpte |= PTE_D;', to: 'gpte |= PTE_D;' },
  'demand-pde-never-accessed': { exercise: 'ex08-demand-page', from: 'if (!(gdir & PTE_A)) lgwrite32(g, gdirAt, (gdir |= PTE_A));', to: '', hiddenOnly: true },
  'demand-keeps-old-reference': { exercise: 'ex08-demand-page', from: 'releasePte(g, g.memory.read32(spteAt));', to: '', hiddenOnly: true },
  'demand-always-present': { exercise: 'ex08-demand-page', from: '| (present ? PF_P : 0)', to: '| PF_P', hiddenOnly: true },
  'demand-no-entry-check': { exercise: 'ex08-demand-page', from: 'checkGpte(g, gpte);', to: '', hiddenOnly: true },
  'demand-writable-at-once': { exercise: 'ex08-demand-page', block: 1, from: 'return gpte & PTE_D ? gpteToSpte(g, gpte, true) : gpteToSpte(g, gpte & ~PTE_RW, false);', to: 'return gpteToSpte(g, gpte, true);' },
  // releasePgd (block 0), releasePtes (1), releasePmd (2).
  'release-keeps-references': { exercise: 'ex09-release-pgd', block: 0, from: 'else releasePtes(g, page);', to: '' },
  'release-keeps-page': { exercise: 'ex09-release-pgd', block: 0, from: 'freeShadowPage(g, page);', to: '' },
  'release-twice': { exercise: 'ex09-release-pgd', block: 0, from: 'g.memory.write32(spgdAt, 0);', to: '' },
  'release-tlb-kept': { exercise: 'ex09-release-pgd', block: 0, from: 'g.tlbStale = true;', to: '' },
  'release-half-table': { exercise: 'ex09-release-pgd', block: 1, from: 'i < words.length;', to: 'i < 512 * step;', hiddenOnly: true },
  'release-pmd-keeps-references': { exercise: 'ex09-release-pgd', block: 2, from: 'releasePtes(g, entryFrame(spmd));', to: '', hiddenOnly: true },
  // The kernel-mapping fix: three wrong ones that once scored full marks.
  'ex11-wrong-address': { exercise: 'ex11-kmap-fix', from: 'k.pv.setPteAt(BOOT_PGDIR, vaddr,', to: 'k.pv.setPteAt(BOOT_PGDIR, PAGE_OFFSET + gpa,', hiddenOnly: true },
  'ex11-process-pgdir': { exercise: 'ex11-kmap-fix', from: 'k.pv.setPteAt(BOOT_PGDIR, vaddr,', to: 'k.pv.setPteAt(k.current.pgdir, vaddr,', hiddenOnly: true },
  'ex11-slot-0': { exercise: 'ex11-kmap-fix', from: 'k.pv.setPteAt(BOOT_PGDIR, vaddr,', to: 'k.pv.setPteAt(BOOT_PGDIR, kmapSlotAddr(KM_USER0),', hiddenOnly: true },
};

/** The solution of block `k` with plant `p` in it (if it is that block's), or as it is. */
export function planted(p: Plant, solution: string[], k: number): string[] {
  if ((p.block ?? 0) !== k) return solution;
  const text = solution.join('\n');
  const at = text.indexOf(p.from);
  if (at < 0 || text.indexOf(p.from, at + 1) >= 0) throw new Error(`plant "${p.from}" must stand exactly once in ${p.exercise}'s block ${k}`);
  return (text.slice(0, at) + p.to + text.slice(at + p.from.length)).split('\n');
}
