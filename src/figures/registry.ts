/*
 * The book's figures, by name. Each is drawn at build time by running the
 * real code, and has a text form that a test snapshots, so a figure cannot
 * drift from the code it depicts.
 */
import { m009Figure } from './m009.ts';
import { oneFaultFigure } from './one-fault.ts';

// #region X-figure-registry
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

export const FIGURES: Record<string, Figure> = {
  'one-fault': { title: 'One page fault, step by step: the Guest\'s entry, the shadow entry and the TLB', render: oneFaultFigure },
  'm009-highmem': { title: 'M:009: hidden faults and replay time, lguest mode against the fix', render: m009Figure },
};
// #endregion X-figure-registry
