/*
 * The site's colours: every text colour against every background it is drawn
 * on, in both themes, at WCAG 2's 4.5:1 for body text. axe-core checks the
 * pages as drawn; this checks the palette whole, including code colours on a
 * highlighted line, which no page may happen to show.
 */
import { describe, expect, test } from 'vitest';
import { contrast, PALETTES, TEXT_ON } from '../../src/literate/palette.ts';
import { PAGE_CSS } from '../../src/literate/site-assets.ts';

describe('the palette', () => {
  for (const [theme, p] of Object.entries(PALETTES)) {
    test(`every text colour of the ${theme} theme is readable on its backgrounds`, () => {
      const low: string[] = [];
      for (const [text, backgrounds] of TEXT_ON) {
        for (const bg of backgrounds) {
          const ratio = contrast(p[text], p[bg]);
          if (ratio < 4.5) low.push(`${text} ${p[text]} on ${bg} ${p[bg]}: ${ratio.toFixed(2)}:1`);
        }
      }
      expect(low).toEqual([]);
    });
  }

  test('the contrast ratio is WCAG\'s', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
    expect(contrast('#ffffff', '#ffffff')).toBe(1);
  });

  test('every colour a code token uses is set in both themes', () => {
    for (const cls of ['keyword', 'function', 'constant', 'string', 'comment', 'parameter', 'punctuation', 'link']) expect(PAGE_CSS).toMatch(new RegExp(`\\.t-${cls}[ ,]`));
    for (const p of Object.values(PALETTES)) for (const v of Object.values(p)) expect(PAGE_CSS).toContain(v);
  });
});
