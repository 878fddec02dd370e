// `npm run mutation`: Stryker mutates the modules that run without an engine and runs the
// tests that cover them (vitest.mutation.config.ts). Outside `npm test`; no Docker needed.
// Incremental: a later run re-tests only mutants in changed code or covered by changed tests.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'tools/lib/{manifest,registry,report,audit}/**/*.ts',
    'tools/lib/policy/{input,settings,slices}.ts',
    'tools/lib/{validate,ecosystem-load,json,suggest}/**/*.ts',
    // Re-exports, schema declarations (their descriptions are documentation), a build
    // script, and code that only runs in a worker thread of the built CLI.
    '!tools/lib/*/index.ts',
    '!tools/lib/manifest/{kinds,write-schemas}.ts',
    '!tools/lib/ecosystem-load/{parse-worker,parse-pool}.ts',
  ],
  // The CLI tests among them run dist/ (built by `npm run mutation` first); the rest is not needed.
  ignorePatterns: ['/actions/*/dist', '/coverage', '/.mnops-cache'],
  concurrency: 2,
  // Mutants in code that runs while a module loads (constants, tables, schemas) would each
  // re-run every test: about half the mutants and 94% of the time. They are reported as
  // ignored, outside the score.
  ignoreStatic: true,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 30,
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
