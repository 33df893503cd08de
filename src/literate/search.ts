/**
 * Full-text search over the book, prose and woven code alike: at build time
 * each chapter section becomes a document in a MiniSearch index, saved as
 * JSON; in the page, a small bundled script loads it and answers as you type.
 */
import MiniSearch from 'minisearch';
import type { Chapter } from './book.ts';

export interface SearchDoc {
  id: number;
  title: string;
  chapter: string;
  url: string;
  text: string;
}

/** The options both sides must agree on. */
export const SEARCH_OPTIONS = { fields: ['title', 'text'], storeFields: ['title', 'chapter', 'url'] };

/** One document per section (h1, h2, h3) of each chapter, with its code. */
export function searchDocs(chapters: Chapter[], pageOf: (c: Chapter) => string): SearchDoc[] {
  const docs: SearchDoc[] = [];
  for (const ch of chapters) {
    let current: SearchDoc | null = null;
    const start = (title: string, anchor: string) => {
      current = { id: docs.length, title, chapter: ch.title, url: `${pageOf(ch)}${anchor ? `#${anchor}` : ''}`, text: '' };
      docs.push(current);
    };
    start(ch.title, '');
    ch.tokens.forEach((t, i) => {
      if (t.type === 'heading_open' && /^h[23]$/.test(t.tag)) {
        const title = ch.tokens[i + 1]?.content ?? '';
        start(title, t.attrGet('id') ?? '');
      } else if (t.type === 'inline' && ch.tokens[i - 1]?.type !== 'heading_open') current!.text += `${t.content}\n`;
      else if (t.type === 'fence') current!.text += `${t.content}\n`;
    });
  }
  return docs;
}

/** The serialised index. */
export function searchIndex(docs: SearchDoc[]): string {
  const ms = new MiniSearch<SearchDoc>(SEARCH_OPTIONS);
  ms.addAll(docs);
  return JSON.stringify(ms);
}
