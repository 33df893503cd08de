/// <reference lib="dom.iterable" />
/*
 * The search box: `/` or Ctrl+K (⌘K) to reach it, results as you type, ↑ ↓ to
 * move, Enter to go, Esc or a click elsewhere to close. Each result shows the
 * section, its chapter, and a snippet of its text with the matched words
 * marked. The index (search-index.json, beside site.js) is fetched the first
 * time the box is used.
 */
import MiniSearch, { type SearchResult } from 'minisearch';
import { SEARCH_OPTIONS } from '../search-options.ts';

const script = document.currentScript as HTMLScriptElement | null;
const base = script ? new URL('.', script.src).href : new URL('.', location.href).href;
let index: Promise<MiniSearch> | null = null;

function load(): Promise<MiniSearch> {
  index ??= fetch(`${base}search-index.json`).then((r) => r.text()).then((json) => MiniSearch.loadJSON(json, SEARCH_OPTIONS));
  return index;
}

/** A pattern for one matched term, loose about `_` so that `guest_set_pte` also marks `guestSetPte`. */
function termPattern(term: string): string {
  return term.split('_').filter(Boolean).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('_?');
}

/**
 * Up to ~170 characters of `text` around the first place a query word is
 * found (or else any matched word), with every matched word marked.
 */
export function snippet(text: string, queryTerms: string[], terms: string[]): DocumentFragment {
  const frag = document.createDocumentFragment();
  const pattern = (ts: string[]) => {
    const ps = [...new Set(ts)].sort((a, b) => b.length - a.length).map(termPattern).filter(Boolean);
    return ps.length ? new RegExp(`(?<![\\w$])(?:${ps.join('|')})`, 'gi') : null;
  };
  const any = pattern([...queryTerms, ...terms]);
  const asked = pattern(queryTerms);
  let first = asked ? text.search(asked) : -1;
  if (first < 0 && any) first = text.search(any);
  const from = Math.max(0, first < 0 ? 0 : first - 60);
  let cut = text.slice(from, from + 170).replace(/\s+/g, ' ');
  if (from > 0) cut = `…${cut.replace(/^\S*\s/, '')}`;
  if (from + 170 < text.length) cut = `${cut.replace(/\s\S*$/, '')}…`;
  let at = 0;
  for (const m of any ? cut.matchAll(any) : []) {
    frag.append(cut.slice(at, m.index));
    const mark = document.createElement('mark');
    mark.textContent = m[0];
    frag.append(mark);
    at = m.index + m[0].length;
  }
  frag.append(cut.slice(at));
  return frag;
}

/** Whether the keyboard is busy typing somewhere else. */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || (el.tagName === 'INPUT' && !['button', 'checkbox', 'radio', 'submit'].includes((el as HTMLInputElement).type)));
}

export function setUpSearch(): void {
  const input = document.getElementById('search') as HTMLInputElement | null;
  const list = document.getElementById('search-results') as HTMLOListElement | null;
  const status = document.getElementById('search-status');
  if (!input || !list) return;
  const box = input.closest('.search') ?? input;
  let hits: SearchResult[] = [];
  let active = -1;
  let asked = 0;

  const open = (yes: boolean) => {
    list.hidden = !yes;
    input.setAttribute('aria-expanded', String(yes));
    if (!yes) setActive(-1);
  };
  const options = () => [...list.querySelectorAll<HTMLLIElement>('li[role="option"]')];
  function setActive(i: number): void {
    const all = options();
    active = all.length ? (i + all.length) % all.length : -1;
    if (i < 0) active = -1;
    all.forEach((li, n) => li.setAttribute('aria-selected', String(n === active)));
    if (active >= 0) {
      input!.setAttribute('aria-activedescendant', all[active]!.id);
      all[active]!.scrollIntoView({ block: 'nearest' });
    } else input!.removeAttribute('aria-activedescendant');
  }

  async function run(): Promise<void> {
    const query = input!.value.trim();
    const ask = ++asked;
    if (query.length < 2) {
      list!.replaceChildren();
      open(false);
      return;
    }
    const ms = await load();
    if (ask !== asked) return; // a newer query is on its way
    hits = ms.search(query);
    if (!hits.length) hits = ms.search(query, { combineWith: 'OR' });
    hits = hits.slice(0, 10);
    list!.replaceChildren();
    hits.forEach((hit, i) => {
      const li = document.createElement('li');
      li.id = `search-hit-${i}`;
      li.setAttribute('role', 'option');
      const a = document.createElement('a');
      a.href = base + String(hit['url']);
      a.tabIndex = -1;
      const title = document.createElement('span');
      title.className = 'hit-title';
      title.textContent = String(hit['title']);
      const where = document.createElement('span');
      where.className = 'hit-where';
      where.textContent = hit['title'] === hit['chapter'] ? ' · chapter' : ` · ${String(hit['chapter'])}`;
      const text = document.createElement('span');
      text.className = 'hit-snippet';
      text.append(snippet(String(hit['text'] ?? ''), hit.queryTerms, hit.terms));
      a.append(title, where, text);
      li.append(a);
      list!.append(li);
    });
    if (!hits.length) {
      const li = document.createElement('li');
      li.className = 'search-empty';
      li.textContent = 'nothing found';
      list!.append(li);
    }
    if (status) status.textContent = hits.length ? `${hits.length} result${hits.length > 1 ? 's' : ''}` : 'nothing found';
    open(true);
    setActive(hits.length ? 0 : -1);
  }

  input.addEventListener('input', () => { void run(); });
  input.addEventListener('focus', () => {
    void load();
    if (list.children.length && input.value.trim().length >= 2) open(true);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (list.hidden && list.children.length) open(true);
      setActive(active + (e.key === 'ArrowDown' ? 1 : -1));
    } else if (e.key === 'Enter') {
      const li = options()[Math.max(0, active)];
      const a = li?.querySelector('a');
      if (a) {
        e.preventDefault();
        open(false);
        location.href = a.href;
      }
    } else if (e.key === 'Escape') {
      e.preventDefault();
      if (!list.hidden) open(false);
      else {
        input.value = '';
        input.blur();
      }
    }
  });
  list.addEventListener('mousemove', (e) => {
    const li = (e.target as Element).closest('li[role="option"]');
    if (li) setActive(options().indexOf(li as HTMLLIElement));
  });
  // A click anywhere else closes the results.
  document.addEventListener('pointerdown', (e) => {
    if (!box.contains(e.target as Node)) open(false);
  });
  document.addEventListener('focusin', (e) => {
    if (!box.contains(e.target as Node)) open(false);
  });
  // `/` and Ctrl+K (⌘K on a Mac) go to the search box from anywhere.
  document.addEventListener('keydown', (e) => {
    const k = e.key.toLowerCase();
    if ((k === 'k' && (e.ctrlKey || e.metaKey) && !e.altKey) || (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target))) {
      e.preventDefault();
      if (document.body.classList.contains('drawer-open')) document.getElementById('menu-button')?.click();
      input.focus();
      input.select();
    }
  });
}
