/** The site's stylesheet and its one small script: dark mode, copy buttons. */

export const PAGE_CSS = `
:root { --fg: #1f2328; --bg: #fff; --muted: #59636e; --line: #d1d9e0; --accent: #0969da; --code-bg: #f6f8fa; --claim: #dafbe1; --beyond: #fbefff; --fig-a: #cf222e; --fig-b: #1a7f37; --hl: #fff8c5; }
html.dark { --fg: #e6edf3; --bg: #0d1117; --muted: #9198a1; --line: #30363d; --accent: #4493f8; --code-bg: #161b22; --claim: #12261e; --beyond: #271a3b; --fig-a: #ff7b72; --fig-b: #3fb950; --hl: #3b3416; }
/* Code colours: one palette per theme (highlight.ts gives each token its class). */
:root { --t-fg: #1f2328; --t-keyword: #cf222e; --t-function: #6639ba; --t-constant: #0550ae; --t-string: #0a3069; --t-comment: #57606a; --t-parameter: #953800; --t-punct: #1f2328; --t-link: #0969da; }
html.dark { --t-fg: #e6edf3; --t-keyword: #ff7b72; --t-function: #d2a8ff; --t-constant: #79c0ff; --t-string: #a5d6ff; --t-comment: #9198a1; --t-parameter: #ffa657; --t-punct: #e6edf3; --t-link: #58a6ff; }
.shiki { color: var(--t-fg); background: var(--code-bg); }
.t-foreground { color: var(--t-fg); } .t-keyword { color: var(--t-keyword); } .t-function { color: var(--t-function); }
.t-constant { color: var(--t-constant); } .t-string, .t-string-expression { color: var(--t-string); } .t-comment { color: var(--t-comment); }
.t-parameter { color: var(--t-parameter); } .t-punctuation { color: var(--t-punct); } .t-link { color: var(--t-link); } .t-italic { font-style: italic; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: var(--bg); font: 16px/1.6 system-ui, sans-serif; }
a { color: var(--accent); }
header.top { display: flex; justify-content: space-between; align-items: center; padding: .5rem 1rem; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--bg); z-index: 2; }
header.top a { margin-right: 1rem; text-decoration: none; }
.brand { font-weight: 700; }
#theme-toggle { background: none; border: 1px solid var(--line); color: var(--fg); border-radius: 4px; cursor: pointer; }
.frame { display: grid; grid-template-columns: 16rem minmax(0, 1fr) 14rem; gap: 2rem; max-width: 90rem; margin: 0 auto; }
.sidebar { padding: 1rem; font-size: .9rem; border-right: 1px solid var(--line); }
.sidebar h2 { font-size: .75rem; text-transform: uppercase; color: var(--muted); margin: 1rem 0 .25rem; }
.sidebar ol { padding-left: 1.2rem; margin: 0; }
.sidebar li.current > a { font-weight: 700; }
.h-range { color: var(--muted); font-size: .8em; white-space: nowrap; }
main { padding: 1rem 0 4rem; min-width: 0; }
.toc { font-size: .85rem; padding-top: 1rem; position: sticky; top: 3rem; align-self: start; }
.toc h2 { font-size: .75rem; text-transform: uppercase; color: var(--muted); }
.toc ol { list-style: none; padding: 0; } .toc .l3 { padding-left: 1rem; }
.chapter-meta { color: var(--muted); font-size: .85rem; text-transform: uppercase; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
pre { overflow-x: auto; padding: .75rem 1rem; border-radius: 6px; background: var(--code-bg); position: relative; }
figure { margin: 1rem 0; }
figure.woven figcaption, figure.transcript figcaption { font-size: .8rem; color: var(--muted); border: 1px solid var(--line); border-bottom: 0; padding: .25rem .75rem; border-radius: 6px 6px 0 0; }
figure.woven pre, figure.transcript pre { margin-top: 0; border-radius: 0 0 6px 6px; border: 1px solid var(--line); }
.region { font-family: ui-monospace, monospace; font-weight: 600; color: var(--fg); }
figure.woven .line::before { content: attr(data-line); display: inline-block; width: 3.5em; margin-right: 1em; text-align: right; color: var(--muted); user-select: none; }
figure.woven .line.highlighted { background: var(--hl); }
.source-title { font-size: 1.2rem; }
main > pre.shiki .line::before { content: attr(data-line); display: inline-block; width: 3.5em; margin-right: 1em; text-align: right; color: var(--muted); }
.shiki .line:target { background: var(--hl); }
.claim { border-left: 4px solid #1a7f37; background: var(--claim); padding: .25rem 1rem; margin: 1rem 0; border-radius: 0 6px 6px 0; }
.live-figure { margin: 1.5rem 0; overflow-x: auto; }
.live-figure svg { max-width: 100%; height: auto; }
.live-figure figcaption { font-size: .8rem; color: var(--muted); }
.fig-title { font: 600 12px system-ui, sans-serif; fill: var(--fg); }
.fig-axis { font: 11px system-ui, sans-serif; fill: var(--muted); }
.fig-grid { stroke: var(--line); stroke-width: 1; }
.exercise { border: 1px solid var(--accent); border-radius: 6px; padding: .25rem 1rem; margin: 1rem 0; }
.exercise-tag { font-size: .8rem; color: var(--muted); font-weight: 600; }
.figure-off { font-size: .85rem; color: var(--muted); font-style: italic; }
.beyond { border-left: 4px solid #8250df; background: var(--beyond); padding: .25rem 1rem; margin: 1rem 0; border-radius: 0 6px 6px 0; }
.beyond-tag { font-size: .75rem; color: var(--muted); font-weight: 600; }
.claim-tag { font-size: .75rem; color: var(--muted); }
.weave-error { color: #fff; background: #cf222e; padding: .5rem 1rem; border-radius: 6px; font-family: monospace; }
.pager { display: flex; justify-content: space-between; margin-top: 3rem; border-top: 1px solid var(--line); padding-top: 1rem; }
table { border-collapse: collapse; font-size: .9rem; } td, th { border: 1px solid var(--line); padding: .25rem .5rem; vertical-align: top; }
.status-ported td:nth-child(3) { color: #1a7f37; } .status-diverges td:nth-child(3) { color: #9a6700; } .status-planned td:nth-child(3) { color: #cf222e; }
.run { margin-left: .75rem; font-size: .75rem; cursor: pointer; background: var(--bg); color: var(--accent); border: 1px solid var(--accent); border-radius: 4px; }
.run-output { border-left: 3px solid var(--accent); }
.run-status { font-size: .8rem; color: var(--muted); }
.search { position: relative; flex: 1; max-width: 24rem; margin: 0 1rem; }
.search input { width: 100%; padding: .3rem .6rem; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
#search-results { position: absolute; z-index: 10; left: 0; right: 0; margin: .25rem 0 0; padding: 0; list-style: none; background: var(--bg); border-radius: 6px; }
#search-results:not(:empty) { border: 1px solid var(--line); box-shadow: 0 4px 12px rgba(0,0,0,.15); }
#search-results li { padding: .3rem .6rem; font-size: .85rem; }
.search-where { color: var(--muted); }
.ident { color: inherit; text-decoration: underline dotted; }
.explained-in { font-size: .9rem; }
.identifiers td { vertical-align: top; font-size: .85rem; }
[id] { scroll-margin-top: 4rem; }
.ident-pop { position: absolute; z-index: 20; display: flex; flex-direction: column; gap: .2rem; padding: .4rem .6rem; font-size: .8rem; background: var(--bg); border: 1px solid var(--line); border-radius: 6px; box-shadow: 0 4px 12px rgba(0,0,0,.15); }
.ident-pop[hidden] { display: none; }
.step-nav { display: flex; gap: 1rem; align-items: center; font-size: .85rem; margin: .25rem 0; }
.step-nav button { cursor: pointer; background: var(--bg); color: var(--accent); border: 1px solid var(--accent); border-radius: 4px; }
.copy { position: absolute; top: .25rem; right: .25rem; font-size: .75rem; opacity: .6; cursor: pointer; background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 4px; }
.header-anchor { color: inherit; text-decoration: none; }
@media (max-width: 70rem) { .frame { grid-template-columns: 1fr; } .sidebar, .toc { display: none; } main { padding: 1rem; } }
body.print main { max-width: 50rem; margin: 0 auto; }
@media print { header.top, .sidebar, .toc, .pager, .copy, #theme-toggle { display: none; } .frame { display: block; } .print-chapter { break-before: page; } pre { white-space: pre-wrap; } }
`;

export const PAGE_JS = `
document.getElementById('theme-toggle')?.addEventListener('click', () => {
  const dark = document.documentElement.classList.toggle('dark');
  localStorage.setItem('theme', dark ? 'dark' : 'light');
});
for (const pre of document.querySelectorAll('pre')) {
  const button = document.createElement('button');
  button.className = 'copy';
  button.type = 'button';
  button.textContent = 'copy';
  button.addEventListener('click', async () => {
    const code = pre.querySelector('code') ?? pre;
    try { await navigator.clipboard.writeText(code.innerText); button.textContent = 'copied'; }
    catch { button.textContent = 'select + copy'; }
  });
  pre.appendChild(button);
}
// Woven identifiers: the link goes to the chapter that explains one; hovering or focusing it
// offers its API page too.
const pop = document.createElement('div');
pop.className = 'ident-pop';
pop.hidden = true;
document.body.append(pop);
let hideTimer = 0;
const hide = () => { hideTimer = setTimeout(() => { pop.hidden = true; }, 300); };
pop.addEventListener('mouseenter', () => clearTimeout(hideTimer));
pop.addEventListener('mouseleave', hide);
for (const a of document.querySelectorAll('a.ident')) {
  const show = () => {
    clearTimeout(hideTimer);
    pop.replaceChildren();
    const explained = document.createElement('a');
    explained.href = a.href;
    explained.textContent = a.title.replace(/^[^·]*· /, '') || 'where it is explained';
    const api = document.createElement('a');
    api.href = new URL(a.dataset.api, document.baseURI).href;
    api.textContent = 'API reference for ' + a.textContent;
    pop.append(explained, api);
    const r = a.getBoundingClientRect();
    pop.style.left = (r.left + scrollX) + 'px';
    pop.style.top = (r.bottom + scrollY + 4) + 'px';
    pop.hidden = false;
  };
  a.addEventListener('mouseenter', show);
  a.addEventListener('focus', show);
  a.addEventListener('mouseleave', hide);
  a.addEventListener('blur', hide);
}
// Stepping figures: Previous and Next move through the frames.
for (const stepper of document.querySelectorAll('.stepper')) {
  const steps = [...stepper.querySelectorAll('.step')];
  let at = 0;
  const nav = document.createElement('div');
  nav.className = 'step-nav';
  const prev = document.createElement('button');
  const next = document.createElement('button');
  const where = document.createElement('span');
  prev.type = next.type = 'button';
  prev.textContent = '← Previous';
  next.textContent = 'Next →';
  const show = (n) => {
    at = Math.max(0, Math.min(steps.length - 1, n));
    steps.forEach((s, i) => { s.hidden = i !== at; });
    where.textContent = 'step ' + (at + 1) + ' of ' + steps.length;
    prev.disabled = at === 0;
    next.disabled = at === steps.length - 1;
  };
  prev.addEventListener('click', () => show(at - 1));
  next.addEventListener('click', () => show(at + 1));
  nav.append(prev, where, next);
  stepper.after(nav);
  show(0);
}
// Examples that run in the page: import the bundle with console captured, show what it prints.
for (const fig of document.querySelectorAll('figure.transcript[data-run]')) {
  const button = document.createElement('button');
  button.className = 'run';
  button.type = 'button';
  button.textContent = '▶ Run in the page';
  const output = document.createElement('pre');
  output.className = 'run-output';
  output.hidden = true;
  const status = document.createElement('p');
  status.className = 'run-status';
  fig.querySelector('figcaption').appendChild(button);
  fig.append(output, status);
  button.addEventListener('click', async () => {
    const lines = [];
    const print = (...args) => lines.push(args.map(String).join(' '));
    globalThis.__lgjConsole = { log: print, error: print, warn: print, info: print };
    button.disabled = true;
    try {
      await import(new URL(fig.dataset.run, location.href).href + '?run=' + Date.now());
    } catch (e) {
      lines.push(String(e));
    }
    button.disabled = false;
    const text = lines.join('\\n') + '\\n';
    output.textContent = text;
    output.hidden = false;
    const expected = fig.querySelector('pre code').textContent;
    const same = text.trimEnd() === expected.trimEnd();
    status.textContent = same ? '✓ the same as the transcript above, computed in your browser' : '✗ differs from the transcript above';
    status.dataset.match = same ? 'yes' : 'no';
  });
}
`;

/** A 1x1 icon (an ICO holding a PNG): the smallest thing that answers /favicon.ico. */
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkaPhfDwAEgwGAbo/cLwAAAABJRU5ErkJggg==', 'base64');
export const FAVICON = Buffer.concat([
  Buffer.from([0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 32, 0]),
  Buffer.from(new Uint32Array([PNG_1X1.length, 22]).buffer),
  PNG_1X1,
]);
