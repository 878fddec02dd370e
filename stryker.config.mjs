// `npm run mutation`: Stryker mutates the modules that run without an engine and runs the
// tests that cover them (vitest.mutation.config.ts). Outside `npm test`; no Docker needed.
// scripts/mutation.mjs runs it once per module (MUTATION_MODULE), so a long run keeps what
// it finished, and sums the reports. Incremental: a later run re-tests only mutants in
// changed code or covered by changed tests.
export const MODULES = {
  report: ['tools/lib/{report,json,suggest}/**/*.ts', 'tools/lib/policy/{input,settings,slices}.ts'],
  registry: ['tools/lib/registry/**/*.ts'],
  validate: ['tools/lib/validate/**/*.ts'],
  audit: ['tools/lib/audit/**/*.ts'],
  // Code that only runs in a worker thread of the built CLI is left out.
  'ecosystem-load': ['tools/lib/ecosystem-load/**/*.ts', '!tools/lib/ecosystem-load/{parse-worker,parse-pool}.ts'],
  // Schema declarations (their descriptions are documentation) and a build script are left out.
  manifest: ['tools/lib/manifest/**/*.ts', '!tools/lib/manifest/{kinds,write-schemas}.ts'],
};

const only = process.env.MUTATION_MODULE;
if (only !== undefined && !(only in MODULES)) throw new Error(`MUTATION_MODULE=${only} is not one of ${Object.keys(MODULES).join(', ')}`);
const out = `reports/mutation/${only ?? 'all'}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  coverageAnalysis: 'perTest',
  mutate: [
    ...(only ? MODULES[only] : Object.values(MODULES).flat()),
    // Re-exports only.
    '!tools/lib/*/index.ts',
  ],
  // The CLI tests among them run dist/ (built by `npm run mutation` first); the rest is not needed.
  ignorePatterns: ['/actions/*/dist', '/coverage', '/.mnops-cache', '/reports'],
  concurrency: 2,
  // Mutants in code that runs while a module loads (constants, tables, schemas) would each
  // re-run every test: about half the mutants and 94% of the time. They are reported as
  // ignored, outside the score.
  ignoreStatic: true,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 30,
  incremental: true,
  incrementalFile: `${out}/incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${out}/index.html` },
  jsonReporter: { fileName: `${out}/mutation.json` },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
