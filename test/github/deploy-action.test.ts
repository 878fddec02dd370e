// actions/deploy run as the runner runs it (a real workflow_dispatch payload, the @actions/core
// file protocol) on the real Docker engine, against a fake GitHub that checks every request and
// response against GitHub's OpenAPI description: deployment statuses in order, the manifest
// commit pushed, secrets masked, the gate decision in the summary, permission errors clear,
// and the audit trail's head kept in the final deployment status.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/deploy/src/main.js';
import { AuditTrail, verifyTrail } from '../../tools/lib/audit/index.js';
import { createGitHubClient } from '../../tools/lib/github/client.js';
import { headOf, recordedHeads } from '../../tools/lib/github/deployment.js';
import { fakeGitHub } from '../helpers/github-api.js';
import { git, mnops, removeDir, tempDir } from '../helpers/repo.js';
import { BROKEN, PLATFORM, docker, ensureImages, uniqueName, writeRepo } from '../promotion/world.js';
import { OWNER, REPO, exampleEvent, runAction } from './harness.js';

const dev = uniqueName('ga');
const stage = uniqueName('gb');
const SECRET_VAR = `MNOPS_TEST_DEPLOY_SECRET_${dev.toUpperCase()}`;
const SECRET = 'deploy-secret-value-42';
let root = '';
let remote = '';

const RUN_ID = 4242;

function deploy(api: ReturnType<typeof fakeGitHub>, inputs: Record<string, string>, env: Record<string, string> = {}) {
  const event = exampleEvent('workflow_dispatch');
  (event as { inputs: Record<string, string> }).inputs = inputs;
  return runAction(() => run({ fetch: api.fetch }), {
    workspace: root,
    eventName: 'workflow_dispatch',
    event,
    sha: git(root, 'rev-parse', 'HEAD').trim(),
    ref: 'refs/heads/main',
    inputs: { token: 'ghs_test', timeout: '30', ...inputs },
    env: { [SECRET_VAR]: SECRET, GITHUB_RUN_ID: String(RUN_ID), ...env },
  });
}

const remoteHead = () => git(remote, 'log', '-1', '--format=%s', 'main').trim();
const runningVersion = (env: string) => docker('ps', '--filter', `label=mnops.environment=${env}`, '--format', '{{.Label "mnops.version"}}');

beforeAll(() => {
  ensureImages();
  root = writeRepo([
    { name: dev, version: '1.0.0' },
    { name: stage, version: '1.0.0', from: dev },
  ]);
  const file = path.join(root, `platforms/${PLATFORM}/platform.yaml`);
  writeFileSync(file, readFileSync(file, 'utf8') + `  secrets:\n    - name: API_TOKEN\n      from: env\n      key: ${SECRET_VAR}\n`);
  for (const env of [dev, stage]) {
    const envFile = path.join(root, `ecosystem/platform-cloud/${env}/environment.yaml`);
    writeFileSync(envFile, readFileSync(envFile, 'utf8') + `  secretSources:\n    env: [${SECRET_VAR}]\n`);
  }
  git(root, 'commit', '-qam', 'a secret from the runner, listed by both environments');
  remote = path.join(tempDir('mnops-remote-'), 'repo.git');
  git(path.dirname(remote), 'clone', '-q', '--bare', root, remote);
  git(root, 'remote', 'add', 'origin', remote);
  git(root, 'fetch', '-q', 'origin');
  git(root, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
});

afterAll(async () => {
  if (!root) return;
  for (const env of [dev, stage]) await mnops(['teardown', '--env', env, '--root', root], { env: { [SECRET_VAR]: SECRET } });
  removeDir(root);
  removeDir(path.dirname(remote));
});

describe('actions/deploy', () => {
  it('records a deployment in_progress → success, pushes the manifest commit, masks secrets and summarises the gate', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    const r = await deploy(api, { platform: PLATFORM, environment: dev, version: '1.1.0' });
    expect(r.failure).toBeUndefined();
    expect(r.outputs).toMatchObject({ status: 'deployed', 'from-version': '1.0.0', 'to-version': '1.1.0' });
    expect(r.outputs.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(api.deployments).toHaveLength(1);
    const d = api.deployments[0]!;
    expect(r.outputs['deployment-id']).toBe(String(d.id));
    expect(d).toMatchObject({ environment: dev, production_environment: false });
    expect(d.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(d.statuses[0]!.log_url).toBe(`https://github.com/${OWNER}/${REPO}/actions/runs/4242`);
    expect(remoteHead()).toBe(`deploy(${dev}): ${PLATFORM} 1.0.0 → 1.1.0`);
    expect(git(remote, 'rev-parse', 'main').trim()).toBe(r.outputs.commit);
    expect(git(remote, 'branch', '--list', 'mnops/audit').trim()).toContain('mnops/audit');
    expect(r.masked).toContain(SECRET);
    expect(r.summary).toContain('## mnops deploy: ✅ deployed');
    expect(r.summary).toContain('Promotion gate: none');
    expect(runningVersion(dev)).toBe('1.1.0');
    // The final status keeps the trail's head after the deploy, written by the runner's identity.
    const head = await (await AuditTrail.open({ root })).head();
    expect(head).toMatchObject({ actor: 'octocat', run: `https://github.com/${OWNER}/${REPO}/actions/runs/${RUN_ID}` });
    expect(headOf(d.statuses[1]!.description)).toEqual({ seq: head!.seq, hash: head!.hash });
    expect(headOf(d.statuses[0]!.description)).toBeUndefined();
    const heads = (await recordedHeads(createGitHubClient({ token: 'ghs_test', fetch: api.fetch }), api)).map((h) => ({ ...h, source: `deployment ${h.deploymentId}` }));
    expect((await verifyTrail(await AuditTrail.open({ root }), { heads, witness: false })).breaks).toEqual([]);
    expect(api.violations).toEqual([]);
  }, 120_000);

  it('a denied promotion is a failure status, a failed step and every reason in the summary', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    const before = git(remote, 'rev-parse', 'main').trim();
    const r = await deploy(api, { platform: PLATFORM, environment: stage });
    expect(r.failed).toBe(true);
    expect(r.outputs.status).toBe('denied');
    expect(r.failure).toMatch(/denied: .*approval/i);
    expect(api.deployments[0]!.statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(r.summary).toContain('Promotion gate: denied');
    expect(r.summary).toMatch(/- ❌ .*approval/i);
    expect(git(remote, 'rev-parse', 'main').trim()).toBe(before);
    expect(api.violations).toEqual([]);
  }, 120_000);

  it('counts the approvals GitHub recorded for this run’s environment deployment, and never a typed one', async () => {
    const before = git(remote, 'rev-parse', 'main').trim();
    // A typed approval is no input of the action: setting it changes nothing.
    const typed = fakeGitHub({ owner: OWNER, repo: REPO });
    const denied = await deploy(typed, { platform: PLATFORM, environment: stage, 'approved-by': 'alice' });
    expect(denied.outputs.status).toBe('denied');
    expect(denied.failure).toMatch(/denied: .*approval/i);
    expect(denied.outputs['approved-by']).toBe('');
    expect(typed.calls.map((c) => `${c.method} ${c.path}`)).toContain(`GET /repos/${OWNER}/${REPO}/actions/runs/${RUN_ID}/approvals`);
    expect(git(remote, 'rev-parse', 'main').trim()).toBe(before);

    // Reviews of another environment, another run, or a rejection do not count either.
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    api.seedRunReview(RUN_ID, { environments: ['prod'], user: 'mallory' });
    api.seedRunReview(RUN_ID, { environments: [stage], user: 'bob', state: 'rejected' });
    api.seedRunReview(RUN_ID + 1, { environments: [stage], user: 'carol' });
    expect((await deploy(api, { platform: PLATFORM, environment: stage })).outputs.status).toBe('denied');

    // The environment's reviewer approved this run: the gate lets it through, and says who.
    api.seedRunReview(RUN_ID, { environments: [stage], user: 'alice', comment: 'ship it' });
    const r = await deploy(api, { platform: PLATFORM, environment: stage, 'approved-by': 'mallory' });
    expect(r.failure).toBeUndefined();
    expect(r.outputs).toMatchObject({ status: 'deployed', 'to-version': '1.1.0', 'approved-by': 'alice' });
    expect(git(remote, 'log', '-1', '--format=%B', 'main')).toMatch(/^Approved-by: alice$/m);
    expect(git(remote, 'log', '-1', '--format=%B', 'main')).not.toMatch(/mallory/);
    expect(r.summary).toContain('approved in the GitHub environment by: alice');
    expect(api.deployments.at(-1)!.payload).toMatchObject({ approvedBy: ['alice'] });
    expect([...typed.violations, ...api.violations]).toEqual([]);
  }, 120_000);

  it.each([
    ['version', { version: '1.1.0\nApproved-by: mallory' }, {}, 'the version contains a newline (at character 6)'],
    ['emergency reason', { emergency: 'freeze\r\nEmergency: none' }, {}, 'the emergency reason contains a carriage return (at character 7)'],
    ['actor', {}, { GITHUB_ACTOR: 'octocat\u001b[2K' }, 'the actor contains an escape (ESC) (at character 8)'],
  ])('refuses a control character in the %s, in one sentence, before anything is recorded or committed', async (what, inputs, env, message) => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    const head = git(root, 'rev-parse', 'HEAD').trim();
    const r = await deploy(api, { platform: PLATFORM, environment: dev, version: '1.0.0', ...inputs }, env);
    expect(r.failed).toBe(true);
    expect(r.failure).toBe(`${message}, which would reach the commit message: nothing was deployed — give the ${what} as one line of plain text`);
    expect(api.calls).toEqual([]);
    expect(git(root, 'rev-parse', 'HEAD').trim()).toBe(head);
    expect(runningVersion(dev)).toBe('1.1.0');
  }, 60_000);

  it('a rollout that never turns healthy: failure status, the revert pushed, the old version serving', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    const r = await deploy(api, { platform: PLATFORM, environment: dev, version: BROKEN, timeout: '8' });
    expect(r.failed).toBe(true);
    expect(r.outputs.status).toBe('failed');
    expect(api.deployments[0]!.statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(remoteHead()).toMatch(/^Revert "deploy/);
    expect(r.summary).toContain('manifest commit reverted');
    expect(runningVersion(dev)).toBe('1.1.0');
    expect(api.violations).toEqual([]);
  }, 120_000);

  it('a token without deployments: write fails the step with one clear sentence, before anything is deployed', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    api.failAlways({ method: 'POST', path: /\/deployments$/ }, 403, 'Resource not accessible by integration');
    const before = git(root, 'rev-parse', 'HEAD').trim();
    const r = await deploy(api, { platform: PLATFORM, environment: dev, version: '1.0.0' });
    expect(r.failed).toBe(true);
    expect(r.failure).toBe(
      `GitHub refused to record a deployment to ${dev}: the token lacks the deployments: write permission (403: Resource not accessible by integration) — grant it to the job: permissions: { deployments: write }`,
    );
    expect(git(root, 'rev-parse', 'HEAD').trim()).toBe(before);
    expect(runningVersion(dev)).toBe('1.1.0');
    expect(api.violations).toEqual([]);
  }, 60_000);

  it('a timeout that is not a duration fails the step with the CLI\'s sentence, before anything is asked or deployed', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    const before = git(root, 'rev-parse', 'HEAD').trim();
    const r = await deploy(api, { platform: PLATFORM, environment: dev, version: '1.0.0', timeout: 'soon' });
    expect(r.failed).toBe(true);
    expect(r.failure).toBe('timeout: "soon" is not a duration; write seconds (30) or a duration like 30s, 5m, 1h30m (at most 24h)');
    expect(api.deployments).toEqual([]);
    expect(git(root, 'rev-parse', 'HEAD').trim()).toBe(before);
  });
});
