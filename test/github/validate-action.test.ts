// actions/validate run as the runner runs it (real pull_request payload, the @actions/core file
// protocol) against a fake GitHub that checks every request and response against GitHub's
// OpenAPI description: a PR breaking two rules gets exactly two annotations on the right
// lines, a summary showing them, SARIF, and one sticky comment that is updated, not duplicated.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../actions/validate/src/main.js';
import { fakeGitHub, type FakeGitHub } from '../helpers/github-api.js';
import { FIXED_NOW, edit, exampleRepo, git, lineOf, removeDir } from '../helpers/repo.js';
import { OWNER, REPO, pullRequestEvent, runAction } from './harness.js';

const GOV = 'platforms/governance-platform/platform.yaml';
const PR = 7;
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeDir));

function repoWithPr(change: (root: string) => void): { root: string; base: string; head: string } {
  const root = exampleRepo({ git: true });
  roots.push(root);
  const base = git(root, 'rev-parse', 'HEAD').trim();
  change(root);
  git(root, 'commit', '-qam', 'the pull request');
  return { root, base, head: git(root, 'rev-parse', 'HEAD').trim() };
}

function validateOn(api: FakeGitHub, pr: { root: string; base: string; head: string }, inputs: Record<string, string> = {}) {
  return runAction(() => run({ fetch: api.fetch }), {
    workspace: pr.root,
    eventName: 'pull_request',
    event: pullRequestEvent(PR, pr.base, pr.head),
    sha: pr.head,
    ref: `refs/pull/${PR}/merge`,
    inputs: { token: 'ghs_test', ...inputs },
    env: { MNOPS_NOW: FIXED_NOW },
  });
}

/** The sticky comments mnops wrote: the marker, by the token's identity (GITHUB_TOKEN's bot). */
const stickyComments = (api: FakeGitHub) => (api.comments[PR] ?? []).filter((c) => c.body.startsWith('<!-- mnops:governance -->') && c.author === api.login);

describe('actions/validate on a pull request', () => {
  it('annotates exactly the two broken rules on their lines, summarises them, writes SARIF and one sticky comment; a re-run updates it', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    // A busy PR: the marker comment must be found behind two pages of other comments.
    api.seedComments(PR, Array.from({ length: 230 }, (_, i) => `review comment ${i}`));
    const pr = repoWithPr((root) => {
      edit(root, GOV, 'owner: governance-team', 'owner: data-team');
      edit(root, GOV, '  env:\n', '  env:\n    DB_PASSWORD: hunter2-is-not-a-secret\n');
    });

    const first = await validateOn(api, pr);
    expect(first.annotations).toEqual([
      expect.objectContaining({ level: 'error', title: 'ownership.owner', file: GOV, line: lineOf(pr.root, GOV, 'owner: data-team') }),
      expect.objectContaining({ level: 'error', title: 'secrets.plaintext', file: GOV, line: lineOf(pr.root, GOV, 'DB_PASSWORD') }),
    ]);
    expect(first.failed).toBe(true);
    expect(first.failure).toContain('2 error(s)');
    expect(first.outputs).toMatchObject({ errors: '2', warnings: '0', findings: '2' });
    expect(first.summary).toContain(`| ❌ | \`ownership.owner\` | \`${GOV}:${lineOf(pr.root, GOV, 'owner: data-team')}\``);
    expect(first.summary).toContain('`secrets.plaintext`');
    expect(first.summary).toMatch(/```mermaid\nflowchart LR[\s\S]*"governance-platform"/);
    const sarif = JSON.parse(readFileSync(first.outputs['sarif-file']!, 'utf8')) as { version: string; runs: { results: { ruleId: string }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.map((r) => r.ruleId).sort()).toEqual(['ownership.owner', 'secrets.plaintext']);
    expect(existsSync(first.outputs['report-file']!)).toBe(true);

    const [comment] = stickyComments(api);
    expect(stickyComments(api)).toHaveLength(1);
    expect(comment!.body).toContain('2 problem(s) must be fixed before merging');
    expect(comment!.body).toContain(`**\`${GOV}\` line ${lineOf(pr.root, GOV, 'DB_PASSWORD')}** (secrets.plaintext)`);
    expect(comment!.body).toContain('**Fix:** move it to spec.secrets');
    expect(first.outputs['comment-url']).toBeTruthy();

    // The author fixes one rule and pushes: the same comment is updated in place.
    edit(pr.root, GOV, 'owner: data-team', 'owner: governance-team');
    git(pr.root, 'commit', '-qam', 'fix the owner');
    const second = await validateOn(api, { ...pr, head: git(pr.root, 'rev-parse', 'HEAD').trim() });
    expect(second.annotations.map((a) => a.title)).toEqual(['secrets.plaintext']);
    expect(stickyComments(api)).toHaveLength(1);
    expect(stickyComments(api)[0]!.id).toBe(comment!.id);
    expect(stickyComments(api)[0]!.body).toContain('1 problem(s) must be fixed');
    expect(api.comments[PR]).toHaveLength(231);
    const methods = api.calls.map((c) => `${c.method} ${c.path.replace(/\d+/g, 'N')}`);
    expect(methods.filter((m) => m.startsWith('POST'))).toHaveLength(1);
    expect(methods.filter((m) => m.startsWith('PATCH'))).toHaveLength(1);
    expect(api.violations).toEqual([]);
  }, 60_000);

  it('keeps annotations within GitHub’s per-step limits and lists the rest in the summary', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    const keys = Array.from({ length: 13 }, (_, i) => `    DB_PASSWORD_${i}: not-a-secret-${i}\n`).join('');
    const pr = repoWithPr((root) => edit(root, GOV, '  env:\n', `  env:\n${keys}`));
    const r = await validateOn(api, pr, { comment: 'false' });
    expect(r.outputs.errors).toBe('13');
    const errors = r.annotations.filter((a) => a.level === 'error');
    expect(errors).toHaveLength(10);
    for (const a of errors) expect(a.line).toBe(lineOf(pr.root, GOV, `${a.message.match(/DB_PASSWORD_\d+/)![0]}:`));
    expect(r.summary).toContain('GitHub shows at most 10 errors and 10 warnings per step, so 3 more are listed only here');
    expect((r.summary.match(/\| ❌ \|/g) ?? []).length).toBe(13);
    expect(api.calls).toEqual([]);
  }, 60_000);

  it('reports a missing permission clearly and still gives the check its verdict', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    api.failAlways({ method: 'GET', path: /\/comments$/ }, 403, 'Resource not accessible by integration');
    const pr = repoWithPr((root) => edit(root, GOV, 'owner: governance-team', 'owner: data-team'));
    const r = await validateOn(api, pr);
    const warning = r.annotations.find((a) => a.level === 'warning');
    expect(warning?.message).toMatch(/GitHub refused to list the comments of #7: the token lacks the pull-requests: read permission \(403: Resource not accessible by integration\)/);
    expect(warning?.message).toContain('grant it to the job: permissions:');
    expect(r.outputs.errors).toBe('1');
    expect(r.failed).toBe(true);
    expect(api.violations).toEqual([]);
  }, 60_000);

  it('ignores a comment carrying the marker from anyone else, and never updates it', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    // The PR's author pastes the marker and a verdict of their own.
    const [forged] = api.seedComments(PR, ['<!-- mnops:governance -->\n### ✅ mnops governance: nothing to fix'], 'mallory');
    const pr = repoWithPr((root) => edit(root, GOV, 'owner: governance-team', 'owner: data-team'));
    const r = await validateOn(api, pr);
    expect(r.failed).toBe(true);
    const mine = stickyComments(api);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.body).toContain('1 problem(s) must be fixed before merging');
    expect(api.comments[PR]!.find((c) => c.id === forged!.id)).toEqual(forged);
    expect(api.calls.filter((c) => c.method === 'PATCH')).toEqual([]);
    // The author fixes it: the next run updates its own comment, still not the forged one.
    edit(pr.root, GOV, 'owner: data-team', 'owner: governance-team');
    git(pr.root, 'commit', '-qam', 'fix the owner');
    await validateOn(api, { ...pr, head: git(pr.root, 'rev-parse', 'HEAD').trim() });
    expect(stickyComments(api)).toHaveLength(1);
    expect(api.calls.filter((c) => c.method === 'PATCH').map((c) => c.path)).toEqual([`/repos/${OWNER}/${REPO}/issues/comments/${mine[0]!.id}`]);
    expect(api.comments[PR]!.find((c) => c.id === forged!.id)).toEqual(forged);
    expect(api.violations).toEqual([]);
  }, 60_000);

  it('shows a file named like x`✅ nothing to fix as a file name, never as markup', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    const sneaky = 'platforms/x`✅ nothing to fix/platform.yaml';
    const pr = repoWithPr((root) => {
      mkdirSync(path.dirname(path.join(root, sneaky)), { recursive: true });
      copyFileSync(path.join(root, GOV), path.join(root, sneaky));
      edit(root, sneaky, 'owner: governance-team', 'owner: data-team');
      git(root, 'add', '-A');
    });
    const r = await validateOn(api, pr);
    expect(r.failed).toBe(true);
    expect(r.annotations.some((a) => a.file === sneaky)).toBe(true);
    const body = stickyComments(api)[0]!.body;
    const lines = body.split('\n').filter((l) => l.includes('nothing to fix'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toContain('`platforms/xˋ✅ nothing to fix/platform.yaml`');
      expect(line.match(/`/g)).toHaveLength(2);
    }
    expect(body).not.toMatch(/^#+ .*nothing to fix/m);
    for (const row of r.summary.split('\n').filter((l) => l.includes('nothing to fix'))) expect(row).toContain('`platforms/xˋ✅ nothing to fix/platform.yaml:');
    expect(api.violations).toEqual([]);
  }, 60_000);

  it('passes a clean pull request and says so in the comment', async () => {
    const api = fakeGitHub({ owner: OWNER, repo: REPO });
    const pr = repoWithPr((root) => edit(root, GOV, 'owner: governance-team', 'owner: security-team'));
    const r = await validateOn(api, pr);
    expect(r.failed).toBe(false);
    expect(r.annotations).toEqual([]);
    expect(r.outputs).toMatchObject({ errors: '0', findings: '0' });
    expect(stickyComments(api)[0]!.body).toContain('mnops governance: nothing to fix');
    expect(api.violations).toEqual([]);
  }, 60_000);
});
