/*
 * A very small SVG vocabulary for the book's figures: deterministic output
 * (same input, same bytes), colours from CSS variables so dark mode works,
 * and text that a screen reader can reach.
 */

// #region X-svg
// unwoven: drawing helpers for figures, not part of the system the book builds.
/** Text wrapped at words into lines of at most `width` characters (a figure's text has no line breaking of its own). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface Series {
  name: string;
  /** A CSS colour (a var(...) follows the page's theme). */
  colour: string;
  values: number[];
}

/**
 * Grouped bars on a log scale: one group per category, one bar per series.
 * Returns an SVG <g> placed at (x, y) of the given size.
 */
export function groupedBars(o: {
  x: number; y: number; width: number; height: number; title: string; unit: string;
  categories: string[]; series: Series[];
}): string {
  const all = o.series.flatMap((s) => s.values).filter((v) => v > 0);
  // Headroom over the tallest bar for its value.
  const top = 10 ** Math.ceil(Math.log10(Math.max(10, ...all) * 1.5));
  const plotH = o.height - 48;
  const plotW = o.width - 56;
  const ybar = (v: number) => (v <= 1 ? 0 : (Math.log10(v) / Math.log10(top)) * plotH);
  const parts: string[] = [`<g transform="translate(${o.x},${o.y})">`];
  parts.push(`<text x="0" y="12" class="fig-title">${esc(o.title)}</text>`);
  for (let d = 1; d <= top; d *= 10) {
    const yy = 20 + plotH - ybar(d);
    parts.push(`<line x1="48" x2="${48 + plotW}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}" class="fig-grid"/>`);
    parts.push(`<text x="44" y="${(yy + 4).toFixed(1)}" class="fig-axis" text-anchor="end">${d >= 1000 ? `${d / 1000}k` : d}</text>`);
  }
  const group = plotW / o.categories.length;
  const bar = (group * 0.7) / o.series.length;
  o.categories.forEach((c, i) => {
    const gx = 48 + i * group + group * 0.15;
    o.series.forEach((s, j) => {
      const v = s.values[i]!;
      const h = ybar(v);
      parts.push(`<rect x="${(gx + j * bar).toFixed(1)}" y="${(20 + plotH - h).toFixed(1)}" width="${(bar - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.colour}"><title>${esc(`${s.name}, ${c}: ${v.toLocaleString('en-US')} ${o.unit}`)}</title></rect>`);
      // The value over its bar, short (12381 → 12k): a bar of 1 on a log scale has no height to see.
      parts.push(`<text x="${(gx + j * bar + (bar - 1) / 2).toFixed(1)}" y="${(20 + plotH - h - 3).toFixed(1)}" class="fig-value" text-anchor="middle">${short(v)}</text>`);
    });
    parts.push(`<text x="${(gx + (group * 0.7) / 2).toFixed(1)}" y="${o.height - 12}" class="fig-axis" text-anchor="middle">${esc(c)}</text>`);
  });
  parts.push('</g>');
  return parts.join('');
}

/** 719 → 719, 6469 → 6.5k, 12381 → 12k. */
function short(v: number): string {
  if (v < 1000) return String(v);
  const k = v / 1000;
  return `${k < 10 ? k.toFixed(1).replace(/\.0$/, '') : Math.round(k)}k`;
}

/** Wrap groups into a whole SVG document with an accessible title. */
export function svgDocument(width: number, height: number, title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}"><title>${esc(title)}</title>${body}</svg>`;
}
// #endregion X-svg
