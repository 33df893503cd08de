/**
 * Full-text search over the book, prose and woven code alike: at build time
 * each chapter section becomes a document in a MiniSearch index, saved as
 * JSON; in the page, the bundled script loads it and answers as you type.
 * How words become terms, and how they are ranked, is in search-options.ts.
 */
import MiniSearch from 'minisearch';
import type Token from 'markdown-it/lib/token.mjs';
import type { Chapter } from './book.ts';
import type { Conformance } from './conformance.ts';
import { cName, SEARCH_OPTIONS } from './search-options.ts';
import type { WovenMeta } from './weave.ts';

export interface SearchDoc {
  id: number;
  title: string;
  chapter: string;
  url: string;
  /** The section's words, prose then code, as a reader sees them (for matching and snippets). */
  text: string;
  /** What the section's code defines, in our spelling and lguest's, and the C names of its H: sections. */
  names: string;
}

/** Names a piece of code declares: functions, classes, interfaces, types, enums, constants and variables. */
export function declaredNames(code: string): string[] {
  return [...code.matchAll(/\b(?:function\*?|class|interface|type|enum|const|let|var)\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]!);
}

/** The text of an inline token as read: markdown's marks gone, code spans kept. */
function inlineText(t: Token): string {
  return (t.children ?? []).map((c) => (c.type === 'text' || c.type === 'code_inline' ? c.content : c.type === 'softbreak' || c.type === 'hardbreak' ? ' ' : '')).join('');
}

/** One document per section (h1, h2, h3) of each chapter, with its code. */
export function searchDocs(chapters: Chapter[], pageOf: (c: Chapter) => string, conformance?: Conformance): SearchDoc[] {
  // Region → the C names of the lguest sections it answers for.
  const captures = new Map(conformance?.journey.map((j) => [j.h, j.captures]) ?? []);
  const cNames = new Map<string, string[]>();
  for (const e of conformance?.entries ?? []) {
    for (const r of e.regions) cNames.set(r, [...(cNames.get(r) ?? []), ...(captures.get(e.h) ?? [])]);
  }
  const docs: SearchDoc[] = [];
  for (const ch of chapters) {
    let current: SearchDoc | null = null;
    const names = new Set<string>();
    const finish = () => {
      if (current) current.names = [...names].join(' ');
      names.clear();
    };
    const start = (title: string, anchor: string) => {
      finish();
      current = { id: docs.length, title, chapter: ch.title, url: `${pageOf(ch)}${anchor ? `#${anchor}` : ''}`, text: '', names: '' };
      docs.push(current);
    };
    start(ch.title, '');
    ch.tokens.forEach((t, i) => {
      if (t.type === 'heading_open' && /^h[23]$/.test(t.tag)) start(inlineText(ch.tokens[i + 1]!), t.attrGet('id') ?? '');
      else if (t.type === 'inline' && ch.tokens[i - 1]?.type !== 'heading_open') current!.text += `${inlineText(t)}\n`;
      else if (t.type === 'fence') {
        current!.text += `${t.content}\n`;
        const meta = t.meta as WovenMeta | null;
        if (meta?.woven) {
          for (const n of declaredNames(t.content)) names.add(n).add(cName(n));
          for (const n of cNames.get(meta.region) ?? []) names.add(n);
          names.add(meta.region);
        }
      }
    });
    finish();
  }
  for (const d of docs) d.text = d.text.replace(/[ \t]+/g, ' ').replace(/\n{2,}/g, '\n').trim();
  return docs;
}

/** The serialised index. */
export function searchIndex(docs: SearchDoc[]): string {
  const ms = new MiniSearch<SearchDoc>(SEARCH_OPTIONS);
  ms.addAll(docs);
  return JSON.stringify(ms);
}
