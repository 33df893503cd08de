/*
 * Folding a 64-bit process's addresses into a 32-bit Guest's user half.
 * Pages are grouped into clusters (code, heap, libraries, stack); clusters
 * keep their order, their inner layout and their offset within 4 MiB (so
 * page-directory sharing looks as it did), and are packed from 4 MiB up with
 * a 4 MiB gap between them.
 */

// #region G-fold
/** Pages closer than this are one cluster. */
const CLUSTER_GAP_PAGES = 1024;
/** Where the first cluster goes, and how far below PAGE_OFFSET the last may end. */
const FOLD_BASE = 0x0040_0000;
const FOLD_LIMIT = 0xc000_0000;

/** A map from 64-bit page numbers to 32-bit ones, made from every page a program touched. */
export function foldPages(pages: Iterable<bigint>): Map<bigint, number> {
  const sorted = [...new Set(pages)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const map = new Map<bigint, number>();
  let next = FOLD_BASE / 4096; // first free 32-bit page number
  let clusterStart = -1n;
  let clusterBase = 0;
  let prev = -1n;
  for (const p of sorted) {
    if (prev < 0n || p - prev >= BigInt(CLUSTER_GAP_PAGES)) {
      // A new cluster: keep its offset within a 4 MiB span, starting past everything placed so far.
      const inSpan = Number(p % 1024n);
      const span = Math.ceil((next - inSpan) / 1024);
      clusterStart = p;
      clusterBase = span * 1024 + inSpan;
    }
    const folded = clusterBase + Number(p - clusterStart);
    if (folded * 4096 >= FOLD_LIMIT) throw new Error('the program touches too much memory to fold below PAGE_OFFSET');
    map.set(p, folded);
    next = folded + 1 + CLUSTER_GAP_PAGES; // the gap before any next cluster
    prev = p;
  }
  return map;
}
// #endregion G-fold
