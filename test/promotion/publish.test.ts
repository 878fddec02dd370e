// Git and the engine agree, on the real engine and a real bare remote: the manifest commit is
// pushed after a healthy rollout and before any record names it. A push the remote refuses
// (a pre-receive hook; a change on the same line that cannot be rebased) rolls the engine back
// to what ran before, leaves the remote's branch as it was, and records the failure and the
// rollback; a push rebased onto an unrelated change is recorded under the commit the remote has.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as deployAction } from '../../actions/deploy/src/main.js';
import { AuditTrail, type AuditRecord } from '../../tools/lib/audit/index.js';
import { versionBefore } from '../../tools/lib/promotion/deploy.js';
import { fakeGitHub } from '../helpers/github-api.js';
import { edit, git, mnops, removeDir, tempDir } from '../helpers/repo.js';
import { OWNER, REPO, exampleEvent, runAction } from '../github/harness.js';
import { PLATFORM, containersOf, docker, ensureImages, instanceFile, uniqueName, writeRepo } from './world.js';

const env = uniqueName('pp');
let root = '';
let remote = '';
let other = '';

const running = () => docker('ps', '--filter', `label=mnops.environment=${env}`, '--format', '{{.Label "mnops.version"}}');
const remoteMain = () => git(remote, 'rev-parse', 'main').trim();
const cli = (args: string[]) => mnops([...args, '--root', root], { env: { GITHUB_ACTOR: 'alice' } });

/** The trail as the remote has it. */
async function remoteRecords(): Promise<AuditRecord[]> {
  return (await AuditTrail.open({ root: remote, remote: false })).records();
}

function onRemote(commit: string): boolean {
  try {
    execFileSync('git', ['cat-file', '-e', `${commit}^{commit}`], { cwd: remote, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every manifest commit the remote's trail names, the remote has. */
async function expectEveryNamedCommitOnRemote(): Promise<void> {
  const named = (await remoteRecords()).filter((r) => r.commit).map((r) => r.commit!);
  for (const c of named) expect(onRemote(c), `the trail names ${c}, which the remote does not have`).toBe(true);
}

/** Someone else pushes to main meanwhile, through their own clone. */
function pushFromElsewhere(change: (dir: string) => void, message: string): string {
  git(other, 'pull', '-q', '--rebase', 'origin', 'main');
  change(other);
  git(other, 'commit', '-qam', message);
  git(other, 'push', '-q', 'origin', 'HEAD:main');
  return git(other, 'rev-parse', 'HEAD').trim();
}

beforeAll(async () => {
  ensureImages();
  root = writeRepo([{ name: env, version: '1.0.0' }]);
  remote = path.join(tempDir('mnops-remote-'), 'repo.git');
  git(path.dirname(remote), 'clone', '-q', '--bare', root, remote);
  git(root, 'remote', 'add', 'origin', remote);
  git(root, 'fetch', '-q', 'origin');
  git(root, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
  other = path.join(tempDir('mnops-other-'), 'clone');
  git(path.dirname(other), 'clone', '-q', remote, other);
  const a = await cli(['apply', '--env', env, '--timeout', '30']);
  expect(a.status, a.stdout + a.stderr).toBe(0);
  expect(running()).toBe('1.0.0');
}, 120_000);

afterAll(async () => {
  if (!root) return;
  const r = await cli(['teardown', '--env', env]);
  removeDir(root);
  removeDir(path.dirname(remote));
  removeDir(path.dirname(other));
  expect(r.status, r.stderr).toBe(0);
  expect(containersOf(env)).toEqual([]);
});

describe('the manifest commit reaches the remote before any record names it', () => {
  it('a push the remote refuses (pre-receive hook): the engine back on the previous version, the remote unchanged, the failure and the rollback recorded', async () => {
    const hook = path.join(remote, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\nwhile read old new ref; do\n  if [ "$ref" = "refs/heads/main" ]; then echo "main is frozen" >&2; exit 1; fi\ndone\nexit 0\n');
    chmodSync(hook, 0o755);
    const before = remoteMain();
    const seen = (await remoteRecords()).length;
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    try {
      const r = await runAction(() => deployAction({ fetch: api.fetch }), {
        workspace: root,
        eventName: 'workflow_dispatch',
        event: exampleEvent('workflow_dispatch'),
        sha: git(root, 'rev-parse', 'HEAD').trim(),
        ref: 'refs/heads/main',
        inputs: { token: 'ghs_test', timeout: '30', platform: PLATFORM, environment: env, version: '1.1.0' },
      });
      expect(r.failed).toBe(true);
      expect(r.outputs.status).toBe('failed');
      expect(r.failure).toMatch(/the manifest commit could not be pushed: .*main is frozen.*; 1\.0\.0 restored/);
      expect(r.summary).toContain('the previous version was restored and git is unchanged');
      expect(api.deployments[0]!.statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);
      expect(api.violations).toEqual([]);
    } finally {
      rmSync(hook);
    }
    expect(running()).toBe('1.0.0');
    expect(remoteMain()).toBe(before);
    const added = (await remoteRecords()).slice(seen).filter((x) => x.action !== 'lock' && x.action !== 'unlock');
    expect(added.map((x) => `${x.action} ${x.outcome} ${x.fromVersion} → ${x.toVersion}`)).toEqual(['promote failure 1.0.0 → 1.1.0', 'rollback success 1.1.0 → 1.0.0']);
    expect(added[0]!.reason).toMatch(/the manifest commit could not be pushed/);
    expect(added.every((x) => x.commit === undefined)).toBe(true);
    expect(added[1]!.inventory?.[PLATFORM]?.version).toBe('1.0.0');
    await expectEveryNamedCommitOnRemote();
    // Locally, the commit is reverted: what is checked out declares what runs.
    expect(git(root, 'show', `HEAD:${instanceFile(env)}`)).toContain('version: 1.0.0');
    // Putting the engine back changed nothing git declared: `mnops rollback` does not take it for a version change.
    expect(versionBefore(await remoteRecords(), PLATFORM, env, '1.0.0')).toBeUndefined();
    git(root, 'reset', '-q', '--hard', 'origin/main');
  }, 180_000);

  it('a change on the same line that cannot be rebased: the same, from the CLI', async () => {
    const theirs = pushFromElsewhere((dir) => edit(dir, instanceFile(env), '# pinned by the test', '# pinned by someone else'), 'a comment on the same line');
    const seen = (await remoteRecords()).length;
    const r = await cli(['deploy', PLATFORM, '--to', env, '--version', '1.1.0', '--timeout', '30']);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/deploy failed: .*the manifest commit could not be pushed: .*rebasing onto it failed/);
    expect(r.stdout).toContain('the previous version runs again and git is unchanged');
    expect(running()).toBe('1.0.0');
    expect(remoteMain()).toBe(theirs);
    const added = (await remoteRecords()).slice(seen).filter((x) => x.action !== 'lock' && x.action !== 'unlock');
    expect(added.map((x) => `${x.action} ${x.outcome}`)).toEqual(['promote failure', 'rollback success']);
    await expectEveryNamedCommitOnRemote();
    git(root, 'fetch', '-q', 'origin');
    git(root, 'reset', '-q', '--hard', 'origin/main');
  }, 180_000);

  it('a push rebased onto an unrelated change: deployed, and recorded under the commit the remote has', async () => {
    const theirs = pushFromElsewhere((dir) => {
      writeFileSync(path.join(dir, 'NOTES.md'), 'unrelated\n');
      git(dir, 'add', 'NOTES.md');
    }, 'an unrelated change');
    const local = git(root, 'rev-parse', 'HEAD').trim();
    expect(local).not.toBe(theirs);
    const r = await cli(['deploy', PLATFORM, '--to', env, '--version', '1.1.0', '--timeout', '30']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(running()).toBe('1.1.0');
    const head = remoteMain();
    expect(git(remote, 'rev-parse', 'main~1').trim()).toBe(theirs);
    const success = (await remoteRecords()).filter((x) => x.action === 'promote' && x.outcome === 'success').at(-1)!;
    expect(success.commit).toBe(head);
    expect(git(remote, 'log', '-1', '--format=%s', head).trim()).toBe(`deploy(${env}): ${PLATFORM} 1.0.0 → 1.1.0`);
    await expectEveryNamedCommitOnRemote();
  }, 180_000);
});
