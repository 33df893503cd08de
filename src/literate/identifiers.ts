/**
 * Woven identifiers, linked to where the book explains them.
 *
 * A name in a region means what it means in that region's module: something
 * the module declares, or something it imports (followed through re-exports
 * to the module that declares it). Nothing is matched by bare name across
 * modules: the Guest's `FAULTED` in src/guest links to the Guest's, never to
 * a hardware constant that happens to share the name, and a property
 * (`g.trace`) or a word in a string or comment is never a link.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { identAnchor, type ApiSymbol, type Explained } from './api.ts';
import type { Book } from './book.ts';
import { esc, h3, pageOf, tableWrap } from './layout.ts';
import type { SourceTree } from './sources.ts';

/** `import { a, b as c } from './x.ts'` and `export { a } from './x.ts'` / `export * from './x.ts'`, relative ones only. */
const IMPORT = /^\s*import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
const RE_EXPORT = /^\s*export\s+(?:type\s+)?(?:\{([^}]*)\}|\*)\s*from\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

/** `a`, `type a`, `a as b` → [imported, local]. */
function specifiers(list: string): [string, string][] {
  return list.split(',').map((s) => s.trim().replace(/^type\s+/, '')).filter(Boolean).map((s) => {
    const [from, , to] = s.split(/\s+/);
    return [from!, to ?? from!];
  });
}

export interface IdentLink {
  symbol: ApiSymbol;
  href: string;
  title: string;
}

export class Identifiers {
  private readonly byFile = new Map<string, Map<string, ApiSymbol>>();
  private readonly scopes = new Map<string, Map<string, ApiSymbol>>();
  /** For the index: each symbol (file#name) and the pages whose woven code uses it. */
  readonly uses = new Map<string, Set<string>>();

  constructor(
    private readonly tree: SourceTree,
    readonly symbols: ApiSymbol[],
    private readonly explained: (file: string, line: number) => Explained | undefined,
  ) {
    for (const s of symbols) {
      if (s.kind === 'module' || s.kind === 'project') continue;
      const m = this.byFile.get(s.file) ?? new Map<string, ApiSymbol>();
      if (!m.has(s.name)) m.set(s.name, s);
      this.byFile.set(s.file, m);
    }
  }

  /** Where a symbol is explained (its region in a chapter), or its API page. */
  link(s: ApiSymbol): IdentLink {
    const where = this.explained(s.file, s.line);
    return {
      symbol: s,
      href: where ? `${where.page}#region-${where.region}` : s.url,
      title: `${s.name} (${s.kind})${where ? ` · explained in “${where.title}”, ${where.region}${where.h ? ` · ${h3(where.h)}` : ''}` : ''}`,
    };
  }

  /** What `name` exported from `file` is, following re-exports. */
  private exported(file: string, name: string, seen = new Set<string>()): ApiSymbol | undefined {
    if (seen.has(file)) return undefined;
    seen.add(file);
    const own = this.byFile.get(file)?.get(name);
    if (own) return own;
    const text = this.source(file);
    for (const m of text.matchAll(RE_EXPORT)) {
      const target = posix.normalize(posix.join(posix.dirname(file), m[2]!));
      if (m[1] === undefined) {
        const found = this.exported(target, name, seen);
        if (found) return found;
      } else {
        for (const [from, to] of specifiers(m[1])) if (to === name) return this.exported(target, from, seen);
      }
    }
    return undefined;
  }

  private readonly texts = new Map<string, string>();
  private source(file: string): string {
    let text = this.texts.get(file);
    if (text === undefined) {
      try {
        text = readFileSync(join(this.tree.root, file), 'utf8');
      } catch {
        text = '';
      }
      this.texts.set(file, text);
    }
    return text;
  }

  /** The names a module can see: its own exported declarations, and what it imports from the tree. */
  scope(file: string): Map<string, ApiSymbol> {
    let scope = this.scopes.get(file);
    if (scope) return scope;
    scope = new Map(this.byFile.get(file));
    for (const m of this.source(file).matchAll(IMPORT)) {
      const target = posix.normalize(posix.join(posix.dirname(file), m[2]!));
      for (const [from, local] of specifiers(m[1]!)) {
        const s = this.exported(target, from);
        if (s) scope.set(local, s);
      }
    }
    this.scopes.set(file, scope);
    return scope;
  }

  /**
   * Link the identifiers of highlighted code from `file`, shown on `page`.
   * Only code tokens are read (not strings or comments), and a name right
   * after a `.` is a property, not the module-level name.
   */
  linkCode(html: string, file: string, page: string): string {
    const scope = this.scope(file);
    if (!scope.size) return html;
    let last = '';
    return html.replace(/<span class="(t-[\w-]+)">([^<]*)<\/span>/g, (all, cls: string, text: string) => {
      if (cls === 't-comment' || cls === 't-string' || cls === 't-string-expression') {
        last = text.slice(-1);
        return all;
      }
      let out = '';
      for (const [piece] of text.matchAll(/&[#\w]+;|[A-Za-z_$][\w$]*|[^&A-Za-z_$]+|&/g)) {
        const s = /^[A-Za-z_$]/.test(piece) && last !== '.' ? scope.get(piece) : undefined;
        if (s) {
          const l = this.link(s);
          const key = `${s.file}#${s.name}`;
          this.uses.set(key, (this.uses.get(key) ?? new Set()).add(page));
          out += `<a class="ident" href="${esc(l.href)}" data-api="${esc(s.url)}" title="${esc(l.title)}">${piece}</a>`;
        } else out += piece;
        last = piece.slice(-1);
      }
      return `<span class="${cls}">${out}</span>`;
    });
  }

  /** The index of identifiers: each exported symbol, where it is defined and explained, and every chapter whose code uses it. */
  indexPage(book: Book): string {
    const titles = new Map(book.chapters.map((c) => [pageOf(c), c]));
    const rows = this.symbols.filter((s) => s.kind !== 'module' && s.kind !== 'project')
      .sort((a, b) => a.name.localeCompare(b.name) || a.file.localeCompare(b.file)).map((s) => {
        const e = this.explained(s.file, s.line);
        const where = e ? `<a href="${e.page}#region-${esc(e.region)}">${esc(e.title)}</a> · <code>${esc(e.region)}</code>${e.h !== undefined ? ` · ${h3(e.h)}` : ''}` : '<span class="muted">not woven</span>';
        const uses = [...(this.uses.get(`${s.file}#${s.name}`) ?? [])].sort().map((p) => titles.get(p)).filter((c) => c)
          .map((c) => `<a href="${pageOf(c!)}">${esc(c!.title)}</a>`).join(', ');
        return `<tr id="${identAnchor(s)}"><td><a href="${esc(s.url)}"><code>${esc(s.name)}</code></a></td><td>${esc(s.kind)}</td><td><a href="source/${esc(s.file)}.html#L${s.line}">${esc(s.file)}:${s.line}</a></td><td>${where}</td><td>${uses}</td></tr>`;
      }).join('\n');
    const table = `<table class="identifiers"><thead><tr><th scope="col">name</th><th scope="col">kind</th><th scope="col">defined at</th><th scope="col">explained in</th><th scope="col">woven in</th></tr></thead><tbody>${rows}</tbody></table>`;
    return `<h1>Index of identifiers</h1><p>Every exported name in the API reference, like the index at the back of a Knuth book: where it is defined, the chapter that explains it, and every chapter whose code uses it. A name means what its module says it means: two modules' <code>FAULTED</code> are two entries.</p>
${tableWrap(table, 'Index of identifiers')}`;
  }
}
