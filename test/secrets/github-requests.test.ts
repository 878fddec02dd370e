// Nothing mnops sends to GitHub carries a secret this run resolved, whoever built the text:
// the client redacts the free text of every request (issue and comment bodies, titles,
// deployment descriptions and payloads), and deployment descriptions are redacted before
// GitHub's 140-character cut, which would otherwise keep a piece of a value.
import { describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../tools/lib/github/client.js';
import { setDeploymentState } from '../../tools/lib/github/deployment.js';
import { rememberSecrets } from '../../tools/lib/secrets/index.js';
import { fakeGitHub } from '../helpers/github-api.js';

const owner = 'octo-org';
const repo = 'octo-repo';
const SECRET = 'zq7-github-request-secret-value';

describe('requests to GitHub', () => {
  it('redact every known value from bodies, titles, descriptions and payloads', async () => {
    rememberSecrets([SECRET]);
    const api = fakeGitHub({ owner, repo });
    const gh = createGitHubClient({ token: 'ghs_test', fetch: api.fetch, baseUrl: 'https://api.github.com' });
    await gh.rest.issues.create({ owner, repo, title: `drift ${SECRET}`, body: `value ${SECRET}` });
    await gh.rest.issues.createComment({ owner, repo, issue_number: 1, body: `again ${SECRET} and ghp_0123456789abcdefghijABCDEFGHIJ0123456789` });
    const { data } = await gh.rest.repos.createDeployment({ owner, repo, ref: 'main', environment: 'dev', description: SECRET, payload: { note: [SECRET] }, required_contexts: [] });
    const id = 'id' in data ? data.id : 0;
    await setDeploymentState(gh, { owner, repo, id, environment: 'dev' }, 'failure', `${'x'.repeat(130)} ${SECRET}`);
    const sent = JSON.stringify(api.calls.map((c) => c.body));
    expect(sent).not.toContain(SECRET.slice(0, 5));
    expect(sent).not.toContain('ghp_0123');
    expect(api.issues[0]).toMatchObject({ title: 'drift ***', body: 'value ***' });
    expect(api.deployments[0]!.statuses[0]!.description).toBe(`${'x'.repeat(130)} ***`);
    expect(api.violations).toEqual([]);
  });
});
