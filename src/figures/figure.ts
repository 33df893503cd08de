/*
 * What a figure is: drawn at build time by running the real code, with a
 * text form beside the picture.
 */

// #region X-figure
// unwoven: plumbing between the site and the figures.
export interface FigureOutput {
  /** One picture: an SVG, inline in the page. */
  svg?: string;
  /** Several pictures side by side on a wide screen, one under another on a narrow one. */
  panels?: string[];
  /** A figure to step through: one SVG per step (the reader moves with Previous and Next). */
  frames?: string[];
  /** The colours the panels share, named once under them. */
  legend?: { name: string; colour: string }[];
  /** The same facts as text: the accessible alternative, and what the snapshot test keeps. */
  text: string;
}

export interface Figure {
  title: string;
  /**
   * An example whose printed output the figure is drawn from, handed to
   * `render` as `printed`: where a chapter shows an example's transcript and a
   * figure of the same runs, they run once (the build remembers the output).
   */
  example?: string;
  render(root: string, printed?: string): FigureOutput;
}
// #endregion X-figure
