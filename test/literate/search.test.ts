/*
 * Search, without a browser: identifiers are terms of their own, and the
 * real book's index ranks our code first for lguest's C names. The browser
 * test types the same queries into the page.
 */
import MiniSearch from 'minisearch';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadBook, type Book } from '../../src/literate/book.ts';
import { pageOf } from '../../src/literate/layout.ts';
import { cName, identifierParts, processTerm, SEARCH_OPTIONS, tokenizeForIndex, tokenizeQuery } from '../../src/literate/search-options.ts';
import { declaredNames, searchDocs, searchIndex, type SearchDoc } from '../../src/literate/search.ts';
import { root } from '../site/built-site.ts';

describe('terms', () => {
  test('an identifier is one term, at its underscores too', () => {
    expect(tokenizeQuery('guest_set_pte(cpu, gpgdir)')).toEqual(['guest_set_pte', 'cpu', 'gpgdir']);
    expect(tokenizeQuery('LHCALL_FLUSH_TLB')).toEqual(['LHCALL_FLUSH_TLB']);
  });

  test('the index also holds an identifier\'s parts, so that words find it', () => {
    expect(identifierParts('guestSetPte')).toEqual(['guest', 'Set', 'Pte']);
    expect(identifierParts('SWITCHER_PGD_INDEX')).toEqual(['SWITCHER', 'PGD', 'INDEX']);
    expect(identifierParts('pte')).toEqual([]);
    expect(identifierParts('0xffc00000')).toEqual([]);
    expect(tokenizeForIndex('pinStackPages(g)')).toEqual(['pinStackPages', 'pin', 'Stack', 'Pages', 'g']);
  });

  test('terms are lower case, and single letters are dropped', () => {
    expect(processTerm('Guest_Set_PTE')).toBe('guest_set_pte');
    expect(processTerm('a')).toBeNull();
    expect(processTerm('4')).toBe('4');
  });

  test('our names in lguest\'s spelling', () => {
    expect(cName('guestSetPte')).toBe('guest_set_pte');
    expect(cName('pinStackPages')).toBe('pin_stack_pages');
    expect(cName('LHCALL_FLUSH_TLB')).toBe('LHCALL_FLUSH_TLB');
    expect(declaredNames('export function demandPage(g: Guest) {\nconst x = 1;\n}\nexport interface Foo {}')).toEqual(['demandPage', 'x', 'Foo']);
  });
});

describe('the book\'s index', () => {
  let book: Book;
  let docs: SearchDoc[];
  let ms: MiniSearch<SearchDoc>;
  beforeAll(() => {
    book = loadBook(root);
    docs = searchDocs(book.chapters, pageOf, book.conformance);
    ms = MiniSearch.loadJSON(searchIndex(docs), SEARCH_OPTIONS);
  });

  /** The section whose woven code declares `name`. */
  const declaring = (name: string) => docs.find((d) => new RegExp(`\\b(function|const|class|interface|type)\\s+${name.replace(/\$/g, '\\$')}\\b`).test(d.text))!;

  for (const [query, ours] of [['guest_set_pte', 'guestSetPte'], ['demand_page', 'demandPage'], ['pin_stack_pages', 'pinStackPages'], ['LHCALL_FLUSH_TLB', 'LHCALL_FLUSH_TLB'], ['guest_pagetable_clear_all', 'guestPagetableClearAll']] as const) {
    test(`${query} finds ${ours}'s section first`, () => {
      const want = declaring(ours);
      expect(want, ours).toBeDefined();
      expect(ms.search(query)[0]?.['url']).toBe(want.url);
    });
  }

  test('an identifier typed whole does not match its neighbours', () => {
    const hits = ms.search('guest_set_pte').map((h) => h['url']);
    expect(hits.length).toBeLessThan(8);
  });

  test('words still find code by its identifiers\' parts', () => {
    expect(ms.search('set pte').map((h) => h['url'])).toContain(declaring('guestSetPte').url);
  });
});
