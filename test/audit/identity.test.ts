// Who a record says wrote it: the runner's word, never the caller's. In GitHub Actions the
// workflow's actor and run; elsewhere the repository's git identity, else the OS account.
import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { actionsRunUrl, gitIdentity, runnerIdentity } from '../../tools/lib/audit/identity.js';
import { git, removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** A repository with only the identity given, read without the machine's own git config. */
function repoWith(config: Record<string, string>): { root: string; env: NodeJS.ProcessEnv } {
  const root = tempDir('mnops-identity-');
  dirs.push(root);
  const env = { PATH: process.env.PATH, HOME: root, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  git(root, 'init', '-q');
  for (const [k, v] of Object.entries(config)) git(root, 'config', k, v);
  return { root, env };
}

describe('runner identity', () => {
  it('the Actions run page, from the variables the runner sets', () => {
    expect(actionsRunUrl({ GITHUB_REPOSITORY: 'acme/ops', GITHUB_RUN_ID: '42' })).toBe('https://github.com/acme/ops/actions/runs/42');
    expect(actionsRunUrl({ GITHUB_REPOSITORY: 'acme/ops', GITHUB_RUN_ID: '42', GITHUB_SERVER_URL: 'https://ghe.example' })).toBe('https://ghe.example/acme/ops/actions/runs/42');
    expect(actionsRunUrl({ GITHUB_RUN_ID: '42' })).toBeUndefined();
    expect(actionsRunUrl({ GITHUB_REPOSITORY: 'acme/ops' })).toBeUndefined();
  });

  it('in Actions: the actor and the run, whatever the git identity says', () => {
    const { root } = repoWith({ 'user.name': 'Someone Else' });
    expect(runnerIdentity({ GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'octocat', GITHUB_REPOSITORY: 'acme/ops', GITHUB_RUN_ID: '7' }, root)).toEqual({
      actor: 'octocat',
      run: 'https://github.com/acme/ops/actions/runs/7',
    });
    expect(runnerIdentity({ GITHUB_ACTIONS: 'true', GITHUB_ACTOR: 'octocat' }, root)).toEqual({ actor: 'octocat' });
  });

  it('outside Actions a GITHUB_ACTOR is anyone’s to set, and is not believed', () => {
    const { root, env } = repoWith({ 'user.name': 'Ada', 'user.email': 'ada@example.com' });
    expect(runnerIdentity({ ...env, GITHUB_ACTOR: 'octocat' }, root)).toEqual({ actor: 'Ada <ada@example.com>' });
    expect(runnerIdentity({ ...env, GITHUB_ACTIONS: 'false', GITHUB_ACTOR: 'octocat' }, root)).toEqual({ actor: 'Ada <ada@example.com>' });
  });

  it('the git identity: name and email, either alone, or none', () => {
    expect(gitIdentity(...args(repoWith({ 'user.name': 'Ada', 'user.email': 'ada@example.com' })))).toBe('Ada <ada@example.com>');
    expect(gitIdentity(...args(repoWith({ 'user.name': 'Ada' })))).toBe('Ada');
    expect(gitIdentity(...args(repoWith({ 'user.email': 'ada@example.com' })))).toBe('ada@example.com');
    expect(gitIdentity(...args(repoWith({})))).toBeUndefined();
  });

  it('with no git identity, or no repository named, the account running the process — not $USER', () => {
    const account = os.userInfo().username;
    const { root, env } = repoWith({});
    expect(runnerIdentity({ ...env, USER: 'mallory' }, root)).toEqual({ actor: account });
    expect(runnerIdentity({ USER: 'mallory', LOGNAME: 'mallory' })).toEqual({ actor: account });
  });
});

function args(r: { root: string; env: NodeJS.ProcessEnv }): [string, NodeJS.ProcessEnv] {
  return [r.root, r.env];
}
