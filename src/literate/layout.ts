/**
 * Every page of the site shares one frame: a skip link, the header (menu
 * button, title, search, links, theme), the chapter list (a column on a wide
 * screen, a drawer on a narrow one, where "On this page" and the site's links
 * join it), the text, and "On this page" beside it.
 */
import { PARTS, type Book, type Chapter } from './book.ts';

export function pageOf(ch: Chapter): string {
  return `${String(ch.number).padStart(2, '0')}-${ch.slug}.html`;
}

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const h3 = (h: number) => `H:${String(h).padStart(3, '0')}`;

export function hRange(ch: Chapter): string {
  return ch.h ? `${h3(ch.h[0])}–${String(ch.h[1]).padStart(3, '0')}` : '';
}

export interface TocEntry {
  level: number;
  id: string;
  text: string;
}

export interface LayoutOptions {
  current?: Chapter;
  prev?: Chapter | undefined;
  next?: Chapter | undefined;
  toc?: TocEntry[];
  /** How many folders below the site root the page sits. */
  depth?: number;
}

/**
 * Run before the stylesheet paints: the reader's theme, chosen here or by
 * their system. The API pages (typedoc's) keep theirs under `tsd-theme`.
 */
export const THEME_SCRIPT = "(function(){var t=localStorage.getItem('theme'),d=t?t==='dark':matchMedia('(prefers-color-scheme: dark)').matches;document.documentElement.classList.toggle('dark',d);try{localStorage.setItem('tsd-theme',d?'dark':'light')}catch(e){}})();";

/** The header's links, used in the header on a wide screen and in the drawer on a narrow one. */
function siteLinks(base: string): string {
  return `<a href="${base}index.html">Contents</a><a href="${base}identifiers.html">Index</a><a href="${base}conformance.html">Conformance</a><a href="${base}api/index.html">API</a><a href="${base}print.html">Print</a>`;
}

export function chapterList(book: Book, base: string, current?: Chapter): string {
  return PARTS.map((part) => {
    const list = book.chapters.filter((c) => c.part === part);
    if (!list.length) return '';
    const items = list.map((c) => `<li${c === current ? ' class="current"' : ''}><a href="${base}${pageOf(c)}"${c === current ? ' aria-current="page"' : ''}>${esc(c.title)}</a>${c.h ? ` <span class="h-range">${hRange(c)}</span>` : ''}</li>`).join('');
    return `<p class="part">${part}</p><ol>${items}</ol>`;
  }).join('');
}

function tocList(toc: TocEntry[]): string {
  return `<ol>${toc.map((t) => `<li class="l${t.level}"><a href="#${esc(t.id)}">${esc(t.text)}</a></li>`).join('')}</ol>`;
}

export function layout(book: Book, title: string, body: string, o: LayoutOptions): string {
  const base = o.depth ? '../'.repeat(o.depth) : '';
  const toc = o.toc?.length ? o.toc : undefined;
  const pager = o.current
    ? `<nav class="pager" aria-label="Previous and next chapter">${o.prev ? `<a rel="prev" href="${pageOf(o.prev)}">← ${esc(o.prev.title)}</a>` : ''}${o.next ? `<a rel="next" href="${pageOf(o.next)}">${esc(o.next.title)} →</a>` : ''}</nav>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · lguest-journey</title>
<script>${THEME_SCRIPT}</script>
<link rel="stylesheet" href="${base}site.css">
</head>
<body>
<a class="skip" href="#content">Skip to the text</a>
<header class="top">
<button type="button" class="icon-button menu-button" id="menu-button" aria-controls="drawer" aria-expanded="false" aria-label="Chapters${toc ? ' and contents of this page' : ''}">☰</button>
<a class="brand" href="${base}index.html">lguest-journey</a>
<div class="search" role="search">
<input type="search" id="search" placeholder="Search the book" aria-label="Search the book" autocomplete="off" spellcheck="false" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="search-results"><kbd aria-hidden="true">/</kbd>
<ol id="search-results" class="search-results" role="listbox" aria-label="Search results" hidden></ol>
<span id="search-status" class="visually-hidden" role="status"></span>
</div>
<nav class="top-links" aria-label="The site">${siteLinks(base)}</nav>
<button type="button" class="icon-button" id="theme-toggle" aria-label="Dark mode" aria-pressed="false">◐</button>
</header>
<div class="frame">
<nav class="sidebar" id="drawer" aria-label="Chapters">
<div class="drawer-only drawer-head"><span class="brand">Chapters</span><button type="button" class="icon-button" id="drawer-close" aria-label="Close the chapter list">✕</button></div>
<div class="drawer-only drawer-links">${siteLinks(base)}</div>
${chapterList(book, base, o.current)}
${toc ? `<div class="drawer-only toc-copy"><p class="part">On this page</p>${tocList(toc)}</div>` : ''}
</nav>
<div class="scrim"></div>
<main id="content" tabindex="-1">${o.current ? `<p class="chapter-meta">${esc(o.current.part)}${o.current.h ? ` · ${hRange(o.current)}` : ''}</p>` : ''}
${body}
${pager}</main>
${toc ? `<nav class="toc" aria-label="On this page"><p class="toc-title">On this page</p>${tocList(toc)}</nav>` : '<div></div>'}
</div>
<script src="${base}site.js"></script>
</body>
</html>
`;
}

export function tocOf(ch: Chapter): TocEntry[] {
  const toc: TocEntry[] = [];
  ch.tokens.forEach((t, i) => {
    if (t.type !== 'heading_open' || (t.tag !== 'h2' && t.tag !== 'h3')) return;
    const id = t.attrGet('id');
    const text = ch.tokens[i + 1]?.children?.filter((c) => c.type === 'text' || c.type === 'code_inline').map((c) => c.content).join('') ?? '';
    if (id) toc.push({ level: Number(t.tag[1]), id, text });
  });
  return toc;
}

export function contentsPage(book: Book): string {
  const parts = PARTS.map((part) => {
    const list = book.chapters.filter((c) => c.part === part);
    if (!list.length) return '';
    return `<h2>${part[0]!.toUpperCase()}${part.slice(1)}</h2><ol class="contents">${list.map((c) => `<li><a href="${pageOf(c)}">${esc(c.title)}</a>${c.h ? ` <span class="h-range">${hRange(c)}</span>` : ''}</li>`).join('')}</ol>`;
  }).join('');
  return `<h1>lguest-journey</h1><p>A literate journey through x86 paging and lguest's shadow page tables, in TypeScript.</p>${parts}`;
}

/** A table that scrolls sideways in its own box: focusable, so a keyboard can scroll it too. */
export function tableWrap(table: string, label: string): string {
  return `<div class="table-wrap" role="region" tabindex="0" aria-label="${esc(label)}">${table}</div>`;
}
