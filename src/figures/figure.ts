/*
 * What a figure is: drawn at build time by running the real code, with a
 * text form beside the picture.
 */

// #region X-figure
// unwoven: plumbing between the site and the figures.
export interface FigureOutput {
  /** The SVG, inline in the page. */
  svg: string;
  /** The same facts as text: the accessible alternative, and what the snapshot test keeps. */
  text: string;
  /** A figure to step through: one SVG per step (the reader moves with Previous and Next). */
  frames?: string[];
}

export interface Figure {
  title: string;
  render(root: string): FigureOutput;
}
// #endregion X-figure
