/*
 * The book's figures, by name. Each is drawn at build time by running the
 * real code, and has a text form that a test snapshots, so a figure cannot
 * drift from the code it depicts.
 */
import type { Figure } from './figure.ts';
import { addressSplitFigure } from './address-split.ts';
import { entryLifeFigure } from './entry-life.ts';
import { guestAndShadowFigure } from './guest-and-shadow.ts';
import { M009_EXAMPLE, m009Figure } from './m009.ts';
import { oneFaultFigure } from './one-fault.ts';
import { pgdirCacheFigure } from './pgdir-cache.ts';
import { textbookFigure } from './textbook-steps.ts';

export type { Figure, FigureOutput } from './figure.ts';

// #region X-figure-registry
// unwoven: plumbing between the site and the figures.

export const FIGURES: Record<string, Figure> = {
  'address-split': { title: 'The linear address 0xbffff123, cut up by two-level and by PAE paging', render: addressSplitFigure },
  'guest-and-shadow': { title: "One process's page tables beside the Host's shadow of them", render: guestAndShadowFigure },
  'entry-life': { title: 'The life of one entry: a read, a write, a fork, a switch, a copy on write and a flush of everything', render: entryLifeFigure },
  'pgdir-cache': { title: "The Host's four shadow slots across twelve context switches", render: pgdirCacheFigure },
  'one-fault': { title: 'One page fault, step by step: the Guest\'s entry, the shadow entry and the TLB', render: oneFaultFigure },
  'shadow-or-nested': { title: 'One sequence on three Hosts, step by step: each Host\'s exits and why, the entries of its tables that changed, and every memory reference of its TLB misses', render: textbookFigure },
  'm009-highmem': { title: 'M:009 counted: hidden faults, shadow pages built and whole-shadow clears, lguest\'s kmap_atomic against the fix', example: M009_EXAMPLE, render: m009Figure },
};
// #endregion X-figure-registry
