// The committed action bundles (actions/<name>/dist/index.js) are what GitHub runs: a change
// to the library that is not rebundled must fail here (and in CI), not in a user's workflow.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROJECT_ROOT, removeDir, tempDir } from '../helpers/repo.js';

const ACTIONS = ['validate', 'deploy', 'drift'];

describe('action bundles', () => {
  it('are current: rebuilding from source gives the committed bytes', () => {
    const out = tempDir('mnops-bundles-');
    try {
      const r = spawnSync(process.execPath, ['scripts/build-actions.mjs', '--out', out], { cwd: PROJECT_ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      for (const name of ACTIONS) {
        const committed = path.join(PROJECT_ROOT, 'actions', name, 'dist', 'index.js');
        expect(existsSync(committed), `${committed} is missing: run npm run actions:build`).toBe(true);
        const fresh = readFileSync(path.join(out, name, 'index.js'), 'utf8');
        // Compare without a giant diff on failure: say which bundle and what to run.
        expect(readFileSync(committed, 'utf8') === fresh, `actions/${name}/dist/index.js is stale: run npm run actions:build and commit it`).toBe(true);
      }
    } finally {
      removeDir(out);
    }
  }, 60_000);

  it('each action.yml runs its bundle on node24 and documents every input and output', () => {
    for (const name of ACTIONS) {
      const meta = parse(readFileSync(path.join(PROJECT_ROOT, 'actions', name, 'action.yml'), 'utf8')) as {
        runs: { using: string; main: string };
        inputs: Record<string, { description?: string }>;
        outputs: Record<string, { description?: string }>;
      };
      expect(meta.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
      for (const [key, v] of [...Object.entries(meta.inputs), ...Object.entries(meta.outputs)]) expect(v.description, `${name}: ${key}`).toBeTruthy();
      // Every input the code reads is declared (core.getInput of an undeclared name is a silent '').
      const src = readFileSync(path.join(PROJECT_ROOT, 'actions', name, 'src', 'main.ts'), 'utf8');
      const read = [...src.matchAll(/(?:input|boolInput|listInput|core\.getInput)\('([a-z-]+)'/g)].map((m) => m[1]!);
      for (const i of new Set(read)) expect(Object.keys(meta.inputs), `${name} reads input ${i}`).toContain(i);
      const set = [...src.matchAll(/core\.setOutput\('([a-z-]+)'/g)].map((m) => m[1]!);
      expect(new Set(set)).toEqual(new Set(Object.keys(meta.outputs)));
    }
  });
});
