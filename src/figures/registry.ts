/*
 * The book's figures, by name. Each is drawn at build time by running the
 * real code, and has a text form that a test snapshots, so a figure cannot
 * drift from the code it depicts.
 */
import type { Figure } from './figure.ts';
import { m009Figure } from './m009.ts';
import { oneFaultFigure } from './one-fault.ts';

export type { Figure, FigureOutput } from './figure.ts';

// #region X-figure-registry
// unwoven: plumbing between the site and the figures.

export const FIGURES: Record<string, Figure> = {
  'one-fault': { title: 'One page fault, step by step: the Guest\'s entry, the shadow entry and the TLB', render: oneFaultFigure },
  'm009-highmem': { title: 'M:009: hidden faults and replay time, lguest mode against the fix', render: m009Figure },
};
// #endregion X-figure-registry
