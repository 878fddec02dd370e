// The tests `npm run mutation` runs against each mutant: those that import the mutated
// modules (manifest, registry, report, audit, policy input, loading and validate) and need no engine.
// Tests that only drive the built CLI cannot see a mutant in the sources, so they are left out.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

const TESTS = [
  'test/manifest/*.test.ts',
  'test/registry/{graph,graph-view,impact,references,git}.test.ts',
  'test/report/*.test.ts',
  'test/{json,suggest,ecosystem-load}/*.test.ts',
  'test/policy/{input,settings,partition}.test.ts',
  // Real git, no engine. The push-race suite (test/audit/concurrency) is left out: over a
  // minute per run, it would multiply the time of every mutant it covers.
  'test/audit/{verify,verify-remote,signing,identity,lease,checks,record}.test.ts',
  // The property tests that compare two ways of reaching the same findings (sliced against
  // whole, PR-scoped against full, snapshot against cold) are left out: both sides run the
  // mutated code, so they rarely tell a mutant apart, and each takes 15–20 s per mutant.
  'test/validate/{cache,paths,pr-mode,pr-renames,stat-table,scope-and-cascade,incremental,snapshot-store}.test.ts',
];

/** MUTATION_TESTS (globs separated by spaces) narrows the tests, for a run over one module. */
const narrowed = process.env.MUTATION_TESTS?.split(/\s+/).filter(Boolean);

// Replaces the suite's include (mergeConfig would append to it, running every test).
// Stryker runs the tests in threads and switches mutants at run time (static mutants are
// ignored), so a test file need not reload every module for each mutant.
export default defineConfig({ ...base, test: { ...base.test, include: narrowed ?? TESTS, isolate: false } });
