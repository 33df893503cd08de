/**
 * How the book is searched, shared by the build (which indexes) and the page
 * (which queries), since MiniSearch needs the same options on both sides.
 *
 * A kernel reader types identifiers: `guest_set_pte`, `LHCALL_FLUSH_TLB`,
 * `demand_page`. MiniSearch's default tokenizer splits at `_` (it is
 * punctuation), which turns `guest_set_pte` into three common words that
 * match everything; here an identifier is one term. The index also holds
 * each identifier's parts (`guestSetPte` → `guest`, `set`, `pte`), so that
 * "set pte" still finds it, but a query is not split that way: typing the
 * whole name asks for the whole name.
 *
 * Each section also has a `names` field: the identifiers its woven code
 * defines, their lguest spellings (`guestSetPte` → `guest_set_pte`), and the
 * C functions lguest's `H:` sections name for the regions woven there. It is
 * boosted above the title and the text, so a C name finds our code first.
 */
import type { Options, SearchOptions } from 'minisearch';

/** Words of identifier characters; everything else separates them. */
const WORD = /[\p{L}\p{N}_$]+/gu;

/** `guestSetPte` → guest, Set, Pte; `SWITCHER_PGD_INDEX` → SWITCHER, PGD, INDEX; `0xffc00000` stays whole. */
export function identifierParts(word: string): string[] {
  if (/^\d/.test(word)) return [];
  const parts = word.split(/[_$]+/).flatMap((p) => p.split(/(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])/)).filter(Boolean);
  return parts.length > 1 ? parts : [];
}

/** Indexing: every word, and the parts of every identifier. */
export function tokenizeForIndex(text: string): string[] {
  const out: string[] = [];
  for (const [w] of text.matchAll(WORD)) out.push(w, ...identifierParts(w));
  return out;
}

/** Querying: whole words only. */
export function tokenizeQuery(text: string): string[] {
  return [...text.matchAll(WORD)].map((m) => m[0]);
}

/** Lower case; single letters (the "a" of prose, the "g" of code) are noise. */
export function processTerm(term: string): string | null {
  const t = term.toLowerCase();
  return t.length > 1 || /\d/.test(t) ? t : null;
}

/** The lguest spelling of one of our names: `guestSetPte` → `guest_set_pte`; `LHCALL_FLUSH_TLB` stays. */
export function cName(name: string): string {
  return /[a-z]/.test(name) ? name.replace(/(?<=[a-z0-9])(?=[A-Z])/g, '_').toLowerCase() : name;
}

export const SEARCH_FIELDS = ['title', 'names', 'text'];

export const QUERY_OPTIONS: SearchOptions = {
  tokenize: tokenizeQuery,
  processTerm,
  boost: { names: 8, title: 3, text: 1 },
  // The word being typed is a prefix; typos are forgiven in longer words, a little, but not
  // in a name with underscores: whoever types `guest_set_pte` does not mean `guest_set_pgd`.
  prefix: (_term, i, terms) => i === terms.length - 1,
  fuzzy: (term) => (term.length > 5 && !term.includes('_') ? 0.15 : false),
  combineWith: 'AND',
};

export const SEARCH_OPTIONS: Options = {
  fields: SEARCH_FIELDS,
  storeFields: ['title', 'chapter', 'url', 'text'],
  tokenize: tokenizeForIndex,
  processTerm,
  searchOptions: QUERY_OPTIONS,
};
