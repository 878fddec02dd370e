// `mnops audit verify --github`: the audit heads GitHub keeps in deployment statuses (written
// by the deploy action's code) are each a record of the chain with that hash — checked on the
// OpenAPI-checked fake, through the library and through the CLI over HTTP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail, verifyTrail, type AuditRecord } from '../../tools/lib/audit/index.js';
import { createGitHubClient } from '../../tools/lib/github/client.js';
import { createDeployment, describeWithHead, headOf, recordedHeads, setDeploymentState } from '../../tools/lib/github/deployment.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-api.js';
import { git, mnops, removeDir, tempDir } from '../helpers/repo.js';
import { OWNER, REPO } from './harness.js';

const base = tempDir('mnops-heads-');
const records: AuditRecord[] = [];
let reader = '';

beforeAll(async () => {
  git(base, 'init', '-q', '--bare', '-b', 'main', `${base}/remote.git`);
  git(base, 'clone', '-q', `${base}/remote.git`, `${base}/writer`);
  const trail = await AuditTrail.open({ root: `${base}/writer`, key: null, identity: { actor: 'ci' } });
  for (let i = 1; i <= 3; i++) records.push((await trail.append({ id: `r${i}`, actor: 'ci', action: 'promote', environment: 'prod', platform: 'checkout', toVersion: `1.${i}.0`, outcome: 'success' })).record!);
  git(base, 'clone', '-q', `${base}/remote.git`, `${base}/reader`);
  reader = `${base}/reader`;
}, 60_000);
afterAll(() => removeDir(base));

/** A deployment with the statuses the deploy action writes: in_progress, then the result with the head. */
async function deployed(api: FakeGitHub, environment: string, head: { seq: number; hash: string }): Promise<void> {
  const gh = createGitHubClient({ token: 'ghs_test', fetch: api.fetch });
  const d = await createDeployment(gh, api, { ref: 'main', environment, description: 'mnops deploy checkout', production: environment === 'prod', transient: false, payload: {} });
  await setDeploymentState(gh, d, 'in_progress', 'deploying checkout');
  await setDeploymentState(gh, d, 'success', `1.${head.seq}.0 deployed — a long description that GitHub would cut at 140 characters, so the head goes last`, 'https://github.com/x/y/actions/runs/1', head);
}

describe('audit heads in GitHub deployment statuses', () => {
  it('a description carries the full head within 140 characters, and reads back', () => {
    const text = describeWithHead('x'.repeat(300), { seq: 12345, hash: 'a'.repeat(64) });
    expect(text.length).toBeLessThanOrEqual(140);
    expect(headOf(text)).toEqual({ seq: 12345, hash: 'a'.repeat(64) });
    expect(headOf('deployed 1.2.0')).toBeUndefined();
  });

  it('passes when every head GitHub holds is a record of the chain; names a head the chain does not contain', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    await deployed(api, 'staging', records[1]!);
    await deployed(api, 'prod', records[2]!);
    const gh = createGitHubClient({ token: 'ghs_test', fetch: api.fetch });
    const heads = (await recordedHeads(gh, api)).map((h) => ({ seq: h.seq, hash: h.hash, source: `GitHub deployment ${h.deploymentId}` }));
    expect(heads.map((h) => h.seq).sort()).toEqual([2, 3]);
    const ok = await verifyTrail(await AuditTrail.open({ root: reader }), { heads, witness: false });
    expect(ok.breaks).toEqual([]);
    expect(ok.heads).toBe(2);

    // A deploy recorded a head of a chain that is not this one (this one was rewritten since).
    await deployed(api, 'prod', { seq: 3, hash: 'e'.repeat(64) });
    const all = (await recordedHeads(gh, api)).map((h) => ({ seq: h.seq, hash: h.hash, source: `GitHub deployment ${h.deploymentId} to ${h.environment}` }));
    const bad = await verifyTrail(await AuditTrail.open({ root: reader }), { heads: all, witness: false });
    expect(bad.breaks.map((b) => [b.kind, b.seq])).toEqual([['head-mismatch', 3]]);
    expect(bad.breaks[0]!.message).toMatch(/^GitHub deployment \d+ to prod records the audit head #3 eeeeeeeeeeee, but the trail's #3 is [0-9a-f]{12} \(r3\): the trail was rewritten after that deployment$/);
    expect(api.violations).toEqual([]);
  }, 60_000);

  describe('the CLI', () => {
    let api: FakeGitHub;
    let server: Server;
    let url = '';
    beforeAll(async () => {
      api = fakeGitHub({ owner: OWNER, repo: REPO });
      // The fake over HTTP, so the CLI process talks to it as it would to api.github.com.
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
          api
            .fetch(`${url}${req.url ?? '/'}`, { method: req.method, ...(body ? { body } : {}) })
            .then(async (r) => {
              res.writeHead(r.status, Object.fromEntries(r.headers));
              res.end(Buffer.from(await r.arrayBuffer()));
            })
            .catch((err: Error) => {
              res.writeHead(500, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ message: err.message }));
            });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const verify = (env: Record<string, string | undefined> = {}) =>
      mnops(['audit', 'verify', '--github', '--repo', `${OWNER}/${REPO}`, '--root', reader], { env: { GITHUB_API_URL: url, GITHUB_TOKEN: 'ghs_test', GH_TOKEN: undefined, ...env } });

    it('checks the heads over the API: exit 0 when they agree, exit 1 naming the deployment when one does not', async () => {
      await deployed(api, 'prod', records[2]!);
      const ok = await verify();
      expect(ok.stdout).toContain('GitHub: 1 audit head in deployment statuses checked');
      expect(ok.status, ok.stdout + ok.stderr).toBe(0);

      await deployed(api, 'prod', { seq: 9, hash: 'd'.repeat(64) });
      const bad = await verify();
      expect(bad.status, bad.stdout + bad.stderr).toBe(1);
      expect(bad.stdout).toMatch(/✖ head-mismatch +GitHub deployment \d+ to prod \(status \d+, [^)]+\) records the audit head #9 dddddddddddd, but the trail ends at #3/);
      expect(api.calls.filter((c) => c.method === 'GET').map((c) => c.path)).toContain(`/repos/${OWNER}/${REPO}/deployments`);
      expect(api.violations).toEqual([]);
    }, 60_000);

    it('without a token it cannot check: exit 2 in one sentence', async () => {
      const r = await verify({ GITHUB_TOKEN: undefined });
      expect(r.status).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe('mnops: audit verify --github needs a GitHub token in GITHUB_TOKEN (or GH_TOKEN)');
    }, 30_000);
  });
});
