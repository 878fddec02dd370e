// Governance the governed cannot switch off. A pull request controls its whole tree, so with
// --changed-since BASE the verdict comes from BASE's bundle, settings and exceptions: a PR
// that ships an all-pass bundle, plants settings elsewhere, loosens the settings file or
// waives its own finding still gets the finding. What its own rules would say is shown as a
// proposed policy change.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../../tools/lib/policy/build.js';
import { opa } from '../../tools/lib/policy/opa.js';
import type { Finding } from '../../tools/lib/report/finding.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { edit, exampleRepo, FIXED_NOW, git, mnops, PROJECT_ROOT, removeDir, tempDir } from '../helpers/repo.js';
import { createHash } from 'node:crypto';

const NOW = new Date(FIXED_NOW);
const PLATFORM = 'platforms/governance-platform/platform.yaml';
let root = '';
let base = '';
let allPass = '';

const leakSecret = () => edit(root, PLATFORM, /\n {2}env:\n/, '\n  env:\n    DB_PASSWORD: hunter2\n');
const rules = (fs: Finding[]) => fs.map((f) => f.ruleId);
const run = (extra: Partial<Parameters<typeof validate>[0]> = {}) => validate({ root, now: NOW, cacheDir: false, changedSince: base, ...extra });

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

/** The pull request ships a bundle of its own: these wasm bytes, with a bundle.json that claims them. */
function shipBundle(wasm: Buffer, meta: Record<string, unknown> = {}): void {
  write('policies/dist/policy.wasm', '');
  writeFileSync(path.join(root, 'policies/dist/policy.wasm'), wasm);
  const built = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'policies/dist/bundle.json'), 'utf8')) as Record<string, unknown>;
  write('policies/dist/bundle.json', JSON.stringify({ ...built, wasmSha256: createHash('sha256').update(wasm).digest('hex'), ...meta }));
}

const exception = (name: string, approvedBy: string, expires = '2027-01-31') =>
  [
    'apiVersion: mnops/v1',
    'kind: PolicyException',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  rule: secrets.plaintext',
    '  target: {kind: Platform, name: governance-platform}',
    '  reason: the test waives its own plaintext secret',
    `  approvedBy: ${approvedBy}`,
    `  expires: ${expires}`,
    '',
  ].join('\n');

beforeAll(async () => {
  // No policies of its own: the base is judged by the built-in bundle.
  root = exampleRepo({ git: true });
  base = git(root, 'rev-parse', 'HEAD').trim();
  // A real bundle whose governance entrypoint finds nothing, with a bundle.json that matches it.
  const dir = tempDir('mnops-allpass-');
  writeFileSync(path.join(dir, 'p.rego'), 'package governance\n\nfindings := []\n\nwaived := []\n');
  const r = await opa(['build', '-t', 'wasm', '--capabilities', CAPABILITIES(), '-e', 'governance', '-o', path.join(dir, 'b.tar.gz'), path.join(dir, 'p.rego')], dir);
  expect(r.code, r.stderr).toBe(0);
  const tar = await import('tar');
  await tar.x({ file: path.join(dir, 'b.tar.gz'), cwd: dir, filter: (p) => p.endsWith('policy.wasm') });
  allPass = dir;
}, 120_000);

afterAll(() => {
  removeDir(root);
  removeDir(allPass);
});

beforeEach(() => {
  git(root, 'reset', '-q', '--hard', base);
  git(root, 'checkout', '-q', '--', '.');
  git(root, 'clean', '-qfd');
});

describe('a pull request is judged by its base', () => {
  it('shipping an all-pass bundle of its own changes nothing: the base bundle judges, and the stale bundle is an error', async () => {
    leakSecret();
    shipBundle(readFileSync(path.join(allPass, 'policy.wasm')), { entrypoints: ['governance'], userPackages: [] });

    const out = await run();
    expect(out.judgedBy).toBe(base);
    expect(rules(out.report.findings)).toContain('secrets.plaintext');
    // It claims the right sources, but rebuilding them with the pinned OPA gives another wasm.
    expect(out.report.findings.find((f) => f.ruleId === 'policy.bundle-stale')?.message).toMatch(/policy\.wasm is not what the Rego sources build to/);
    // The reviewers see what the PR's own rules would do: clear every finding.
    expect(out.proposed?.cleared.map((f) => f.ruleId)).toContain('secrets.plaintext');

    // Only the explicit opt-out evaluates the working tree's bundle.
    const trusting = await run({ trustWorkingTree: true });
    expect(rules(trusting.report.findings)).not.toContain('secrets.plaintext');
  }, 60_000);

  it('a rule changed without rebuilding the bundle: the proposed change says so instead of showing no difference', async () => {
    write('policies/rules/extra.rego', 'package rules.extra\n\nimport rego.v1\n\nfindings contains {"ruleId": "extra.rule"} if false\n');
    const out = await run();
    expect(out.judgedBy).toBe(base);
    expect(out.proposed).toMatchObject({ added: [], cleared: [] });
    expect(out.proposed?.error).toMatch(/ — .* to see what the new rules would do$/);
    expect(out.report.proposedPolicyChange?.error).toBe(out.proposed?.error);
  }, 60_000);

  it('settings planted outside ecosystem/governance/settings.yaml are an error and ignored, in any mode', async () => {
    leakSecret();
    write(
      'ecosystem/aaa/tuning.yaml',
      'apiVersion: mnops/v1\nkind: PolicySettings\nmetadata:\n  name: tuning\nspec:\n  secrets:\n    keyPattern: "^$"\n  tiers:\n    dev:\n      severity:\n        secrets.plaintext: "off"\n',
    );
    for (const out of [await run(), await validate({ root, now: NOW, cacheDir: false })]) {
      const planted = out.report.findings.find((f) => f.ruleId === 'settings.location');
      expect(planted).toMatchObject({ severity: 'error', file: 'ecosystem/aaa/tuning.yaml' });
      expect(rules(out.report.findings)).toContain('secrets.plaintext');
    }
  });

  it('a settings-only change keeps the base verdict and shows what it would add', async () => {
    edit(root, 'ecosystem/governance/settings.yaml', /dev:\n(\s+)ceilings: \{cpuCores: 4, memoryMb: 4096/, 'dev:\n$1ceilings: {cpuCores: 4, memoryMb: 32');
    const out = await run();
    expect(out.report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const added = out.proposed?.added ?? [];
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((f) => f.ruleId === 'resources.ceiling' && f.environment === 'dev')).toBe(true);
    const cli = await mnops(['validate', '--changed-since', base, '--root', root], { env: { MNOPS_NO_CACHE: '1' } });
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`Proposed policy change (not the verdict: this change is judged by ${base.slice(0, 12)}'s rules):`);
    expect(cli.stdout).toMatch(/\+ .*resources\.ceiling/);
  }, 60_000);
});

describe('exceptions', () => {
  it('one the PR adds waives nothing until an allowed approver approved the PR', async () => {
    leakSecret();
    write('ecosystem/governance/exceptions/leak.yaml', exception('leak', 'platform-engineering'));
    const unapproved = await run();
    expect(rules(unapproved.report.findings)).toEqual(expect.arrayContaining(['secrets.plaintext', 'exceptions.unapproved']));
    // Approved, but by someone the base's settings do not list.
    const outsider = await run({ approvedBy: ['mallory'] });
    expect(rules(outsider.report.findings)).toEqual(expect.arrayContaining(['secrets.plaintext', 'exceptions.unapproved']));
    // Named in approvedBy, listed as an approver in the base, and approved this PR: it counts.
    const approved = await run({ approvedBy: ['platform-engineering'] });
    expect(rules(approved.report.findings)).not.toContain('secrets.plaintext');
    expect(rules(approved.report.findings)).not.toContain('exceptions.unapproved');
  });

  it('outside ecosystem/governance/exceptions/ it is an error and waives nothing', async () => {
    leakSecret();
    write('ecosystem/governance/leak.yaml', exception('leak', 'platform-engineering'));
    const out = await validate({ root, now: NOW, cacheDir: false });
    expect(out.report.findings.find((f) => f.ruleId === 'exceptions.location')).toMatchObject({ severity: 'error', file: 'ecosystem/governance/leak.yaml' });
    expect(rules(out.report.findings)).toContain('secrets.plaintext');
  });

  it('longer than the settings allow, it is an error and waives nothing', async () => {
    leakSecret();
    write('ecosystem/governance/exceptions/leak.yaml', exception('leak', 'platform-engineering', '2030-01-01'));
    const out = await validate({ root, now: NOW, cacheDir: false });
    expect(out.report.findings.find((f) => f.ruleId === 'exceptions.lifetime')).toMatchObject({ severity: 'error', file: 'ecosystem/governance/exceptions/leak.yaml', path: '/spec/expires' });
    expect(rules(out.report.findings)).toContain('secrets.plaintext');
  });
});

describe('a policy-only change', () => {
  it('widens the report to the whole ecosystem instead of reporting nothing', async () => {
    // The base already holds a finding, in a file this change does not touch.
    leakSecret();
    git(root, 'commit', '-qam', 'a secret on the base');
    const withSecret = git(root, 'rev-parse', 'HEAD').trim();
    const full = await validate({ root, now: NOW, cacheDir: false });
    expect(rules(full.report.findings)).toContain('secrets.plaintext');
    write('policies/user/quiet.rego', 'package user.quiet\n\ndeny contains "never" if false\n');
    const out = await run({ changedSince: withSecret });
    // Every finding of the full run is still there (the change can affect any of them) ...
    for (const f of full.report.findings) expect(out.report.findings).toContainEqual(f);
    // ... a user policy without a built bundle is an error, and its own rules cannot be run.
    expect(out.report.findings.find((f) => f.ruleId === 'policy.bundle-stale')?.message).toMatch(/has Rego policies \(policies\/user\/quiet\.rego\) but no built bundle/);
    expect(out.proposed?.error).toMatch(/no built bundle/);
  });
});

describe('what a change under review reports', () => {
  const DATA = 'platforms/data-platform/platform.yaml';
  const onBase = (message: string) => {
    git(root, 'commit', '-qam', message);
    return git(root, 'rev-parse', 'HEAD').trim();
  };

  it('only what it reaches: a finding the base already had elsewhere is left out, and without a policy change nothing is proposed', async () => {
    leakSecret();
    const leaky = onBase('a secret on the base');
    edit(root, DATA, /description: .*/, 'description: a new description');
    const out = await run({ changedSince: leaky });
    expect(rules((await validate({ root, now: NOW, cacheDir: false })).report.findings)).toContain('secrets.plaintext');
    expect(rules(out.report.findings)).not.toContain('secrets.plaintext');
    expect(out.report.judgedBy).toBe(leaky);
    expect([...out.impact!.files]).toEqual([DATA]);
    expect(out.proposed).toBeUndefined();
    expect(out.report.proposedPolicyChange).toBeUndefined();
    // Without the policies nothing judges, so no commit's rules did.
    const structural = await run({ changedSince: leaky, policies: false });
    expect(structural.judgedBy).toBeUndefined();
    expect(structural.waived).toEqual([]);
    await expect(run({ changedSince: 'no-such-ref' })).rejects.toThrow(/no-such-ref/);
  });

  it('a change that rewrites more manifests than can be traced one by one is judged whole', async () => {
    leakSecret();
    const leaky = onBase('a secret on the base');
    for (let i = 0; i < 301; i++) write(`registry/bulk/n${i}.yaml`, `apiVersion: mnops/v1\nkind: Namespace\nmetadata:\n  name: bulk-${i}\nspec:\n  owners: [team-bulk]\n`);
    const out = await run({ changedSince: leaky });
    expect(rules(out.report.findings)).toContain('secrets.plaintext');
  }, 60_000);

  it('asks for the approvals only when the change touches an exception, and counts them', async () => {
    let asked = 0;
    const approvedBy = () => {
      asked++;
      return Promise.resolve(['platform-engineering']);
    };
    edit(root, DATA, /description: .*/, 'description: a new description');
    await run({ approvedBy });
    expect(asked).toBe(0);
    leakSecret();
    write('ecosystem/governance/exceptions/leak.yaml', exception('leak', 'platform-engineering'));
    const approved = await run({ approvedBy });
    expect(asked).toBe(1);
    expect(rules(approved.report.findings)).not.toContain('secrets.plaintext');
    expect(rules(approved.report.findings)).not.toContain('exceptions.unapproved');
  });

  it('the proposed change lists what the change’s rules add and clear, not what both verdicts hold', async () => {
    leakSecret();
    edit(root, 'ecosystem/governance/settings.yaml', /dev:\n(\s+)ceilings: \{cpuCores: 4, memoryMb: 4096/, 'dev:\n$1ceilings: {cpuCores: 4, memoryMb: 32');
    const out = await run();
    expect(rules(out.report.findings)).toContain('secrets.plaintext');
    const added = out.proposed!.added;
    expect(added.length).toBeGreaterThan(0);
    expect(new Set(rules(added))).toEqual(new Set(['resources.ceiling']));
    expect(out.proposed!.cleared).toEqual([]);
  }, 60_000);

  it('a bundle of its own that cannot be loaded: the proposed change says why', async () => {
    shipBundle(Buffer.from('this is not WebAssembly'));
    const out = await run();
    expect(out.judgedBy).toBe(base);
    expect(out.proposed).toMatchObject({ added: [], cleared: [] });
    expect(out.proposed!.error).toMatch(/^the policy bundle in .* is corrupt: /);
  }, 60_000);
});
