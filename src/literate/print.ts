/**
 * The print view: the whole book on one page, for paper or a PDF. Every step
 * of a stepping figure is shown and every folded table is open; the buttons
 * are left out; links between chapters become links within the page.
 *
 * Chapters each number their headings from scratch (three of them have a
 * "Practice" section), so on this page a heading's id carries its chapter:
 * `c08-practice`. Ids that are unique across the book already (regions,
 * claims, figures, exercises) stay as they are, so a link to one lands.
 */
import type MarkdownIt from 'markdown-it';
import type { Book, Chapter } from './book.ts';
import { esc, pageOf, THEME_SCRIPT } from './layout.ts';

function headingIds(ch: Chapter): Set<string> {
  const ids = new Set<string>();
  for (const t of ch.tokens) if (t.type === 'heading_open' && t.attrGet('id')) ids.add(t.attrGet('id')!);
  return ids;
}

const prefix = (ch: Chapter) => `c${String(ch.number).padStart(2, '0')}-`;

export function printPage(book: Book, render: (ch: Chapter) => string): string {
  const byPage = new Map(book.chapters.map((c) => [pageOf(c), c]));
  const headings = new Map(book.chapters.map((c) => [c, headingIds(c)]));
  const target = (ch: Chapter, id: string) => (headings.get(ch)!.has(id) ? prefix(ch) + id : id);
  const body = book.chapters.map((c) => {
    let html = render(c)
      .replace(/ id="([^"]+)"/g, (_all, id: string) => ` id="${target(c, id)}"`)
      .replace(/ href="([^"#]*)(#[^"]*)?"/g, (all, path: string, hash: string | undefined) => {
        const to = path === '' ? c : byPage.get(path);
        if (!to) return all; // a source view, the API, anything outside the chapters
        return ` href="#${hash ? target(to, hash.slice(1)) : `ch-${to.number}`}"`;
      })
      // Every step of a stepping figure, and every folded table, shown.
      .replace(/<div class="step" hidden>/g, '<div class="step">')
      .replace(/<details>/g, '<details open>');
    html = html.replace(/<h1>/, `<h1 id="ch-${c.number}">`);
    return `<section class="print-chapter" aria-labelledby="ch-${c.number}">${html}</section>`;
  }).join('\n');
  const toc = book.chapters.map((c) => `<li><a href="#ch-${c.number}">${esc(c.title)}</a></li>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lguest-journey (the whole book, for printing)</title>
<script>${THEME_SCRIPT}</script>
<link rel="stylesheet" href="site.css">
</head>
<body class="print">
<a class="skip" href="#content">Skip to the text</a>
<main id="content" tabindex="-1">
<p class="print-back"><a href="index.html">← Back to the book</a> · this page holds every chapter, for printing or saving as a PDF</p>
<h1>lguest-journey</h1>
<nav class="print-toc" aria-label="Chapters"><h2>Contents</h2><ol>${toc}</ol></nav>
${body}
</main>
<script src="site.js"></script>
</body>
</html>
`;
}

/** The markdown renderer's output for a chapter, as the print view wants it. */
export function renderChapter(md: MarkdownIt, ch: Chapter): string {
  return md.renderer.render(ch.tokens, md.options, ch.env);
}
