/*
 * The page's search box: loads the index the build wrote (search-index.json,
 * beside site.js) and lists matching sections as you type.
 */
import MiniSearch from 'minisearch';
import { SEARCH_OPTIONS } from '../search.ts';

const input = document.getElementById('search') as HTMLInputElement | null;
const results = document.getElementById('search-results') as HTMLOListElement | null;
const script = document.currentScript as HTMLScriptElement | null;
const base = script ? new URL('.', script.src).href : './';
let index: MiniSearch | null = null;

async function load(): Promise<MiniSearch> {
  if (!index) index = MiniSearch.loadJSON(await (await fetch(`${base}search-index.json`)).text(), SEARCH_OPTIONS);
  return index;
}

input?.addEventListener('input', async () => {
  const query = input.value.trim();
  results!.replaceChildren();
  if (query.length < 2) return;
  const hits = (await load()).search(query, { prefix: true, fuzzy: 0.2 }).slice(0, 12);
  for (const hit of hits) {
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = base + String(hit['url']);
    a.textContent = String(hit['title']);
    const where = document.createElement('span');
    where.className = 'search-where';
    where.textContent = ` · ${String(hit['chapter'])}`;
    li.append(a, where);
    results!.append(li);
  }
  if (!hits.length) {
    const li = document.createElement('li');
    li.textContent = 'nothing found';
    results!.append(li);
  }
});
