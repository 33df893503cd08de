/**
 * The site's stylesheet (its colours from palette.ts) and its favicon. The
 * page's script is TypeScript in client/, bundled by the build.
 *
 * One layout for every width: at 75rem (1200 px) and up, the chapter list,
 * the text and "On this page" stand side by side, the two lists sticky with
 * scrolling of their own; below that, both open from the menu button as a
 * drawer, and on a phone the search box takes a row of its own.
 */
import { cssVariables, PALETTES } from './palette.ts';

/** The colours of highlighted code's token classes (see highlight.ts), in the book and the API pages alike. */
export const TOKEN_CSS = `.t-foreground { color: var(--t-fg); } .t-keyword { color: var(--t-keyword); } .t-function { color: var(--t-function); }
.t-constant { color: var(--t-constant); } .t-string, .t-string-expression { color: var(--t-string); } .t-comment { color: var(--t-comment); }
.t-parameter { color: var(--t-parameter); } .t-punctuation { color: var(--t-punct); } .t-link { color: var(--t-link); } .t-italic { font-style: italic; }`;

export const PAGE_CSS = `
:root { ${cssVariables(PALETTES.light)} --header: 3.25rem; color-scheme: light; }
html.dark { ${cssVariables(PALETTES.dark)} color-scheme: dark; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: var(--bg); font: 16px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif; overflow-wrap: break-word; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, [tabindex]:focus-visible, summary:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
/* A jump to a heading or region moves the reading position, not the keyboard focus ring. */
:target { outline: none; }
[id] { scroll-margin-top: calc(var(--header) + 1rem); }
button { font: inherit; }
.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }

/* Skip link: the first thing a keyboard reaches. */
.skip { position: absolute; left: .5rem; top: -4rem; z-index: 100; padding: .5rem 1rem; background: var(--bg); color: var(--accent); border: 2px solid var(--accent); border-radius: 6px; }
.skip:focus { top: .5rem; }

/* The header. */
header.top { position: sticky; top: 0; z-index: 20; display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; min-height: var(--header); padding: .4rem 1rem; background: var(--bg); border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; text-decoration: none; padding: .25rem 0; }
.top-links { display: flex; gap: 1.25rem; margin-left: auto; }
.top-links a { text-decoration: none; padding: .25rem 0; }
.icon-button { display: inline-flex; align-items: center; justify-content: center; min-width: 2.25rem; min-height: 2.25rem; padding: 0 .5rem; background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 6px; cursor: pointer; }
.menu-button { display: none; }
.search { position: relative; flex: 1 1 14rem; max-width: 26rem; }
.search input { width: 100%; min-height: 2.25rem; padding: .3rem 2.6rem .3rem .6rem; font: inherit; font-size: .95rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
.search input::placeholder { color: var(--muted); opacity: 1; }
.search kbd { position: absolute; right: .5rem; top: 50%; transform: translateY(-50%); font: .75rem ui-monospace, monospace; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 .3rem; pointer-events: none; }
.search input:focus + kbd, .search input:not(:placeholder-shown) + kbd { display: none; }
.search-results { position: absolute; z-index: 40; left: 0; right: 0; top: calc(100% + .25rem); max-height: min(32rem, calc(100vh - 6rem)); overflow-y: auto; margin: 0; padding: .25rem; list-style: none; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; box-shadow: 0 6px 18px rgba(0,0,0,.2); }
.search-results[hidden] { display: none; }
.search-results li { border-radius: 4px; }
.search-results a { display: block; padding: .4rem .6rem; color: var(--fg); text-decoration: none; }
.search-results li[aria-selected="true"] { background: var(--code-bg); outline: 2px solid var(--accent); outline-offset: -2px; }
.search-results .hit-title { color: var(--accent); font-weight: 600; }
.search-results .hit-where { color: var(--muted); font-size: .8rem; }
.search-results .hit-snippet { display: block; font-size: .85rem; color: var(--fg); }
.search-results .search-empty { padding: .4rem .6rem; color: var(--muted); }
mark { background: var(--mark); color: var(--fg); border-radius: 2px; }

/* The three columns, and the drawer. */
.frame { display: grid; grid-template-columns: 16rem minmax(0, 1fr) 14rem; gap: 2rem; max-width: 92rem; margin: 0 auto; }
.sidebar { position: sticky; top: var(--header); align-self: start; max-height: calc(100vh - var(--header)); overflow-y: auto; overscroll-behavior: contain; padding: 1rem; font-size: .9rem; border-right: 1px solid var(--line); }
.sidebar .part { font-size: .75rem; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 1rem 0 .25rem; }
.sidebar ol { padding-left: 1.4rem; margin: 0; }
.sidebar li { padding: .2rem 0; line-height: 1.45; }
.sidebar li.current > a { font-weight: 700; }
.drawer-only { display: none; }
.h-range { color: var(--muted); font-size: .8em; white-space: nowrap; }
main { padding: 1rem 0 4rem; min-width: 0; }
main:focus { outline: none; }
.toc { position: sticky; top: var(--header); align-self: start; max-height: calc(100vh - var(--header)); overflow-y: auto; padding: 1rem .5rem 1rem 0; font-size: .85rem; }
.toc-title { font-size: .75rem; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 .5rem; }
.toc ol { list-style: none; padding: 0; margin: 0; }
.toc li a { display: block; padding: .2rem 0 .2rem .75rem; border-left: 2px solid var(--line); text-decoration: none; }
.toc .l3 a { padding-left: 1.5rem; }
.toc a[aria-current] { border-left-color: var(--accent); color: var(--fg); font-weight: 600; }
.scrim { display: none; }

@media (max-width: 74.99rem) {
  .menu-button { display: inline-flex; }
  .top-links, .toc { display: none; }
  .drawer-only { display: block; }
  .frame { display: block; }
  main { padding: 1rem 1rem 4rem; }
  .sidebar { position: fixed; top: 0; bottom: 0; left: 0; z-index: 50; width: min(22rem, 88vw); max-height: none; padding: 1rem 1rem 3rem; background: var(--bg); border-right: 1px solid var(--line); box-shadow: 4px 0 24px rgba(0,0,0,.25); transform: translateX(-105%); visibility: hidden; transition: transform .2s ease, visibility 0s linear .2s; }
  body.drawer-open .sidebar { transform: none; visibility: visible; transition: transform .2s ease; }
  body.drawer-open .scrim { display: block; position: fixed; inset: 0; z-index: 45; background: rgba(0,0,0,.45); }
  body.drawer-open { overflow: hidden; }
  .drawer-head { display: flex; justify-content: space-between; align-items: center; margin-bottom: .5rem; }
  .drawer-links { display: flex; flex-wrap: wrap; gap: .25rem 1rem; padding-bottom: .5rem; border-bottom: 1px solid var(--line); }
  .drawer-links a { padding: .3rem 0; }
  .sidebar .toc-copy { margin-top: 1rem; padding-top: .5rem; border-top: 1px solid var(--line); }
  .sidebar .toc-copy ol { list-style: none; padding: 0; }
  .sidebar .toc-copy .l3 { padding-left: 1rem; }
}
@media (max-width: 40rem) {
  :root { --header: 6rem; }
  header.top { padding: .4rem .75rem; }
  .brand { margin-right: auto; }
  .search { order: 10; flex: 1 0 100%; max-width: none; }
  .search-results { position: fixed; left: .5rem; right: .5rem; top: auto; max-height: calc(100vh - 7.5rem); }
  main { padding: .75rem .75rem 4rem; }
  h1 { font-size: 1.75rem; line-height: 1.25; }
}
@media (prefers-reduced-motion: reduce) { .sidebar { transition: none !important; } }

/* The text. */
.chapter-meta { color: var(--muted); font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; margin: 0; }
h1, h2, h3 { line-height: 1.3; }
.header-anchor { color: inherit; text-decoration: none; }
.header-anchor:hover::after { content: " #"; color: var(--muted); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
:not(pre) > code { background: var(--code-bg); border-radius: 4px; padding: .05em .3em; }
pre { overflow-x: auto; padding: .75rem 1rem; margin: 1rem 0; border-radius: 6px; background: var(--code-bg); color: var(--fg); border: 1px solid var(--line); position: relative; font-size: .875rem; line-height: 1.5; }
pre code { font-size: inherit; background: none; padding: 0; }
.shiki { color: var(--t-fg); background: var(--code-bg); }
.shiki .line[data-line]::before { content: attr(data-line); display: inline-block; width: 3em; margin-right: 1em; text-align: right; color: var(--muted); user-select: none; }
.shiki .line.highlighted, .shiki .line:target { background: var(--hl); }
${TOKEN_CSS}
figure { margin: 1rem 0; }
figure.woven figcaption, figure.transcript figcaption { font-size: .8rem; color: var(--muted); background: var(--bg); border: 1px solid var(--line); border-bottom: 0; padding: .3rem .75rem; border-radius: 6px 6px 0 0; }
figcaption .run { margin-left: .5rem; }
figure.woven pre, figure.transcript pre { margin: 0; border-radius: 0 0 6px 6px; }
figure.transcript .run-output { margin-top: .5rem; border-radius: 6px; border-left: 4px solid var(--accent); }
.region { font-family: ui-monospace, monospace; font-weight: 600; color: var(--fg); }
.source-title { font-size: 1.2rem; overflow-wrap: anywhere; }
a.ident { color: inherit; text-decoration: underline dotted; text-underline-offset: 2px; }
.claim { border-left: 4px solid var(--ok); background: var(--claim); padding: .25rem 1rem; margin: 1rem 0; border-radius: 0 6px 6px 0; }
.claim-tag, .beyond-tag, .exercise-tag { font-size: .8rem; color: var(--muted); font-weight: 600; }
.beyond { border-left: 4px solid #8250df; background: var(--beyond); padding: .25rem 1rem; margin: 1rem 0; border-radius: 0 6px 6px 0; }
.exercise { border: 1px solid var(--accent); border-radius: 6px; padding: .25rem 1rem; margin: 1rem 0; }
.weave-error { color: #fff; background: #b42318; padding: .5rem 1rem; border-radius: 6px; font-family: monospace; }
.pager { display: flex; justify-content: space-between; gap: 1rem; margin-top: 3rem; border-top: 1px solid var(--line); padding-top: 1rem; }
.pager a { padding: .25rem 0; }
.pager a[rel="next"] { margin-left: auto; text-align: right; }

/* Tables scroll inside their own box, never the page. */
.table-wrap { overflow-x: auto; margin: 1rem 0; max-width: 100%; }
table { border-collapse: collapse; font-size: .9rem; }
td, th { border: 1px solid var(--line); padding: .3rem .5rem; vertical-align: top; text-align: left; }
th { background: var(--code-bg); }
.status-ported td:nth-child(3) { color: var(--ok); } .status-diverges td:nth-child(3) { color: var(--warn); } .status-planned td:nth-child(3) { color: var(--bad); }
.identifiers td { font-size: .85rem; }
.muted { color: var(--muted); }

/* Figures. */
.live-figure { margin: 1.5rem 0; }
.live-figure svg { max-width: 100%; height: auto; display: block; }
.live-figure figcaption { font-size: .85rem; color: var(--muted); margin-top: .5rem; }
.fig-panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 20rem), 1fr)); gap: 1rem 1.5rem; }
.fig-legend { display: flex; flex-wrap: wrap; gap: .25rem 1.5rem; font-size: .85rem; margin: .5rem 0 0; padding: 0; list-style: none; }
.fig-legend .swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .4rem; vertical-align: -.05rem; border-radius: 2px; }
.fig-title { font: 600 12px system-ui, sans-serif; fill: var(--fg); }
.fig-axis { font: 11px system-ui, sans-serif; fill: var(--muted); }
.fig-value { font: 10px system-ui, sans-serif; fill: var(--fg); }
.fig-grid { stroke: var(--line); stroke-width: 1; }
/* A wide figure shrinks to the column down to 85% of its size, then scrolls sideways in its box. */
.fig-scroll { overflow-x: auto; }
.fig-scroll svg { min-width: var(--fig-least, 0); }
/* A stepping figure keeps its size and scrolls sideways on a narrow screen. */
.stepper { overflow-x: auto; }
.stepper svg { max-width: none; }
.step-nav { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; font-size: .9rem; margin: .5rem 0; }
.text-button { min-height: 2rem; padding: .2rem .75rem; font-size: .85rem; cursor: pointer; background: var(--bg); color: var(--accent); border: 1px solid var(--accent); border-radius: 6px; }
.text-button:disabled { color: var(--muted); border-color: var(--line); cursor: default; }
details summary { cursor: pointer; padding: .25rem 0; }
.figure-off { font-size: .85rem; color: var(--muted); font-style: italic; }
.copy { position: absolute; top: .3rem; right: .3rem; min-height: 1.75rem; min-width: 3rem; font-size: .75rem; cursor: pointer; background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 4px; opacity: .85; }
.run-status { font-size: .85rem; color: var(--muted); }
.ident-pop { position: absolute; z-index: 30; display: flex; flex-direction: column; gap: .2rem; padding: .4rem .6rem; font-size: .85rem; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; box-shadow: 0 4px 12px rgba(0,0,0,.2); max-width: min(30rem, calc(100vw - 1rem)); }
.ident-pop[hidden] { display: none; }
.explained-in { font-size: .9rem; }

/* The contents page. */
.contents li { padding: .15rem 0; }

/* The print view: one page, every chapter, every step. */
body.print main { max-width: 52rem; margin: 0 auto; padding: 1rem; }
.print-back { font-size: .9rem; }
body.print .stepper .step { margin-bottom: 1rem; }
@media print {
  header.top, .sidebar, .toc, .pager, .copy, .run, .step-nav, .skip, .scrim, .print-back, .ident-pop { display: none !important; }
  .frame { display: block; }
  .stepper .step[hidden] { display: block !important; }
  .stepper, .fig-scroll { overflow: visible; }
  .fig-scroll svg { min-width: 0; }
  .print-chapter { break-before: page; }
  pre { white-space: pre-wrap; overflow: visible; }
  .table-wrap { overflow: visible; }
  a { color: inherit; }
}
`;

/** A 1x1 icon (an ICO holding a PNG): the smallest thing that answers /favicon.ico. */
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkaPhfDwAEgwGAbo/cLwAAAABJRU5ErkJggg==', 'base64');
export const FAVICON = Buffer.concat([
  Buffer.from([0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 32, 0]),
  Buffer.from(new Uint32Array([PNG_1X1.length, 22]).buffer),
  PNG_1X1,
]);
