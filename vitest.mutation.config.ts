// The tests `npm run mutation` runs against each mutant: those that import the mutated
// modules (manifest, registry, report, audit, policy input, validate) and need no engine.
// Tests that only drive the built CLI cannot see a mutant in the sources, so they are left out.
import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: [
        'test/manifest/*.test.ts',
        'test/registry/{graph,impact,references}.test.ts',
        'test/report/*.test.ts',
        'test/audit/verify.test.ts',
        'test/validate/*.test.ts',
        'test/policy/slices.test.ts',
      ],
    },
  }),
);
