// actions/drift run as the runner runs it (a real schedule payload, the @actions/core file
// protocol) on the real Docker engine, against a fake GitHub that checks every request and
// response against GitHub's OpenAPI description: one issue per drifted environment, opened,
// updated while drift lasts (never duplicated, found behind other issues), closed with a
// comment when it clears; an environment that cannot be checked fails the step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/drift/src/main.js';
import { fakeGitHub } from '../helpers/github-api.js';
import { mnops, removeDir } from '../helpers/repo.js';
import { PLATFORM, containersOf, docker, ensureImages, uniqueName, writeRepo } from '../promotion/world.js';
import { OWNER, REPO, runAction } from './harness.js';

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

beforeAll(() => {
  ensureImages();
  root = writeRepo([{ name: env, version: '1.0.0' }]);
  const a = mnops(['apply', '--env', env, '--timeout', '30', '--root', root]);
  expect(a.status, a.stdout + a.stderr).toBe(0);
  // Other open issues, some with the label: the drift issue must be found by its marker, across pages.
  for (let i = 0; i < 120; i++) api.seedIssue({ title: `unrelated ${i}`, body: `issue ${i}`, labels: i % 2 ? ['mnops-drift'] : ['bug'] });
}, 120_000);

afterAll(() => {
  if (!root) return;
  mnops(['teardown', '--env', env, '--root', root]);
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
