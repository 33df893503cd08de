/*
 * Does the handout give an answer away? A solution line may stand in the
 * student's tree word for word, or nearly so: the same computation with the
 * variables renamed, the parentheses moved, a `>>> 0` dropped. Lines are
 * compared as canonical tokens: numbers by value, local names as one
 * placeholder, constants and property names as they are, parentheses and
 * `>>> 0` gone. A solution line of six or more such tokens found inside a
 * line of the handout is a leak, unless the exercise's own stub gives it: a
 * whole-function stub may hand the student a line (where an entry sits, an
 * early return for an empty entry) that is no part of what is graded.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ExerciseBlock } from '../markers/markers.ts';

// #region X-leaks
// unwoven: course tooling; the handout generator's last proof.
const TOKEN = /0x[\da-fA-F_]+|\+\+|--|\d[\d_]*(?:\.\d+)?|[A-Za-z_$][\w$]*|>>>=?|>>=?|<<=?|===|!==|==|!=|<=|>=|&&|\|\||\?\?|=>|[-+*/%&|^!~?:<>=,.[\]()]/g;
const KEYWORDS = new Set(['if', 'else', 'return', 'const', 'let', 'var', 'for', 'of', 'in', 'true', 'false', 'null', 'undefined', 'new', 'typeof', 'while', 'break', 'continue', 'this']);
const MIN_TOKENS = 6;

/** A line as canonical tokens (see above), joined by spaces. */
export function canonical(line: string): string {
  const raw = line.replace(/\/\/.*$/, '').match(TOKEN) ?? [];
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!;
    if (t === '>>>' && raw[i + 1] === '0') {
      i++;
      continue;
    }
    // Parentheses go; so does TypeScript's non-null `!` (after a name, a `]` or a `)`), which says nothing.
    if (t === '(' || t === ')') continue;
    if (t === '!' && i > 0 && /^([\w$]+|\]|\))$/.test(raw[i - 1]!) && !KEYWORDS.has(raw[i - 1]!)) continue;
    if (/^0x/i.test(t)) out.push(String(parseInt(t.replace(/_/g, ''), 16)));
    else if (/^\d/.test(t)) out.push(String(Number(t.replace(/_/g, ''))));
    // A name is kept when it means something beyond this line: a keyword, a constant, a property, a function called.
    else if (/^[A-Za-z_$]/.test(t)) out.push(KEYWORDS.has(t) || /^[A-Z][A-Z0-9_]*$/.test(t) || raw[i - 1] === '.' || raw[i + 1] === '(' ? t : 'v');
    else out.push(t);
  }
  return out.join(' ');
}

export interface Fingerprint {
  id: string;
  /** The solution line as written. */
  text: string;
  tokens: string;
}

/** Tokens that say something: operators (not `=`, `++` or `--`), numbers, constants; not names, keywords or punctuation. */
const strong = (tokens: string[]) => tokens.filter((t) => !/^(v|[,.[\]]|=|\+\+|--)$/.test(t) && !/^[a-z]/.test(t)).length;
/** The names of this domain a line uses: constants, properties, functions (`length` is everyone's). */
const names = (tokens: string[]) => tokens.filter((t) => /^[A-Z][A-Z0-9_]*$/.test(t) || (/^[a-z_$]/.test(t) && t !== 'v' && t !== 'length' && !KEYWORDS.has(t))).length;
/** Worth looking for: six tokens or more, naming something of the domain, with three telling ones (two, among two names). */
const telling = (t: string[]) => t.length >= MIN_TOKENS && (names(t) > 0 || t.some((x) => /^\d/.test(x) && x !== '0' && x !== '1')) && (strong(t) >= 3 || (strong(t) >= 2 && names(t) >= 2));

/**
 * The solution lines worth looking for, as the part that computes: what is
 * assigned or returned (a different name on the left hides nothing). A
 * fingerprint has six tokens or more, three of them telling, and names
 * something of the domain (a constant, a number, a property, a function):
 * `const last = i === levels.length - 1` or `if (!a && !b)` is how code is
 * written, not an answer, and neither is a bare loop header.
 */
export function fingerprints(blocks: ExerciseBlock[]): Fingerprint[] {
  const prints: Fingerprint[] = [];
  for (const b of blocks) {
    // What the stub itself hands the student (the address of an entry, say) is no secret.
    const given = b.stub.map((l) => ` ${canonical(l)} `);
    for (const text of b.solution) {
      const all = canonical(text).split(' ').filter(Boolean);
      let core = all;
      const eq = all.indexOf('=');
      if (eq > 0 && all.slice(0, eq).every((t) => /^(const|let|var|v|\.)$/.test(t) || (/^[a-zA-Z_$][\w$]*$/.test(t) && !KEYWORDS.has(t)))) core = all.slice(eq + 1);
      else if (all[0] === 'return') core = all.slice(1);
      const pick = [core, all].find(telling);
      if (!pick || /^for\b.*\{$/.test(text.trim()) || given.some((g) => g.includes(` ${pick.join(' ')} `))) continue;
      prints.push({ id: b.id, text: text.trim(), tokens: pick.join(' ') });
    }
  }
  return prints;
}

export interface Leak {
  file: string;
  line: number;
  id: string;
  solution: string;
  found: string;
}

/** Every line of these texts holding a fingerprint. */
export function findLeaksIn(texts: Iterable<{ file: string; text: string }>, prints: Fingerprint[]): Leak[] {
  const leaks: Leak[] = [];
  for (const { file, text } of texts) {
    text.split('\n').forEach((l, i) => {
      const c = ` ${canonical(l)} `;
      for (const f of prints) if (c.includes(` ${f.tokens} `)) leaks.push({ file, line: i + 1, id: f.id, solution: f.text, found: l.trim() });
    });
  }
  return leaks;
}

/** The text files under `dir` (HTML read as text: tags dropped, entities decoded), relative to it. */
export function* textFiles(dir: string, sub = ''): Generator<{ file: string; text: string }> {
  for (const name of readdirSync(join(dir, sub)).sort()) {
    const rel = sub ? `${sub}/${name}` : name;
    if (name === 'node_modules' || name === '.git') continue;
    if (statSync(join(dir, rel)).isDirectory()) yield* textFiles(dir, rel);
    else if (/\.(ts|md|html|json|js|mjs|txt|map|yaml|css)$/.test(name)) {
      let text = readFileSync(join(dir, rel), 'utf8');
      if (name.endsWith('.html')) text = text.replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
      yield { file: rel, text };
    }
  }
}

/** Every line under `dir` holding a fingerprint. */
export function findLeaks(dir: string, prints: Fingerprint[]): Leak[] {
  return findLeaksIn(textFiles(dir), prints);
}
// #endregion X-leaks
