/**
 * The site's colours, light and dark, in one place: site.css is written from
 * them, and a test checks every text colour against every background it is
 * drawn on (WCAG 2's contrast ratio, 4.5:1 for body text). The code colours
 * start from GitHub's, darkened or lightened where they fell short.
 */

export interface Palette {
  fg: string;
  bg: string;
  muted: string;
  line: string;
  accent: string;
  'code-bg': string;
  claim: string;
  beyond: string;
  hl: string;
  mark: string;
  'fig-a': string;
  'fig-b': string;
  ok: string;
  warn: string;
  bad: string;
  // Code tokens (highlight.ts names them).
  't-fg': string;
  't-keyword': string;
  't-function': string;
  't-constant': string;
  't-string': string;
  't-comment': string;
  't-parameter': string;
  't-punct': string;
  't-link': string;
}

export const PALETTES: { light: Palette; dark: Palette } = {
  light: {
    fg: '#1f2328', bg: '#ffffff', muted: '#59636e', line: '#d1d9e0', accent: '#0969da', 'code-bg': '#f6f8fa',
    claim: '#dafbe1', beyond: '#fbefff', hl: '#fff8c5', mark: '#fff1a8', 'fig-a': '#cf222e', 'fig-b': '#1a7f37',
    ok: '#1a7f37', warn: '#8a5c00', bad: '#cf222e',
    't-fg': '#1f2328', 't-keyword': '#cf222e', 't-function': '#6639ba', 't-constant': '#0550ae', 't-string': '#0a3069',
    't-comment': '#57606a', 't-parameter': '#8a4600', 't-punct': '#1f2328', 't-link': '#0969da',
  },
  dark: {
    fg: '#e6edf3', bg: '#0d1117', muted: '#9198a1', line: '#3d444d', accent: '#4493f8', 'code-bg': '#161b22',
    claim: '#12261e', beyond: '#271a3b', hl: '#3b3416', mark: '#5c4a00', 'fig-a': '#ff7b72', 'fig-b': '#3fb950',
    ok: '#3fb950', warn: '#d29922', bad: '#ff7b72',
    't-fg': '#e6edf3', 't-keyword': '#ff7b72', 't-function': '#d2a8ff', 't-constant': '#79c0ff', 't-string': '#a5d6ff',
    't-comment': '#a2abb5', 't-parameter': '#ffa657', 't-punct': '#e6edf3', 't-link': '#58a6ff',
  },
};

/** Text colours and the backgrounds each is drawn on, for the contrast check. */
export const TEXT_ON: [keyof Palette, (keyof Palette)[]][] = [
  ['fg', ['bg', 'code-bg', 'claim', 'beyond', 'hl', 'mark']],
  ['muted', ['bg', 'code-bg', 'claim', 'beyond']],
  ['accent', ['bg', 'code-bg', 'claim', 'beyond']],
  ['ok', ['bg']], ['warn', ['bg']], ['bad', ['bg']],
  ...(['t-fg', 't-keyword', 't-function', 't-constant', 't-string', 't-comment', 't-parameter', 't-punct', 't-link'] as const)
    .map((t): [keyof Palette, (keyof Palette)[]] => [t, ['code-bg', 'hl']]),
];

/** The CSS custom properties of a palette. */
export function cssVariables(p: Palette): string {
  return Object.entries(p).map(([k, v]) => `--${k}: ${v};`).join(' ');
}

/** WCAG 2 contrast ratio of two #rrggbb colours. */
export function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
  return (x! + 0.05) / (y! + 0.05);
}
