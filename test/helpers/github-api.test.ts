// The fake GitHub API checks its traffic against GitHub's OpenAPI description: these tests show
// it serves what Octokit asks for, and that it catches bad requests and bad responses.
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { RequestError } from '@octokit/request-error';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeGitHub, type FakeGitHub } from './github-api.js';
import { githubContract, toAjvSchema } from './openapi-check.js';

const owner = 'octo-org';
const repo = 'octo-repo';
// Octokit logs every failed request; here failing is the point.
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
let api: FakeGitHub;
let octokit: Octokit;

/** Octokit's types already refuse these requests; code built from dynamic values is not typed. */
function untyped(route: string, params: Record<string, unknown>) {
  return octokit.request(route, params);
}

beforeAll(() => {
  githubContract(); // parse the spec once, outside any test's timing
});

beforeEach(() => {
  api = fakeGitHub({ owner, repo });
  octokit = new Octokit({ auth: 'x', log: quiet, request: { fetch: api.fetch } });
});

describe('issue comments', () => {
  it('creates, pages through and updates comments, all within the contract', async () => {
    const { data: created } = await octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: 'first' });
    expect(created).toMatchObject({ body: 'first', user: { login: 'github-actions[bot]', type: 'Bot' } });
    api.seedComments(7, Array.from({ length: 250 }, (_, i) => `seeded ${i}`));

    const all = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: 7, per_page: 100 });
    expect(all).toHaveLength(251);
    expect(all[0]?.id).toBe(created.id);
    expect(all.map((c) => c.id)).toEqual([...all.map((c) => c.id)].sort((a, b) => a - b));
    const pages = api.calls.filter((c) => c.method === 'GET');
    expect(pages).toHaveLength(3);
    expect(pages.map((c) => c.query.page ?? '1')).toEqual(['1', '2', '3']);

    const { data: updated } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: created.id, body: 'edited' });
    expect(updated.body).toBe('edited');
    expect(api.comments[7]?.[0]?.body).toBe('edited');
    expect(api.violations).toEqual([]);
  });

  it('answers with a Link header only when there is another page', async () => {
    api.seedComments(3, ['a', 'b', 'c']);
    const first = await octokit.rest.issues.listComments({ owner, repo, issue_number: 3, per_page: 2 });
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toContain('rel="last"');
    const last = await octokit.rest.issues.listComments({ owner, repo, issue_number: 3, per_page: 2, page: 2 });
    expect(last.data.map((c) => c.body)).toEqual(['c']);
    expect(last.headers.link).not.toContain('rel="next"');
    expect(first.headers['x-ratelimit-remaining']).toMatch(/^\d{4}$/);
  });

  it('refuses a comment longer than GitHub allows, with a 422 in the spec\'s shape', async () => {
    await expect(octokit.rest.issues.createComment({ owner, repo, issue_number: 1, body: 'x'.repeat(65537) })).rejects.toMatchObject({ status: 422 });
    expect(api.violations).toEqual([]);
  });
});

describe('deployments', () => {
  it('records statuses in order', async () => {
    const { data: d, status } = await octokit.rest.repos.createDeployment({
      owner,
      repo,
      ref: 'main',
      environment: 'preview',
      auto_merge: false,
      required_contexts: [],
      transient_environment: true,
      production_environment: false,
      payload: { pr: 12 },
    });
    expect(status).toBe(201);
    if (!('id' in d)) throw new Error('expected a deployment, got the 202 merge answer');
    await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: d.id, state: 'in_progress' });
    await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: d.id, state: 'success', environment_url: 'https://pr-12.example.com', log_url: 'https://ci.example.com/1' });

    expect(api.deployments[0]?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    const { data: listed } = await octokit.rest.repos.listDeploymentStatuses({ owner, repo, deployment_id: d.id });
    expect(listed.map((s) => s.state)).toEqual(['success', 'in_progress']);
    expect(listed[0]).toMatchObject({ environment: 'preview', environment_url: 'https://pr-12.example.com', target_url: 'https://ci.example.com/1' });
    expect(api.violations).toEqual([]);
  });

  it('marks the previous successful deployment to the environment inactive (auto_inactive)', async () => {
    for (let i = 0; i < 2; i++) {
      const { data } = await octokit.rest.repos.createDeployment({ owner, repo, ref: `v${i}`, environment: 'staging', required_contexts: [] });
      if (!('id' in data)) throw new Error('expected a deployment');
      await octokit.rest.repos.createDeploymentStatus({ owner, repo, deployment_id: data.id, state: 'success' });
    }
    expect(api.deployments.map((d) => d.statuses.map((s) => s.state))).toEqual([['success', 'inactive'], ['success']]);
  });
});

describe('issues', () => {
  it('creates with labels, lists by label and state, and closes as completed', async () => {
    api.seedIssue({ title: 'unrelated', labels: ['bug'] });
    api.seedIssue({ title: 'old drift', labels: ['drift'], state: 'closed' });
    const { data: issue } = await octokit.rest.issues.create({ owner, repo, title: 'Drift in dev', body: 'details', labels: ['drift'] });
    expect(issue.labels).toEqual([expect.objectContaining({ name: 'drift' })]);
    expect(issue.pull_request).toBeUndefined();

    const open = await octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo, state: 'open', labels: 'drift', per_page: 100 });
    expect(open.map((i) => i.number)).toEqual([issue.number]);
    const all = await octokit.rest.issues.listForRepo({ owner, repo, state: 'all', labels: 'drift' });
    expect(all.data.map((i) => i.title).sort()).toEqual(['Drift in dev', 'old drift']);

    const { data: closed } = await octokit.rest.issues.update({ owner, repo, issue_number: issue.number, state: 'closed', state_reason: 'completed' });
    expect(closed).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(closed.closed_at).not.toBeNull();
    expect(api.issues.find((i) => i.number === issue.number)).toMatchObject({ state: 'closed', state_reason: 'completed' });
    const { data: fetched } = await octokit.rest.issues.get({ owner, repo, issue_number: issue.number });
    expect(fetched.state).toBe('closed');
    expect(api.violations).toEqual([]);
  });

  it('numbers issues after pull requests that have comments', async () => {
    api.seedComments(41, ['on a pull request']);
    const { data } = await octokit.rest.issues.create({ owner, repo, title: 't' });
    expect(data.number).toBe(42);
  });

  it('serves the repository', async () => {
    const { data } = await octokit.rest.repos.get({ owner, repo });
    expect(data).toMatchObject({ full_name: `${owner}/${repo}`, default_branch: 'main' });
    await expect(octokit.rest.repos.get({ owner, repo: 'other' })).rejects.toMatchObject({ status: 404 });
    expect(api.violations).toEqual([]);
  });

  it('takes a Request, answers with the headers Octokit reads, and serves GitHub Enterprise paths', async () => {
    const res = await api.fetch(new Request(`https://api.github.com/repos/${owner}/${repo}`));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-github-request-id')).toBeTruthy();
    expect(Number(res.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(100);
    expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    const ghes = new Octokit({ auth: 'x', log: quiet, baseUrl: 'https://ghe.example.com/api/v3', request: { fetch: api.fetch } });
    expect((await ghes.rest.repos.get({ owner, repo })).data.name).toBe(repo);
  });
});

describe('the token and its run', () => {
  it('refuses GET /user to an installation token and answers it for a user token', async () => {
    await expect(octokit.rest.users.getAuthenticated()).rejects.toMatchObject({ status: 403 });
    const user = fakeGitHub({ owner, repo, login: 'octocat' });
    const asUser = new Octokit({ auth: 'x', log: quiet, request: { fetch: user.fetch } });
    const { data } = await asUser.rest.users.getAuthenticated();
    expect(data).toMatchObject({ login: 'octocat', type: 'User' });
    expect([...api.violations, ...user.violations]).toEqual([]);
  });

  it('serves a run’s environment review history, every review whole', async () => {
    api.seedRunReview(4242, { environments: ['prod'], user: 'alice', comment: 'ship it' });
    api.seedRunReview(4242, { environments: ['staging', 'prod'], user: 'bob', state: 'rejected' });
    const { data } = await octokit.rest.actions.getReviewsForRun({ owner, repo, run_id: 4242 });
    expect(data.map((r) => [r.user.login, r.state, r.environments.map((e) => e.name), r.comment])).toEqual([
      ['alice', 'approved', ['prod'], 'ship it'],
      ['bob', 'rejected', ['staging', 'prod'], ''],
    ]);
    expect(data[0]!.environments[0]!.id).toBe(data[1]!.environments[1]!.id);
    expect((await octokit.rest.actions.getReviewsForRun({ owner, repo, run_id: 1 })).data).toEqual([]);
    expect(api.violations).toEqual([]);
  });

  it('lists a pull request’s reviews, paginated', async () => {
    api.seedPullReview(7, { user: 'alice' });
    api.seedPullReview(7, { user: 'bob', state: 'CHANGES_REQUESTED', body: 'no' });
    api.seedPullReview(8, { user: 'carol' });
    const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, { owner, repo, pull_number: 7, per_page: 1 });
    expect(reviews.map((r) => [r.user?.login, r.state])).toEqual([
      ['alice', 'APPROVED'],
      ['bob', 'CHANGES_REQUESTED'],
    ]);
    expect(api.violations).toEqual([]);
  });

  it('serves the default branch it was given', async () => {
    const other = fakeGitHub({ owner, repo, defaultBranch: 'trunk' });
    const client = new Octokit({ auth: 'x', log: quiet, request: { fetch: other.fetch } });
    expect((await client.rest.repos.get({ owner, repo })).data.default_branch).toBe('trunk');
  });
});

describe('contract checks', () => {
  it('rejects a request body without a required property', async () => {
    await expect(
      untyped('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: 1, bodyy: 'x' }),
    ).rejects.toThrow(/OpenAPI contract violation/);
    expect(api.violations.join('\n')).toMatch(/issues\/create-comment.*must have required property 'body'/);
    expect(api.violations.join('\n')).toMatch(/undeclared property bodyy/);
    expect(api.calls.at(-1)?.status).toBe(0);
  });

  it('rejects an unknown path and an unknown method', async () => {
    await expect(octokit.request('GET /repos/{owner}/{repo}/nonsense', { owner, repo })).rejects.toThrow(/OpenAPI contract violation/);
    await expect(octokit.request('DELETE /repos/{owner}/{repo}/issues/{issue_number}', { owner, repo, issue_number: 1 })).rejects.toThrow(
      /no DELETE operation/,
    );
    expect(api.violations).toHaveLength(2);
    expect(api.violations[0]).toMatch(/no path in the spec matches \/repos\/octo-org\/octo-repo\/nonsense/);
  });

  it('rejects undeclared and ill-typed query parameters and bad enum values', async () => {
    await expect(untyped('GET /repos/{owner}/{repo}/issues', { owner, repo, state: 'everything' })).rejects.toThrow(/state must be equal to one of/);
    await expect(untyped('GET /repos/{owner}/{repo}/issues', { owner, repo, per_page: 'many' })).rejects.toThrow(/per_page must be integer/);
    await expect(octokit.request('GET /repos/{owner}/{repo}/issues', { owner, repo, colour: 'red' })).rejects.toThrow(/additional properties \(colour\)/);
    await expect(untyped('GET /repos/{owner}/{repo}/issues/{issue_number}', { owner, repo, issue_number: 'abc' })).rejects.toThrow(
      /path parameters: \/issue_number must be integer/,
    );
    expect(api.violations).toHaveLength(4);
  });

  it('rejects a bad value inside a body', async () => {
    await expect(untyped('PATCH /repos/{owner}/{repo}/issues/{issue_number}', { owner, repo, issue_number: 1, state: 'shut' })).rejects.toThrow(
      /request body: \/state must be equal to one of the allowed values \(open, closed\)/,
    );
  });

  it('checks responses too: a response missing a required field rejects', async () => {
    api.corruptNextResponse();
    await expect(octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: 'hi' })).rejects.toThrow(
      /OpenAPI contract violation: .*response 201 body: \/ must have required property 'id'/,
    );
    expect(api.violations).toHaveLength(1);
    // Only the next response: the one after is whole again.
    await octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: 'hi' });
    expect(api.violations).toHaveLength(1);
  });

  it('flags an operation the fake does not implement', async () => {
    await expect(octokit.rest.pulls.list({ owner, repo })).rejects.toThrow(/does not implement GET \/repos\/\{owner\}\/\{repo\}\/pulls/);
    expect(api.violations).toHaveLength(1);
  });

  it('fails fast under the retry plugin instead of retrying a violation', async () => {
    const Client = Octokit.plugin(retry, throttling);
    const asFetch: typeof fetch = api.fetch; // fits wherever a fetch is expected
    const client = new Client({ auth: 'x', log: quiet, request: { fetch: asFetch }, throttle: { onRateLimit: () => false, onSecondaryRateLimit: () => false } });
    const started = Date.now();
    await expect(client.request('GET /repos/{owner}/{repo}/nonsense', { owner, repo })).rejects.toThrow(/OpenAPI contract violation/);
    expect(Date.now() - started).toBeLessThan(500);
    expect(api.calls).toHaveLength(1);
  });
});

describe('faults', () => {
  it('failNext(403) makes Octokit throw a RequestError with the message, once', async () => {
    api.failNext({ method: 'POST', path: /\/comments$/ }, 403, 'Resource not accessible by integration');
    const err: unknown = await octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ status: 403, response: { data: { message: 'Resource not accessible by integration' } } });
    expect((err as RequestError).message).toMatch(/Resource not accessible by integration/);
    expect((err as RequestError).response?.headers['x-github-request-id']).toBeTruthy();

    await octokit.rest.issues.createComment({ owner, repo, issue_number: 7, body: 'x' });
    expect(api.calls.map((c) => c.status)).toEqual([403, 201]);
    expect(api.violations).toEqual([]);
  });

  it('failAlways keeps failing, so retries fail too', async () => {
    api.failAlways({ path: /\/issues$/ }, 404);
    await expect(octokit.rest.issues.listForRepo({ owner, repo })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.rest.issues.create({ owner, repo, title: 't' })).rejects.toMatchObject({ status: 404 });
    api.clearFaults();
    await octokit.rest.issues.listForRepo({ owner, repo });
    expect(api.violations).toEqual([]);
  });

  it('a 500 is retried by the retry plugin and then succeeds', async () => {
    const Client = Octokit.plugin(retry);
    const client = new Client({ auth: 'x', log: quiet, request: { fetch: api.fetch }, retry: { retryAfterBaseValue: 1 } });
    api.failNext({ method: 'GET' }, 500);
    const { data } = await client.rest.repos.get({ owner, repo });
    expect(data.name).toBe(repo);
    expect(api.calls.map((c) => c.status)).toEqual([500, 200]);
  });
});

describe('nullable (OpenAPI 3.0) becomes JSON Schema', () => {
  it('widens a type and its enum, and wraps compositions', () => {
    expect(toAjvSchema({ type: 'string', enum: ['a'], nullable: true, example: 'a' }, '')).toEqual({ type: ['string', 'null'], enum: ['a', null] });
    expect(toAjvSchema({ oneOf: [{ type: 'string' }, { type: 'integer' }], nullable: true }, '')).toEqual({
      anyOf: [{ oneOf: [{ type: 'string' }, { type: 'integer' }] }, { type: 'null' }],
    });
    expect(toAjvSchema({ properties: { u: { $ref: '#/components/schemas/x' } } }, 'gh')).toEqual({ properties: { u: { $ref: 'gh#/components/schemas/x' } } });
  });
});
