/*
 * The project's architecture, checked by test/architecture.test.ts (and by
 * `npx depcruise src` for a human). Folders say who owns what, and imports run
 * one way only:
 *
 *   hw  <-  host  <-  guest  <-  workload  <-  figures  <-  literate
 *                                                       <-  course
 *   tools (page-table builders, the vector runner) know only hw;
 *   markers (the exercise markers the book and the course share) know nothing;
 *   files (writing a cache file whole, for the book's tooling and the course) knows nothing.
 *
 * The book's tooling and the course sit side by side: neither imports the other.
 */
const layer = (name, mayImport) => ({
  name: `${name}-imports-only-below`,
  comment: `src/${name} may import only ${mayImport.length ? mayImport.map((m) => `src/${m}`).join(', ') : 'itself'} (and node_modules)`,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: '^src/', pathNot: [`^src/${name}/`, ...mayImport.map((m) => `^src/${m}/`)] },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle: each file of it waits for the other to load, and none can be read alone.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    layer('hw', []),
    layer('markers', []),
    layer('files', []),
    layer('tools', ['hw']),
    layer('host', ['hw']),
    layer('guest', ['hw', 'host']),
    layer('workload', ['hw', 'host', 'guest']),
    layer('figures', ['hw', 'host', 'guest', 'workload', 'tools']),
    layer('literate', ['hw', 'host', 'guest', 'workload', 'figures', 'tools', 'markers', 'files']),
    layer('course', ['hw', 'host', 'guest', 'workload', 'figures', 'tools', 'markers', 'files']),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
  },
};
