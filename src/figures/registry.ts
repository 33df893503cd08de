/*
 * The book's figures, by name. Each is drawn at build time by running the
 * real code, and has a text form that a test snapshots, so a figure cannot
 * drift from the code it depicts.
 */
import { m009Figure } from './m009.ts';

// #region X-figure-registry
// unwoven: plumbing between the site and the figures.
export interface FigureOutput {
  /** The SVG, inline in the page. */
  svg: string;
  /** The same facts as text: the accessible alternative, and what the snapshot test keeps. */
  text: string;
}

export interface Figure {
  title: string;
  render(root: string): FigureOutput;
}

export const FIGURES: Record<string, Figure> = {
  'm009-highmem': { title: 'M:009: hidden faults and replay time, lguest mode against the fix', render: m009Figure },
};
// #endregion X-figure-registry
