/*
 * Budgets in work for the long proofs. Under mutation testing (MUTATION=1)
 * every mutant reruns the tests that cover it, so the property tests take a
 * quarter of their runs there; a mutant that survives a quarter is looked at
 * by hand (mutation/SURVIVORS.md). No budget is ever a time.
 */
export const UNDER_MUTATION = Boolean(process.env['MUTATION']);

/** `n` runs, or a quarter of them under mutation testing. */
export const runs = (n: number): number => (UNDER_MUTATION ? Math.ceil(n / 4) : n);
