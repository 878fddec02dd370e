// What a pull request (or an engine) can put into names, messages and file names never becomes
// markup in the PR comment, the job summary or a drift issue, never a forged line in an
// Actions log, and never a second header on a push; the sticky comment and the drift issues
// are only ever the token's own.
import { afterEach, describe, expect, it } from 'vitest';
import type { DriftReport, EnvironmentDrift } from '../../tools/lib/drift/detect.js';
import { formatEnvironmentMarkdown, formatMarkdown, formatText } from '../../tools/lib/drift/format.js';
import { logLine } from '../../tools/lib/github/action.js';
import { createGitHubClient } from '../../tools/lib/github/client.js';
import { tokenLogin, upsertStickyComment } from '../../tools/lib/github/comment.js';
import { driftIssueTitle, driftMarker, openDriftIssues } from '../../tools/lib/github/drift-issue.js';
import { extraHeaderKey, useTokenForGit } from '../../tools/lib/github/git-auth.js';
import { annotationOf, jobSummary, planAnnotations, prComment, type SummaryInput } from '../../tools/lib/github/validate-report.js';
import { buildEcosystem, type Ecosystem } from '../../tools/lib/manifest/ecosystem.js';
import { summarize, type Finding, type Report } from '../../tools/lib/report/index.js';
import { fakeGitHub } from '../helpers/github-api.js';

/** The file name of the brief: a backtick, then what a clean comment says. */
const SNEAKY_FILE = 'platforms/x`✅ nothing to fix/platform.yaml';
const FORGED = '\n::error::forged\r\n<!-- mnops:governance -->**bold** [link](https://evil.example) $\\color{green}{ok}$ \u001b[8m';

function finding(over: Partial<Finding> = {}): Finding {
  return { ruleId: 'ownership.owner', severity: 'error', message: 'owner data-team is not a namespace owner', hint: 'use governance-team', file: SNEAKY_FILE, line: 3, column: 5, ...over };
}

function summaryInput(findings: Finding[], over: Partial<SummaryInput> = {}): SummaryInput {
  const report: Report = { summary: summarize(12, findings), findings, root: '/repo', toolVersion: '0.0.0' };
  return { report, ecosystem: {} as Ecosystem, plan: planAnnotations(findings), prefix: '.', ...over };
}

/** Code spans of a markdown line: the text between pairs of backticks. */
const spans = (line: string) => [...line.matchAll(/`([^`]*)`/g)].map((m) => m[1]);
/** Markdown outside code spans (inside one, text is literal): where markup would render. */
const rendered = (text: string) => text.replace(/`[^`\n]*`/g, '');

describe('the sticky PR comment and the job summary', () => {
  it('shows a file name with a backtick as one code span, never as markup', () => {
    const comment = prComment(summaryInput([finding()]));
    const line = comment.split('\n').find((l) => l.startsWith('- ❌'))!;
    expect(line.match(/`/g)).toHaveLength(2);
    expect(spans(line)).toEqual(['platforms/xˋ✅ nothing to fix/platform.yaml']);
    expect(comment).not.toContain('`✅ nothing to fix`');
    const summary = jobSummary(summaryInput([finding()]));
    const row = summary.split('\n').find((l) => l.startsWith('| ❌'))!;
    expect(spans(row)).toEqual(['ownership.owner', 'platforms/xˋ✅ nothing to fix/platform.yaml:3']);
  });

  it('escapes rule ids, messages and hints: no HTML, no hidden marker, no link, no math, no forged line', () => {
    const f = finding({ ruleId: `rule${FORGED}`, message: `message${FORGED}`, hint: `hint${FORGED}`, file: `f${FORGED}.yaml` });
    for (const text of [prComment(summaryInput([f])), jobSummary(summaryInput([f]))].map(rendered)) {
      expect(text).not.toContain('<!--');
      expect(text).not.toMatch(/(?<!\\)\]\(https:\/\/evil/);
      expect(text).not.toContain('**bold**');
      expect(text).not.toContain('$\\color');
      // eslint-disable-next-line no-control-regex
      expect(text).not.toMatch(/\u001b|\r/);
      for (const line of text.split('\n')) expect(line.trimStart().startsWith('::'), line).toBe(false);
    }
    // The comment is our lines only: heading, blank, the finding, its fix.
    expect(prComment(summaryInput([f])).trimEnd().split('\n')).toHaveLength(4);
  });

  it('escapes the names in what the change affects, and fences the graph so it cannot close', () => {
    const impact = { platforms: new Set([`p${FORGED}`]), environments: new Set(['prod']) };
    const text = jobSummary(summaryInput([], { impact, ecosystem: buildEcosystem('/repo', []).ecosystem } as unknown as Partial<SummaryInput>));
    const line = text.split('\n').find((l) => l.startsWith('Platforms:'))!;
    expect(line).toContain('p<br>::error::forged');
    expect(line).not.toContain('<!--');
  });

  it('gives @actions/core annotation arguments with control characters shown', () => {
    const a = annotationOf(finding({ file: `a${FORGED}.yaml`, ruleId: `r\nx`, message: 'm\u0000' }), 'sub');
    expect(a.properties).toEqual({ title: 'r\\nx', file: `sub/a\\n::error::forged\\r\\n<!-- mnops:governance -->**bold** [link](https://evil.example) $\\color{green}{ok}$ \\u001b[8m.yaml`, startLine: 3, startColumn: 5 });
    expect(a.message).toBe('m\\u0000 — use governance-team');
  });
});

describe('drift issues and the drift summary', () => {
  const env = (over: Partial<EnvironmentDrift> = {}): EnvironmentDrift => ({
    environment: `prod${FORGED}`,
    provider: 'docker',
    platforms: 1,
    instances: 1,
    items: [
      { environment: 'prod', platform: `p${FORGED}`, kind: 'changed', field: '/image`x', desired: `a${FORGED}`, actual: 'b`c', instances: [`c${FORGED}`], fingerprint: 'f' },
    ],
    healed: [{ platform: `p${FORGED}`, action: 'update', status: 'failed', error: `boom${FORGED}` }],
    calls: 1,
    ms: 1,
    ...over,
  });
  const report = (e: EnvironmentDrift): DriftReport => ({ version: 1, checkedAt: '2026-01-01T00:00:00.000Z', environments: [e], skipped: [{ environment: `s${FORGED}`, reason: `r${FORGED}` }] });

  it('escapes every name, value and error in markdown', () => {
    for (const text of [formatEnvironmentMarkdown(env(), '2026-01-01T00:00:00.000Z'), formatMarkdown(report(env({ error: `e${FORGED}`, hint: `h${FORGED}` })))].map(rendered)) {
      expect(text).not.toContain('<!--');
      expect(text).not.toContain('**bold**');
      expect(text).not.toMatch(/(?<!\\)\]\(https:\/\/evil/);
      // eslint-disable-next-line no-control-regex
      expect(text).not.toMatch(/\u001b|\r/);
      for (const line of text.split('\n')) expect(line.trimStart().startsWith('::'), line).toBe(false);
    }
    const md = formatEnvironmentMarkdown(env(), '2026-01-01T00:00:00.000Z');
    expect(md.split('\n')[0]).toMatch(/^### prod<br>::error::forged<br>&lt;!-- /);
    const row = md.split('\n').find((l) => l.startsWith('| p'))!;
    expect(row.match(/`/g)).toHaveLength(6);
  });

  it('prints text with no forged line', () => {
    const text = formatText(report(env({ error: `e${FORGED}`, hint: `h${FORGED}`, remaining: [] })), false);
    for (const line of text.split('\n')) expect(line.trimStart().startsWith('::'), line).toBe(false);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/\u001b|\r/);
  });

  it('titles and marks an issue so that no name can break either', () => {
    expect(driftIssueTitle(`prod\n::error::x \`y\``)).toBe('Drift in prod ::error::x ˋyˋ');
    expect(driftMarker('prod')).toBe('mnops:drift:prod');
    expect(`<!-- ${driftMarker('x --> **pwned** <!--')} -->`).not.toMatch(/-->.*-->/);
  });

  it('only counts issues the token’s identity opened', async () => {
    const api = fakeGitHub({ owner: 'o', repo: 'r' });
    const gh = createGitHubClient({ token: 't', fetch: api.fetch, baseUrl: 'https://api.github.com' });
    api.seedIssue({ title: 'Drift in prod', body: `<!-- ${driftMarker('prod')} -->\nfake`, labels: ['mnops-drift'], author: 'mallory' });
    const ours = api.seedIssue({ title: 'Drift in dev', body: `<!-- ${driftMarker('dev')} -->\nreal`, labels: ['mnops-drift'], author: 'github-actions[bot]' });
    const open = await openDriftIssues(gh, { owner: 'o', repo: 'r' }, 'mnops-drift', await tokenLogin(gh));
    expect([...open.keys()]).toEqual(['dev']);
    expect(open.get('dev')!.number).toBe(ours.number);
    expect(api.violations).toEqual([]);
  });
});

describe('the sticky comment belongs to the token', () => {
  const where = { owner: 'o', repo: 'r', issue: 7 };
  const marker = 'mnops:governance';

  it('ignores a marked comment by someone else, and never updates it', async () => {
    const api = fakeGitHub({ owner: 'o', repo: 'r' });
    const gh = createGitHubClient({ token: 't', fetch: api.fetch, baseUrl: 'https://api.github.com' });
    const [forged] = api.seedComments(7, [`<!-- ${marker} -->\n### ✅ mnops governance: nothing to fix`], 'mallory');
    const r = await upsertStickyComment(gh, where, marker, 'the real verdict');
    expect(r).toMatchObject({ created: true, author: 'github-actions[bot]', ignored: ['mallory'] });
    expect(api.comments[7]!.find((c) => c.id === forged!.id)).toEqual(forged);
    expect(api.calls.filter((c) => c.method === 'PATCH')).toEqual([]);
    // The next run finds its own comment and updates that one.
    const again = await upsertStickyComment(gh, where, marker, 'verdict, again');
    expect(again).toMatchObject({ created: false, id: r.id });
    expect(api.comments[7]!.find((c) => c.id === forged!.id)!.body).toBe(forged!.body);
    expect(api.violations).toEqual([]);
  });

  it('asks GET /user who a user token is; an installation token falls back to the given bot login', async () => {
    const pat = fakeGitHub({ owner: 'o', repo: 'r', login: 'release-bot-user' });
    const asPat = createGitHubClient({ token: 't', fetch: pat.fetch, baseUrl: 'https://api.github.com' });
    pat.seedComments(7, [`<!-- ${marker} -->\nold`], 'github-actions[bot]');
    expect(await upsertStickyComment(asPat, where, marker, 'new')).toMatchObject({ created: true, author: 'release-bot-user', ignored: ['github-actions[bot]'] });

    const app = fakeGitHub({ owner: 'o', repo: 'r', login: 'mnops-app[bot]' });
    const asApp = createGitHubClient({ token: 't', fetch: app.fetch, baseUrl: 'https://api.github.com' });
    const [mine] = app.seedComments(7, [`<!-- ${marker} -->\nold`], 'mnops-app[bot]');
    expect(await upsertStickyComment(asApp, where, marker, 'new', { fallbackAuthor: 'mnops-app[bot]' })).toMatchObject({ created: false, id: mine!.id });
    expect([...pat.violations, ...app.violations]).toEqual([]);
  });
});

describe('log lines and pushes', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it('never lets a progress message start a workflow command', () => {
    expect(logLine('prod: 2 workload(s) read\n::error::forged')).toBe('prod: 2 workload(s) read\\n::error::forged');
    expect(logLine('  ::add-mask::x')).toBe('  \\::add-mask::x');
  });

  it('authenticates git pushes from the environment, replacing (not doubling) a persisted header, masked', () => {
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    });
    const env: NodeJS.ProcessEnv = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'core.autocrlf', GIT_CONFIG_VALUE_0: 'false' };
    try {
      useTokenForGit('ghs_secret', 'https://github.com/', env);
    } finally {
      process.stdout.write = write;
    }
    const header = `AUTHORIZATION: basic ${Buffer.from('x-access-token:ghs_secret').toString('base64')}`;
    expect(env).toEqual({
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_0: 'core.autocrlf',
      GIT_CONFIG_VALUE_0: 'false',
      GIT_CONFIG_KEY_1: extraHeaderKey('https://github.com'),
      GIT_CONFIG_VALUE_1: '',
      GIT_CONFIG_KEY_2: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_2: header,
    });
    expect(out).toContain(`::add-mask::${Buffer.from('x-access-token:ghs_secret').toString('base64')}`);
  });
});
