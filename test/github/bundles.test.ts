// The committed action bundles (actions/<name>/dist/index.js) are what GitHub runs: a change
// to the library that is not rebundled must fail here (and in CI), not in a user's workflow.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FIXED_NOW, PROJECT_ROOT, edit, exampleRepo, lineOf, removeDir, tempDir } from '../helpers/repo.js';
import { parseOutputFile } from './harness.js';

const ACTIONS = ['validate', 'deploy', 'drift'];

/** The Node the actions declare (`using: node24`), pinned in scripts/setup.sh, which fetches it. */
const NODE24_VERSION = /^NODE24_VERSION="([^"]+)"/m.exec(readFileSync(path.join(PROJECT_ROOT, 'scripts', 'setup.sh'), 'utf8'))?.[1] ?? '(unpinned)';

/** That Node's binary: $MNOPS_NODE24, else the node_modules/.bin/node24 link setup.sh makes. */
function node24(): string {
  for (const candidate of [process.env.MNOPS_NODE24, path.join(PROJECT_ROOT, 'node_modules', '.bin', 'node24')]) {
    if (candidate && spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout?.trim() === `v${NODE24_VERSION}`) return candidate;
  }
  throw new Error(`Node ${NODE24_VERSION} is missing: run bash scripts/setup.sh (it fetches the npm package node-${process.platform}-${process.arch}@${NODE24_VERSION} and links node_modules/.bin/node24), or point MNOPS_NODE24 at a node ${NODE24_VERSION}`);
}

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
      expect(NODE24_VERSION.split('.')[0], 'the bundle tests run the Node the actions declare').toBe(meta.runs.using.slice('node'.length));
      for (const [key, v] of [...Object.entries(meta.inputs), ...Object.entries(meta.outputs)]) expect(v.description, `${name}: ${key}`).toBeTruthy();
      // Every input the code reads is declared (core.getInput of an undeclared name is a silent '').
      const src = readFileSync(path.join(PROJECT_ROOT, 'actions', name, 'src', 'main.ts'), 'utf8');
      const read = [...src.matchAll(/(?:input|boolInput|listInput|requiredInput|core\.getInput)\('([a-z-]+)'/g)].map((m) => m[1]!);
      for (const i of new Set(read)) expect(Object.keys(meta.inputs), `${name} reads input ${i}`).toContain(i);
      const set = [...src.matchAll(/core\.setOutput\('([a-z-]+)'/g)].map((m) => m[1]!);
      expect(new Set(set)).toEqual(new Set(Object.keys(meta.outputs)));
    }
  });
});

describe('the committed bundles run as GitHub runs them (node 24, one file, the runner environment)', () => {
  const node = node24();
  function runBundle(name: string, workspace: string, extra: Record<string, string>): { status: number | null; stdout: string; outputs: Record<string, string> } {
    const dir = tempDir('mnops-bundle-run-');
    const output = path.join(dir, 'output');
    writeFileSync(output, '');
    writeFileSync(path.join(dir, 'summary'), '');
    writeFileSync(path.join(dir, 'event.json'), JSON.stringify({ schedule: '*/30 * * * *' }));
    const r = spawnSync(node, [path.join(PROJECT_ROOT, 'actions', name, 'dist', 'index.js')], {
      encoding: 'utf8',
      cwd: workspace,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        GITHUB_REPOSITORY: 'Codertocat/Hello-World',
        GITHUB_EVENT_NAME: 'schedule',
        GITHUB_EVENT_PATH: path.join(dir, 'event.json'),
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
        GITHUB_WORKSPACE: workspace,
        RUNNER_TEMP: dir,
        MNOPS_NOW: FIXED_NOW,
        ...extra,
      },
    });
    const outputs = parseOutputFile(readFileSync(output, 'utf8'));
    removeDir(dir);
    return { status: r.status, stdout: r.stdout + r.stderr, outputs };
  }

  it('validate: loads the policy bundle and annotates a broken manifest', () => {
    const root = exampleRepo();
    try {
      edit(root, 'platforms/governance-platform/platform.yaml', 'owner: governance-team', 'owner: data-team');
      const r = runBundle('validate', root, { INPUT_COMMENT: 'false' });
      expect(r.status, r.stdout).toBe(1);
      expect(r.stdout).toContain(`::error title=ownership.owner,file=platforms/governance-platform/platform.yaml,line=${lineOf(root, 'platforms/governance-platform/platform.yaml', 'owner: data-team')}`);
      expect(r.outputs).toMatchObject({ errors: '1', findings: '1' });
    } finally {
      removeDir(root);
    }
  }, 60_000);

  it('drift and deploy: load the engine client and fail with one sentence', () => {
    const root = exampleRepo();
    try {
      const drift = runBundle('drift', root, { INPUT_ENVIRONMENTS: 'dev', DOCKER_HOST: 'unix:///tmp/mnops-no-such-engine.sock', MNOPS_EXAMPLE_SIGNING_SECRET: 'k', MNOPS_WEBHOOK_SIGNATURE: 's' });
      expect(drift.status, drift.stdout).toBe(1);
      expect(drift.stdout).toContain('::error::drift could not be checked in dev (the Docker engine at /tmp/mnops-no-such-engine.sock does not answer');
      const deploy = runBundle('deploy', root, {});
      expect(deploy.status).toBe(1);
      expect(deploy.stdout).toContain('::error::input platform is required and was not given — set it under with: in the workflow step');
      expect(deploy.stdout).not.toMatch(/%0A\s+at /);
    } finally {
      removeDir(root);
    }
  }, 60_000);
});
