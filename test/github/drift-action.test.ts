// actions/drift run as the runner runs it (a real schedule payload, the @actions/core file
// protocol) on the real Docker engine, against a fake GitHub that checks every request and
// response against GitHub's OpenAPI description: one issue per drifted environment, opened,
// updated while drift lasts (never duplicated, found behind other issues), closed with a
// comment when it clears; an environment that cannot be checked fails the step.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/drift/src/main.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-api.js';
import { git, mnops, removeDir } from '../helpers/repo.js';
import { PLATFORM, containersOf, docker, ensureImages, uniqueName, writeRepo } from '../promotion/world.js';
import { OWNER, REPO, exampleEvent, runAction } from './harness.js';

const env = uniqueName('gd');
let root = '';
const api = fakeGitHub({ owner: OWNER, repo: REPO });

function drift(inputs: Record<string, string> = {}, env2: Record<string, string> = {}) {
  return runAction(() => run({ fetch: api.fetch }), {
    workspace: root,
    eventName: 'schedule',
    // GitHub's schedule payload is just the cron expression that fired.
    event: { schedule: '*/30 * * * *' },
    ref: 'refs/heads/main',
    inputs: { token: 'ghs_test', environments: env, ...inputs },
    env: env2,
  });
}
const driftIssues = () => api.issues.filter((i) => i.labels.includes('mnops-drift') && (i.body ?? '').startsWith(`<!-- mnops:drift:${env} -->`));

beforeAll(async () => {
  ensureImages();
  root = writeRepo([{ name: env, version: '1.0.0' }]);
  const a = await mnops(['apply', '--env', env, '--timeout', '30', '--root', root]);
  expect(a.status, a.stdout + a.stderr).toBe(0);
  // Other open issues, some with the label: the drift issue must be found by its marker, across pages.
  for (let i = 0; i < 120; i++) api.seedIssue({ title: `unrelated ${i}`, body: `issue ${i}`, labels: i % 2 ? ['mnops-drift'] : ['bug'] });
}, 120_000);

afterAll(async () => {
  if (!root) return;
  await mnops(['teardown', '--env', env, '--root', root]);
  removeDir(root);
});

describe('actions/drift', () => {
  it('opens no issue while there is no drift', async () => {
    const r = await drift();
    expect(r.failed, r.failure).toBe(false);
    expect(r.outputs).toMatchObject({ drifted: '0', environments: '[]', issues: '{}' });
    expect(r.summary).toContain(`### ${env} (docker)`);
    expect(r.summary).toContain('No drift');
    expect(driftIssues()).toEqual([]);
    expect(api.violations).toEqual([]);
  }, 60_000);

  it('opens one issue when drift appears, and updates that same issue while it lasts', async () => {
    docker('update', '--memory', '32m', containersOf(env)[0]!);
    const first = await drift();
    expect(first.outputs.drifted).toBe('1');
    expect(JSON.parse(first.outputs.environments!)).toEqual([env]);
    expect(driftIssues()).toHaveLength(1);
    const issue = driftIssues()[0]!;
    expect(issue).toMatchObject({ title: `Drift in ${env}`, state: 'open' });
    expect(issue.body).toContain(`| ${PLATFORM} | \`/resources/memoryMb\` | \`64\` | \`32\` |`);
    expect(JSON.parse(first.outputs.issues!)).toEqual({ [env]: issue.number });

    docker('update', '--cpus', '0.5', containersOf(env)[0]!);
    const second = await drift();
    expect(second.outputs.drifted).toBe('1');
    expect(driftIssues()).toHaveLength(1);
    expect(driftIssues()[0]!.number).toBe(issue.number);
    expect(driftIssues()[0]!.body).toContain('`/resources/cpuCores`');
    expect(api.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/issues'))).toHaveLength(1);
    expect(api.violations).toEqual([]);
  }, 60_000);

  it('heals, then closes the issue with a comment', async () => {
    const r = await drift({ heal: 'true' });
    expect(r.failed, r.failure).toBe(false);
    expect(r.outputs.drifted).toBe('0');
    const issue = api.issues.find((i) => (i.body ?? '').startsWith(`<!-- mnops:drift:${env} -->`))!;
    expect(issue).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(api.comments[issue.number]!.at(-1)!.body).toContain(`No drift in ${env} any more`);
    expect(r.summary).toContain('Healed:');
    expect(docker('inspect', '--format', '{{.HostConfig.Memory}}', containersOf(env)[0]!)).toBe(String(64 * 1024 * 1024));
    const again = await drift();
    expect(again.outputs.drifted).toBe('0');
    expect(api.issues.filter((i) => (i.body ?? '').includes(`mnops:drift:${env}`))).toHaveLength(1);
    expect(api.violations).toEqual([]);
  }, 120_000);

  it('fails the step, and leaves issues alone, when the engine cannot be checked', async () => {
    const calls = api.calls.length;
    const r = await drift({}, { DOCKER_HOST: 'unix:///tmp/mnops-no-such-engine.sock' });
    expect(r.failed).toBe(true);
    expect(r.failure).toMatch(new RegExp(`drift could not be checked in ${env} \\(the Docker engine at /tmp/mnops-no-such-engine.sock does not answer`));
    expect(api.calls.slice(calls).every((c) => c.method === 'GET')).toBe(true);
  }, 60_000);

  it('says which permission is missing when issues cannot be written', async () => {
    docker('update', '--memory', '48m', containersOf(env)[0]!);
    api.failAlways({ method: 'POST', path: /\/issues$/ }, 403, 'Resource not accessible by integration');
    const r = await drift({ record: 'false' });
    api.clearFaults();
    expect(r.failed).toBe(true);
    expect(r.failure).toContain(`GitHub refused to open a drift issue for ${env}: the token lacks the issues: write permission (403: Resource not accessible by integration)`);
    expect(api.violations).toEqual([]);
  }, 60_000);
});

// Healing changes what runs: in staging and prod only from the default branch, in a run
// that passed the protection of the GitHub environment named like the target.
describe('actions/drift --heal of a prod environment', () => {
  const prod = uniqueName('gp');
  const source = uniqueName('gs');
  const RUN_ID = 4343;
  let prodRoot = '';
  const memory = () => docker('inspect', '--format', '{{.HostConfig.Memory}}', containersOf(prod)[0]!);

  beforeAll(async () => {
    ensureImages();
    // Prod promotes from an environment (a rule of the tier); only prod runs here.
    prodRoot = writeRepo([
      { name: source, version: '1.0.0' },
      { name: prod, version: '1.0.0', from: source },
    ]);
    const a = await mnops(['apply', '--env', prod, '--timeout', '30', '--root', prodRoot]);
    expect(a.status, a.stdout + a.stderr).toBe(0);
    // Applied while dev; from now on the manifests say prod.
    const file = path.join(prodRoot, `ecosystem/platform-cloud/${prod}/environment.yaml`);
    writeFileSync(file, readFileSync(file, 'utf8').replace('tier: dev', 'tier: prod'));
    git(prodRoot, 'commit', '-qam', 'the environment is prod now');
    docker('update', '--memory', '40m', containersOf(prod)[0]!);
  }, 120_000);

  afterAll(async () => {
    if (!prodRoot) return;
    await mnops(['teardown', '--env', prod, '--root', prodRoot]);
    removeDir(prodRoot);
  });

  function heal(gh: FakeGitHub, ref: string, defaultBranch = 'main') {
    const event = exampleEvent('workflow_dispatch') as { inputs: Record<string, unknown>; ref: string; repository: { default_branch: string } };
    event.inputs = { environments: prod, heal: true };
    event.ref = ref;
    event.repository.default_branch = defaultBranch;
    return runAction(() => run({ fetch: gh.fetch }), {
      workspace: prodRoot,
      eventName: 'workflow_dispatch',
      event,
      ref,
      inputs: { token: 'ghs_test', environments: prod, heal: 'true', record: 'false' },
      env: { GITHUB_RUN_ID: String(RUN_ID) },
    });
  }

  it('refuses on another branch, even approved: step failed in one sentence, nothing healed, no issue touched', async () => {
    const gh = fakeGitHub({ owner: OWNER, repo: REPO });
    gh.seedRunReview(RUN_ID, { environments: [prod], user: 'alice' });
    const r = await heal(gh, 'refs/heads/fix-drift');
    expect(r.failed).toBe(true);
    expect(r.failure).toBe(`refusing to heal ${prod} (tier prod): the run is on refs/heads/fix-drift, not on the default branch main — dispatch the workflow on main`);
    expect(memory()).toBe(String(40 * 1024 * 1024));
    expect(r.summary).toBe('');
    expect(gh.calls).toEqual([]);
  }, 60_000);

  it('refuses on the default branch without an approved review for the GitHub environment of that name', async () => {
    const gh = fakeGitHub({ owner: OWNER, repo: REPO });
    gh.seedRunReview(RUN_ID, { environments: ['prod', 'staging'], user: 'alice' });
    gh.seedRunReview(RUN_ID, { environments: [prod], user: 'bob', state: 'rejected' });
    const r = await heal(gh, 'refs/heads/main');
    expect(r.failed).toBe(true);
    expect(r.failure).toBe(
      `refusing to heal ${prod} (tier prod): this run has no approved review for the GitHub environment "${prod}" — run the job with environment: ${prod} and give that GitHub environment required reviewers`,
    );
    expect(memory()).toBe(String(40 * 1024 * 1024));
    expect(gh.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET /repos/${OWNER}/${REPO}/actions/runs/${RUN_ID}/approvals`]);
    expect(gh.violations).toEqual([]);
  }, 60_000);

  it('heals on the default branch once the environment’s reviewer approved this run', async () => {
    const gh = fakeGitHub({ owner: OWNER, repo: REPO });
    gh.seedRunReview(RUN_ID, { environments: [prod], user: 'alice', comment: 'heal it' });
    const r = await heal(gh, 'refs/heads/main');
    expect(r.failure ?? '').not.toMatch(/refusing/);
    const report = JSON.parse(readFileSync(r.outputs['report-file']!, 'utf8')) as { environments: { environment: string; healed?: unknown[] }[] };
    // The heal ran (in prod, through apply's rules: a version the gate never admitted is held, not started).
    expect(report.environments.find((e) => e.environment === prod)?.healed).toBeDefined();
    expect(r.summary).toContain('Healed:');
    expect(gh.violations).toEqual([]);
  }, 120_000);
});
