// The tests `npm run mutation` runs against each mutant: those that import the mutated
// modules (manifest, registry, report, audit, policy input, loading and validate) and need no engine.
// Tests that only drive the built CLI cannot see a mutant in the sources, so they are left out.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

const TESTS = [
  'test/manifest/*.test.ts',
  'test/registry/{graph,impact,references,git}.test.ts',
  'test/report/*.test.ts',
  // Real git, no engine. The push-race suite (test/audit/concurrency) is left out: over a
  // minute per run, it would multiply the time of every mutant it covers.
  'test/audit/{verify,verify-remote,signing}.test.ts',
  'test/validate/*.test.ts',
  'test/policy/slices.test.ts',
];

/** MUTATION_TESTS (globs separated by spaces) narrows the tests, for a run over one module. */
const narrowed = process.env.MUTATION_TESTS?.split(/\s+/).filter(Boolean);

// Replaces the suite's include (mergeConfig would append to it, running every test).
export default defineConfig({ ...base, test: { ...base.test, include: narrowed ?? TESTS } });
