/// <reference lib="dom.iterable" />
/*
 * The page's behaviour: dark mode, the chapter drawer, "On this page"
 * following the reader, copy buttons, woven identifiers' pop-ups, stepping
 * figures, and examples run in the page. Bundled with the search box into
 * site.js; everything works from the HTML alone, this only adds to it.
 */
import { setUpSearch } from './search.ts';

const html = document.documentElement;
const print = document.body.classList.contains('print');

// Dark mode: the choice is kept for the next page (the head's inline script applies it early).
const themeButton = document.getElementById('theme-toggle');
const showTheme = () => themeButton?.setAttribute('aria-pressed', String(html.classList.contains('dark')));
showTheme();
themeButton?.addEventListener('click', () => {
  const dark = html.classList.toggle('dark');
  localStorage.setItem('theme', dark ? 'dark' : 'light');
  // The API pages are typedoc's, which keeps its own setting.
  localStorage.setItem('tsd-theme', dark ? 'dark' : 'light');
  if (html.dataset['theme']) html.dataset['theme'] = dark ? 'dark' : 'light';
  showTheme();
});

// The drawer: below the desktop width, the chapter list and "On this page" slide in from the menu button.
const menu = document.getElementById('menu-button');
const drawer = document.getElementById('drawer');
const scrim = document.querySelector<HTMLElement>('.scrim');
function setDrawer(open: boolean, focusBack = true): void {
  document.body.classList.toggle('drawer-open', open);
  menu?.setAttribute('aria-expanded', String(open));
  if (open) drawer?.querySelector<HTMLElement>('li.current > a, a')?.focus();
  else if (focusBack && drawer?.contains(document.activeElement)) menu?.focus();
}
menu?.addEventListener('click', () => setDrawer(!document.body.classList.contains('drawer-open')));
document.getElementById('drawer-close')?.addEventListener('click', () => setDrawer(false));
scrim?.addEventListener('click', () => setDrawer(false));
drawer?.addEventListener('click', (e) => {
  if ((e.target as Element).closest('a') && document.body.classList.contains('drawer-open')) setDrawer(false, false);
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && document.body.classList.contains('drawer-open')) setDrawer(false);
});
// Back at the desktop width the drawer is a column again: nothing is left open.
matchMedia('(min-width: 75rem)').addEventListener('change', (m) => { if (m.matches) setDrawer(false, false); });

// "On this page": the section being read is marked, in the column and in the drawer's copy.
const tocLinks = [...document.querySelectorAll<HTMLAnchorElement>('.toc a, .toc-copy a')];
if (tocLinks.length) {
  const headings = [...new Set(tocLinks.map((a) => decodeURIComponent(a.hash.slice(1))))]
    .map((id) => document.getElementById(id)).filter((h): h is HTMLElement => h !== null);
  let queued = false;
  const mark = () => {
    queued = false;
    const line = (parseFloat(getComputedStyle(html).getPropertyValue('--header')) || 3.25) * 16 + innerHeight * 0.2;
    let current = headings[0];
    for (const h of headings) if (h.getBoundingClientRect().top <= line) current = h;
    // At the very bottom the last sections may never reach the line: the last one is being read.
    if (innerHeight + scrollY >= document.documentElement.scrollHeight - 2) current = headings.at(-1);
    for (const a of tocLinks) {
      if (current && a.hash === `#${current.id}`) a.setAttribute('aria-current', 'location');
      else a.removeAttribute('aria-current');
    }
  };
  addEventListener('scroll', () => { if (!queued) { queued = true; requestAnimationFrame(mark); } }, { passive: true });
  addEventListener('resize', mark);
  mark();
}

// Copy buttons on code.
if (!print) {
  for (const pre of document.querySelectorAll<HTMLElement>('main pre')) {
    if (pre.classList.contains('run-output')) continue;
    const button = document.createElement('button');
    button.className = 'copy';
    button.type = 'button';
    button.textContent = 'copy';
    button.setAttribute('aria-label', 'Copy this code');
    button.addEventListener('click', async () => {
      const code = pre.querySelector('code') ?? pre;
      try {
        await navigator.clipboard.writeText(code.innerText);
        button.textContent = 'copied';
      } catch {
        button.textContent = 'select + copy';
      }
    });
    pre.appendChild(button);
  }
}

// Woven identifiers: the link goes to the chapter that explains one; hovering or focusing it
// offers its API page too.
const pop = document.createElement('div');
pop.className = 'ident-pop';
pop.hidden = true;
document.body.append(pop);
let hideTimer = 0;
const hide = () => { hideTimer = window.setTimeout(() => { pop.hidden = true; }, 300); };
pop.addEventListener('mouseenter', () => clearTimeout(hideTimer));
pop.addEventListener('mouseleave', hide);
pop.addEventListener('focusout', hide);
pop.addEventListener('focusin', () => clearTimeout(hideTimer));
for (const a of document.querySelectorAll<HTMLAnchorElement>('a.ident')) {
  const show = () => {
    clearTimeout(hideTimer);
    pop.replaceChildren();
    const explained = document.createElement('a');
    explained.href = a.href;
    explained.textContent = a.title.replace(/^[^·]*· /, '') || 'where it is explained';
    const api = document.createElement('a');
    api.href = new URL(a.dataset['api'] ?? '', document.baseURI).href;
    api.textContent = `API reference for ${a.textContent ?? ''}`;
    pop.append(explained, api);
    const r = a.getBoundingClientRect();
    pop.style.left = `${Math.max(4, Math.min(r.left, innerWidth - 320)) + scrollX}px`;
    pop.style.top = `${r.bottom + scrollY + 4}px`;
    pop.hidden = false;
  };
  a.addEventListener('mouseenter', show);
  a.addEventListener('focus', show);
  a.addEventListener('mouseleave', hide);
  a.addEventListener('blur', hide);
}
document.addEventListener('keydown', (e) => { if (e.key === 'Escape') pop.hidden = true; });

// Stepping figures: Previous and Next move through the frames (the print view shows them all).
if (!print) {
  for (const stepper of document.querySelectorAll<HTMLElement>('.stepper')) {
    const steps = [...stepper.querySelectorAll<HTMLElement>('.step')];
    let at = 0;
    const nav = document.createElement('div');
    nav.className = 'step-nav';
    const prev = document.createElement('button');
    const next = document.createElement('button');
    const where = document.createElement('span');
    where.setAttribute('aria-live', 'polite');
    prev.type = next.type = 'button';
    prev.className = next.className = 'text-button';
    prev.textContent = '← Previous';
    next.textContent = 'Next →';
    const show = (n: number) => {
      at = Math.max(0, Math.min(steps.length - 1, n));
      steps.forEach((s, i) => { s.hidden = i !== at; });
      where.textContent = `step ${at + 1} of ${steps.length}`;
      prev.disabled = at === 0;
      next.disabled = at === steps.length - 1;
    };
    prev.addEventListener('click', () => show(at - 1));
    next.addEventListener('click', () => show(at + 1));
    nav.append(prev, where, next);
    stepper.after(nav);
    show(0);
  }
}

// Printing any page: every step of a stepping figure and every folded table, then back as it was.
let reopened: HTMLDetailsElement[] = [];
addEventListener('beforeprint', () => {
  reopened = [...document.querySelectorAll<HTMLDetailsElement>('details:not([open])')];
  for (const d of reopened) d.open = true;
});
addEventListener('afterprint', () => { for (const d of reopened) d.open = false; });

// Examples that run in the page: import the bundle with console captured, show what it prints.
declare global {
  // eslint-disable-next-line no-var
  var __lgjConsole: Record<string, (...args: unknown[]) => void> | undefined;
}
if (!print) {
  for (const fig of document.querySelectorAll<HTMLElement>('figure.transcript[data-run]')) {
    const button = document.createElement('button');
    button.className = 'run text-button';
    button.type = 'button';
    button.textContent = '▶ Run in the page';
    const output = document.createElement('pre');
    output.className = 'run-output';
    output.tabIndex = 0;
    output.hidden = true;
    const status = document.createElement('p');
    status.className = 'run-status';
    status.setAttribute('aria-live', 'polite');
    fig.querySelector('figcaption')?.appendChild(button);
    fig.append(output, status);
    button.addEventListener('click', async () => {
      const lines: string[] = [];
      const say = (...args: unknown[]) => { lines.push(args.map(String).join(' ')); };
      globalThis.__lgjConsole = { log: say, error: say, warn: say, info: say };
      button.disabled = true;
      status.textContent = 'running…';
      try {
        await import(`${new URL(fig.dataset['run'] ?? '', location.href).href}?run=${Date.now()}`);
      } catch (e) {
        lines.push(String(e));
      }
      button.disabled = false;
      const text = `${lines.join('\n')}\n`;
      output.textContent = text;
      output.hidden = false;
      const expected = fig.querySelector('pre code')?.textContent ?? '';
      const same = text.trimEnd() === expected.trimEnd();
      status.textContent = same ? '✓ the same as the transcript above, computed in your browser' : '✗ differs from the transcript above';
      status.dataset['match'] = same ? 'yes' : 'no';
    });
  }
}

setUpSearch();
