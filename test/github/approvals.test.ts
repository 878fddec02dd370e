// Approvals from GitHub itself: a run's environment review history, read through the
// OpenAPI-checked fake, decides who approved a deployment and whether a staging or prod
// environment may be changed by this run (default branch AND an approved review for the
// GitHub environment of the same name).
import { describe, expect, it } from 'vitest';
import { approversOf, assertProtectedRun, environmentApprovers, type EnvironmentReview } from '../../tools/lib/github/approvals.js';
import { createGitHubClient } from '../../tools/lib/github/client.js';
import type { ActionContext } from '../../tools/lib/github/event.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-api.js';

const owner = 'octo-org';
const repo = 'octo-repo';
const RUN = 4242;

function context(over: Partial<ActionContext> = {}): ActionContext {
  return {
    owner,
    repo,
    eventName: 'workflow_dispatch',
    sha: '0'.repeat(40),
    branch: 'main',
    ref: 'refs/heads/main',
    defaultBranch: 'main',
    runId: RUN,
    actor: 'octocat',
    workspace: '/tmp',
    serverUrl: 'https://github.com',
    event: {},
    ...over,
  };
}

const client = (api: FakeGitHub) => createGitHubClient({ token: 'ghs_test', fetch: api.fetch, baseUrl: 'https://api.github.com' });

describe('approversOf', () => {
  const reviews: EnvironmentReview[] = [
    { state: 'approved', login: 'alice', environments: ['prod'], comment: '' },
    { state: 'rejected', login: 'bob', environments: ['prod'], comment: 'no' },
    { state: 'approved', login: 'carol', environments: ['staging', 'prod'], comment: '' },
    { state: 'approved', login: 'Alice', environments: ['prod'], comment: 'again' },
    { state: 'pending', login: 'dave', environments: ['prod'], comment: 'looking' },
    { state: 'approved', login: 'erin', environments: ['production'], comment: '' },
  ];
  it('lists who approved an environment of exactly that name, once each, in order', () => {
    expect(approversOf(reviews, 'prod')).toEqual(['alice', 'carol']);
    expect(approversOf(reviews, 'staging')).toEqual(['carol']);
    expect(approversOf(reviews, 'dev')).toEqual([]);
  });
});

describe('environmentApprovers', () => {
  it('reads the run’s review history from GitHub', async () => {
    const api = fakeGitHub({ owner, repo });
    api.seedRunReview(RUN, { environments: ['stage'], user: 'alice' });
    api.seedRunReview(RUN, { environments: ['prod'], user: 'mallory' });
    api.seedRunReview(RUN + 1, { environments: ['stage'], user: 'bob' });
    expect(await environmentApprovers(client(api), context(), 'stage')).toEqual(['alice']);
    expect(api.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET /repos/${owner}/${repo}/actions/runs/${RUN}/approvals`]);
    expect(api.violations).toEqual([]);
  });

  it('says which permission is missing', async () => {
    const api = fakeGitHub({ owner, repo });
    api.failAlways({ path: /approvals$/ }, 403);
    await expect(environmentApprovers(client(api), context(), 'stage')).rejects.toThrow(
      `GitHub refused to read the environment approvals of run ${RUN}: the token lacks the actions: read permission (403: Resource not accessible by integration)`,
    );
  });
});

describe('assertProtectedRun', () => {
  const prod = [{ environment: 'prod', tier: 'prod' as const }];

  it('lets dev and sandbox through without asking GitHub anything', async () => {
    const api = fakeGitHub({ owner, repo });
    await assertProtectedRun(client(api), context({ ref: 'refs/heads/feature' }), [{ environment: 'dev', tier: 'dev' }, { environment: 'sb', tier: 'sandbox' }], 'heal');
    await assertProtectedRun(undefined, context(), [{ environment: 'dev', tier: 'dev' }], 'heal');
    expect(api.calls).toEqual([]);
  });

  it('passes prod on the default branch with an approved review for the GitHub environment prod', async () => {
    const api = fakeGitHub({ owner, repo });
    api.seedRunReview(RUN, { environments: ['prod'], user: 'alice' });
    await assertProtectedRun(client(api), context(), prod, 'heal');
    expect(api.violations).toEqual([]);
  });

  it('refuses another branch, before reading any approval', async () => {
    const api = fakeGitHub({ owner, repo });
    api.seedRunReview(RUN, { environments: ['prod'], user: 'alice' });
    await expect(assertProtectedRun(client(api), context({ ref: 'refs/heads/feature', branch: 'feature' }), prod, 'heal')).rejects.toThrow(
      'refusing to heal prod (tier prod): the run is on refs/heads/feature, not on the default branch main',
    );
    expect(api.calls).toEqual([]);
  });

  it('refuses without an approval of that very environment: none, a rejection, another environment’s', async () => {
    const api = fakeGitHub({ owner, repo });
    const refused = 'refusing to heal prod (tier prod): this run has no approved review for the GitHub environment "prod"';
    await expect(assertProtectedRun(client(api), context(), prod, 'heal')).rejects.toThrow(refused);
    api.seedRunReview(RUN, { environments: ['prod'], user: 'bob', state: 'rejected' });
    api.seedRunReview(RUN, { environments: ['staging', 'production'], user: 'alice' });
    await expect(assertProtectedRun(client(api), context(), prod, 'heal')).rejects.toThrow(refused);
    expect(api.violations).toEqual([]);
  });

  it('needs every protected target approved, and counts an environment that does not load as protected', async () => {
    const api = fakeGitHub({ owner, repo });
    api.seedRunReview(RUN, { environments: ['staging'], user: 'alice' });
    const targets = [
      { environment: 'dev', tier: 'dev' as const },
      { environment: 'staging', tier: 'staging' as const },
      { environment: 'broken', tier: undefined },
    ];
    await expect(assertProtectedRun(client(api), context(), targets, 'heal')).rejects.toThrow(
      'refusing to heal staging (tier staging) and broken (tier unknown): this run has no approved review for the GitHub environment "broken"',
    );
  });

  it('reads the default branch from the API when the event does not say it, and refuses without a token or a run id', async () => {
    const api = fakeGitHub({ owner, repo, defaultBranch: 'trunk' });
    api.seedRunReview(RUN, { environments: ['prod'], user: 'alice' });
    const { defaultBranch: _, ...noBranch } = context();
    await expect(assertProtectedRun(client(api), noBranch, prod, 'heal')).rejects.toThrow('not on the default branch trunk');
    await assertProtectedRun(client(api), { ...noBranch, ref: 'refs/heads/trunk' }, prod, 'heal');
    await expect(assertProtectedRun(undefined, context(), prod, 'heal')).rejects.toThrow('refusing to heal prod (tier prod): without a token the approvals of this run cannot be read');
    const { runId: __, ...noRun } = context();
    await expect(assertProtectedRun(client(api), noRun, prod, 'heal')).rejects.toThrow('GITHUB_RUN_ID is not set');
    expect(api.violations).toEqual([]);
  });
});
