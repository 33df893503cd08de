/*
 * The differential test of the fast miss path is a proof only if it fails
 * when the fast path is wrong. Each case here plants one bug a careless
 * implementer could make in a copy of src/hw/mmu.ts, bundles the comparison
 * of test/support/fast-miss.ts with that copy, and checks that the same
 * random programs the real test runs find a difference. The code each bug is
 * planted in must be there, once: if the MMU changes, the bugs change with it.
 */
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MMU = join(ROOT, 'src/hw/mmu.ts');

interface Planted {
  bug: string;
  search: string;
  replace: string;
}

const PLANTED: Planted[] = [
  {
    bug: 'the Global bit kept in the TLB without CR4.PGE',
    search: 'const rights = ((pde & pte & (PTE_RW | PTE_US)) | (pte & (PTE_D | PTE_G))) & this.cachedRights;',
    replace: 'const rights = (pde & pte & (PTE_RW | PTE_US)) | (pte & (PTE_D | PTE_G));',
  },
  {
    bug: 'XD dropped from a PAE entry',
    search: ' | ((pdeHi | pteHi) < 0 ? R_XD : 0)',
    replace: '',
  },
  {
    bug: 'a reserved bit let through in a PAE page-table entry',
    search: ' || (pteHi & hiAllowed) !== 0) return -1;',
    replace: ') return -1;',
  },
  {
    bug: 'a 4 MiB directory entry taken for a page table',
    search: 'if ((pde & (PTE_P | PTE_A | PTE_PS)) !== (PTE_P | PTE_A)) return -1;',
    replace: 'if ((pde & (PTE_P | PTE_A)) !== (PTE_P | PTE_A)) return -1;',
  },
  {
    bug: 'a frame at or above 2 GiB put in a row',
    search: "if ((pte & (PTE_P | PTE_A)) !== (PTE_P | PTE_A) || pte < 0) return -1;",
    replace: 'if ((pte & (PTE_P | PTE_A)) !== (PTE_P | PTE_A)) return -1;',
  },
  {
    bug: 'the rights table not asked (a write through a clean page, a user access to a kernel page)',
    search: 'if ((this.tlbAllows[rights]! & (1 << kind)) === 0) return -1;\n    return this.fillPlain(vaddr, pte & 0xffff_f000, rights);',
    replace: 'return this.fillPlain(vaddr, pte & 0xffff_f000, rights);',
  },
  {
    bug: 'a wide entry or a piece of a large page overwritten without the TLB\'s bookkeeping',
    search: 'if (was >= Meta.PLAIN) return -1;',
    replace: '',
  },
  {
    bug: 'the user\'s write key made from the supervisor\'s rights',
    search: 'rows[at + Row.USER + Row.KEY_WRITE] = user & 2 ? vpn : -1;',
    replace: 'rows[at + Row.USER + Row.KEY_WRITE] = supervisor & 2 ? vpn : -1;',
  },
  {
    bug: 'a fill into an empty slot not noted, so a CR3 write leaves it',
    search: 'if (was === -1) this.tlb.noteFilled(slot);',
    replace: '',
  },
];

/** The comparison, bundled with `mmu` in place of src/hw/mmu.ts. */
async function comparisonWith(mmu: string, out: string): Promise<{ searchDifference(runs: number, seed: number): string | null }> {
  await build({
    entryPoints: [join(ROOT, 'test/support/fast-miss.ts')],
    bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'silent', external: ['fast-check'],
    plugins: [{
      name: 'plant',
      setup(b) {
        b.onLoad({ filter: /src[\\/]hw[\\/]mmu\.ts$/ }, () => ({ contents: mmu, loader: 'ts' }));
      },
    }],
  });
  return import(pathToFileURL(out).href);
}

describe('the fast path\'s differential test fails on planted bugs', () => {
  // Under node_modules, so that the bundles find fast-check where the tests do.
  mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(ROOT, 'node_modules/.cache/lgj-planted-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const source = readFileSync(MMU, 'utf8');

  test('the bundled comparison, with no bug planted, finds no difference', async () => {
    const comparison = await comparisonWith(source, join(dir, 'clean.mjs'));
    expect(comparison.searchDifference(100, 1)).toBeNull();
  });

  PLANTED.forEach((p, i) => {
    test(p.bug, async () => {
      expect(source.split(p.search).length - 1, `src/hw/mmu.ts has this once: ${p.search}`).toBe(1);
      const comparison = await comparisonWith(source.replace(p.search, p.replace), join(dir, `planted-${i}.mjs`));
      // The real test's budget: 400 programs.
      expect(comparison.searchDifference(400, 1)).not.toBeNull();
    });
  });
});
