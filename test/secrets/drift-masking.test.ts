// Drift never prints a secret, on the real engine: one platform's secret moved to plain env
// (the container still holds the secret's value) and another's plain env moved to a secret.
// Neither value — nor the plain one now declared — reaches the text, json or markdown report,
// the audit trail, the drift issue (fake GitHub), any other GitHub request, the job summary
// or the action's log.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as driftAction } from '../../actions/drift/src/main.js';
import { fakeGitHub } from '../helpers/github-api.js';
import { git, mnops, removeDir } from '../helpers/repo.js';
import { OWNER, REPO, runAction } from '../github/harness.js';
import { PLATFORM, containersOf, ensureImages, instanceFile, uniqueName, writeRepo } from '../promotion/world.js';

const env = uniqueName('sd');
const OTHER = 'demo-two-platform';
const VAR_A = `MNOPS_TEST_SEED_A_${env.toUpperCase()}`;
const VAR_B = `MNOPS_TEST_SEED_B_${env.toUpperCase()}`;
// Not token-shaped and under a name that does not look secret: only knowing that it is, or
// was, a secret can keep these out of a report.
const SECRET_A = `seed-${env}-running-as-a-secret`;
const SECRET_B = `seed-${env}-declared-as-a-secret`;
const PLAIN_NOW = `seed-${env}-now-declared-plain`;
const PLAIN_BEFORE = `seed-${env}-was-plain-before`;
const VALUES = [SECRET_A, SECRET_B, PLAIN_NOW, PLAIN_BEFORE];
const secretsEnv = { [VAR_A]: SECRET_A, [VAR_B]: SECRET_B };
let root = '';

const cli = (args: string[]) => mnops([...args, '--root', root], { env: secretsEnv });
const platformFile = (name: string) => path.join(root, `platforms/${name}/platform.yaml`);

function expectNoValue(what: string, text: string): void {
  for (const v of VALUES) expect(text.includes(v), `${what} contains ${v}`).toBe(false);
}

beforeAll(async () => {
  ensureImages();
  root = writeRepo([{ name: env, version: '1.0.0' }]);
  const base = readFileSync(platformFile(PLATFORM), 'utf8');
  mkdirSync(path.dirname(platformFile(OTHER)), { recursive: true });
  writeFileSync(platformFile(OTHER), `${base.replace(`name: ${PLATFORM}`, `name: ${OTHER}`)}  env:\n    UPSTREAM_SEED: ${PLAIN_BEFORE}\n`);
  writeFileSync(platformFile(PLATFORM), `${base}  secrets:\n    - name: UPSTREAM_SEED\n      from: env\n      key: ${VAR_A}\n`);
  const envFile = path.join(root, `ecosystem/platform-cloud/${env}/environment.yaml`);
  writeFileSync(envFile, `${readFileSync(envFile, 'utf8')}  secretSources:\n    env: [${VAR_A}, ${VAR_B}]\n`);
  const instance = path.join(root, instanceFile(env));
  writeFileSync(instance, `${readFileSync(instance, 'utf8')}    - name: ${OTHER}\n      version: 1.0.0\n`);
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'a secret and a plain value');
  const a = await cli(['apply', '--env', env, '--timeout', '30']);
  expect(a.status, a.stdout + a.stderr).toBe(0);
  // The secret becomes plain env, the plain value becomes a secret: nothing is applied.
  writeFileSync(platformFile(PLATFORM), `${base}  env:\n    UPSTREAM_SEED: ${PLAIN_NOW}\n`);
  writeFileSync(platformFile(OTHER), `${base.replace(`name: ${PLATFORM}`, `name: ${OTHER}`)}  secrets:\n    - name: UPSTREAM_SEED\n      from: env\n      key: ${VAR_B}\n`);
  git(root, 'commit', '-qam', 'secrets and env swapped');
}, 180_000);

afterAll(async () => {
  if (!root) return;
  const r = await cli(['teardown', '--env', env]);
  removeDir(root);
  expect(r.status, r.stderr).toBe(0);
  expect(containersOf(env)).toEqual([]);
});

describe('drift of a name moved between secrets and plain env', () => {
  it('reports the move in every format and the trail with no value in them', async () => {
    const json = await cli(['drift', '--env', env, '--format', 'json']);
    expect(json.status, json.stderr).toBe(1);
    const items = (JSON.parse(json.stdout) as { environments: { items: { platform: string; field: string }[] }[] }).environments[0]!.items;
    // The move is reported, for both platforms, under the names involved.
    expect(items.filter((i) => i.platform === PLATFORM).map((i) => i.field)).toEqual(expect.arrayContaining(['/env/UPSTREAM_SEED', '/secrets/UPSTREAM_SEED']));
    expect(items.filter((i) => i.platform === OTHER).map((i) => i.field)).toContain('/secrets/UPSTREAM_SEED');
    expectNoValue('drift --format json', json.stdout + json.stderr);
    for (const format of ['text', 'markdown']) {
      const out = await cli(['drift', '--env', env, '--format', format, '--no-record']);
      expect(out.stdout).toContain('UPSTREAM_SEED');
      expectNoValue(`drift --format ${format}`, out.stdout + out.stderr);
    }
    const detected = JSON.parse((await cli(['audit', 'log', '--env', env, '--action', 'drift-detected', '--format', 'json'])).stdout) as { reason: string }[];
    expect(detected.map((r) => r.reason).join('\n')).toContain('/env/UPSTREAM_SEED');
    expectNoValue('the audit branch', git(root, 'log', '-p', 'mnops/audit'));
  }, 120_000);

  it('opens the drift issue and writes the job summary with no value in them', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    const r = await runAction(() => driftAction({ fetch: api.fetch }), {
      workspace: root,
      eventName: 'schedule',
      event: { schedule: '*/30 * * * *' },
      ref: 'refs/heads/main',
      inputs: { token: 'ghs_test', environments: env },
      env: secretsEnv,
    });
    expect(r.failed, r.failure).toBe(false);
    expect(r.outputs.drifted).toBe('1');
    const issue = api.issues.find((i) => (i.body ?? '').includes(`mnops:drift:${env}`));
    expect(issue?.body).toContain('/env/UPSTREAM_SEED');
    expectNoValue('the drift issue', issue?.body ?? '');
    expectNoValue('the requests to GitHub', JSON.stringify(api.calls.map((c) => c.body)));
    expectNoValue('the job summary', r.summary);
    expectNoValue('the action log', r.log.join('\n'));
    expectNoValue('the report file', readFileSync(r.outputs['report-file']!, 'utf8'));
    expectNoValue('the audit branch', git(root, 'log', '-p', 'mnops/audit'));
    // The secret the manifests reference is registered with the runner; the other one only
    // the engine holds now, and only its digest is ever read.
    expect(r.masked).toContain(SECRET_B);
    expect(api.violations).toEqual([]);
  }, 120_000);
});
