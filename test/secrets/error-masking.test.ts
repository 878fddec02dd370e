// Secrets in errors, on the real engine: a health check (the manifest decides what it prints)
// echoes a template's secret and a two-line `from: file` secret, then fails. Neither value,
// nor either line of the file, reaches the CLI's output, the deploy action's failure, log or
// summary, the GitHub Deployment statuses or any other request (fake GitHub), or the audit
// trail; the action registers both with the runner before anything prints.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as deployAction } from '../../actions/deploy/src/main.js';
import { fakeGitHub } from '../helpers/github-api.js';
import { edit, git, mnops, removeDir } from '../helpers/repo.js';
import { OWNER, REPO, exampleEvent, runAction } from '../github/harness.js';
import { PLATFORM, containersOf, ensureImages, uniqueName, writeRepo } from '../promotion/world.js';

const env = uniqueName('se');
const TEMPLATE_VAR = `MNOPS_TEST_TEMPLATE_SECRET_${env.toUpperCase()}`;
// Starts with a prefix found nowhere else: a piece of it cut off by a truncation shows too.
const TEMPLATE_PREFIX = `${env}T`;
const TEMPLATE_SECRET = `${TEMPLATE_PREFIX}-template-secret-value`;
const FILE = `secrets/${env}.txt`;
const FILE_LINES = [`file-${env}-first-line`, `file-${env}-second-line`];
const VALUES = [TEMPLATE_PREFIX, ...FILE_LINES];
const secretsEnv = { [TEMPLATE_VAR]: TEMPLATE_SECRET };
let root = '';

// Prints each secret (read from /run/secrets when delivered so, else from the environment): the
// whole file, then a last line — what the error quotes, cut at 200 characters — holding the
// file's second line and the template's value across the cut.
const CHECK = String.raw`v() { cat "/run/secrets/$1" 2>/dev/null || eval "printf '%s' \"\$$1\""; }; echo "seen $(v FILE_SECRET)"; printf '%s %0164d%s\n' "$(v FILE_SECRET | tail -n 1)" 0 "$(v TEMPLATE_SECRET)"; exit 1`;

function expectNoValue(what: string, text: string): void {
  for (const v of VALUES) expect(text.includes(v), `${what} contains ${v}`).toBe(false);
}

beforeAll(() => {
  ensureImages();
  root = writeRepo([{ name: env, version: '1.0.0' }]);
  mkdirSync(path.join(root, 'ecosystem/platform-templates'), { recursive: true });
  writeFileSync(
    path.join(root, 'ecosystem/platform-templates/demo-base.yaml'),
    `apiVersion: mnops/v1\nkind: PlatformTemplate\nmetadata:\n  name: demo-base\nspec:\n  secrets:\n    - name: TEMPLATE_SECRET\n      from: env\n      key: ${TEMPLATE_VAR}\n`,
  );
  const platform = `platforms/${PLATFORM}/platform.yaml`;
  // (`$` doubled: String.replace reads `$1` in a replacement as a group.)
  edit(root, platform, /command: \["wget".*\]/, `command: ${JSON.stringify(['sh', '-c', CHECK])}`.replace(/\$/g, '$$$$'));
  edit(root, platform, '  owner: team-demo\n', `  owner: team-demo\n  extends: demo-base\n  secrets:\n    - name: FILE_SECRET\n      from: file\n      key: ${FILE}\n`);
  // The environment lists both sources, as any environment whose platforms read secrets must.
  const envFile = path.join(root, `ecosystem/platform-cloud/${env}/environment.yaml`);
  writeFileSync(envFile, `${readFileSync(envFile, 'utf8')}  secretSources:\n    env: [${TEMPLATE_VAR}]\n    files: [${path.posix.dirname(FILE)}]\n`);
  git(root, 'add', '-A');
  git(root, 'commit', '-qm', 'a template secret, a file secret and a health check that prints them');
  // On the runner only, never committed.
  mkdirSync(path.join(root, 'secrets'), { recursive: true });
  writeFileSync(path.join(root, FILE), `${FILE_LINES.join('\n')}\n`);
});

afterAll(async () => {
  if (!root) return;
  const r = await mnops(['teardown', '--env', env, '--root', root], { env: secretsEnv });
  removeDir(root);
  expect(r.status, r.stderr).toBe(0);
  expect(containersOf(env)).toEqual([]);
});

describe('a health check that prints secrets', () => {
  it('fails the CLI deploy with the health output redacted', async () => {
    const r = await mnops(['deploy', PLATFORM, '--to', env, '--version', '1.1.0', '--timeout', '20', '--root', root], { env: secretsEnv });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/unhealthy: the health check failed .*: \*\*\* 0{164}\*\*\*;/);
    expectNoValue('the CLI output', r.stdout + r.stderr);
    expectNoValue('the audit branch', git(root, 'log', '-p', 'mnops/audit'));
  }, 90_000);

  it('fails the deploy action with nothing of them in its failure, log, summary, Deployment statuses or the trail', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    const event = exampleEvent('workflow_dispatch');
    const r = await runAction(() => deployAction({ fetch: api.fetch }), {
      workspace: root,
      eventName: 'workflow_dispatch',
      event,
      sha: git(root, 'rev-parse', 'HEAD').trim(),
      ref: 'refs/heads/main',
      inputs: { token: 'ghs_test', timeout: '20', platform: PLATFORM, environment: env, version: '1.1.0', push: 'false' },
      env: secretsEnv,
    });
    expect(r.failed).toBe(true);
    expect(r.outputs.status).toBe('failed');
    expect(r.failure).toMatch(/unhealthy: the health check failed/);
    const statuses = api.deployments[0]!.statuses;
    expect(statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(statuses[1]!.description).toMatch(/^failed: /);
    for (const [what, text] of [
      ['the step failure', r.failure ?? ''],
      ['the action log', r.log.join('\n')],
      ['the job summary', r.summary],
      ['the Deployment statuses', JSON.stringify(statuses)],
      ['the requests to GitHub', JSON.stringify(api.calls.map((c) => c.body))],
      ['the audit branch', git(root, 'log', '-p', 'mnops/audit')],
    ] as const) {
      expectNoValue(what, text);
    }
    // Registered with the runner (::add-mask::) as soon as they were read: the whole file and each of its lines.
    expect(r.masked).toEqual(expect.arrayContaining([TEMPLATE_SECRET, FILE_LINES.join('\n'), ...FILE_LINES]));
    expect(readFileSync(path.join(root, FILE), 'utf8')).toContain(FILE_LINES[0]);
    expect(api.violations).toEqual([]);
  }, 90_000);
});
