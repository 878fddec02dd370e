// For every built-in rule: a copy of the example ecosystem edited to break exactly that
// rule, and the finding checked for rule id, severity, file and line.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../tools/lib/report/finding.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { resolveAll } from '../../tools/lib/manifest/resolve.js';
import { PolicyEngine } from '../../tools/lib/policy/engine.js';
import { evaluateGovernance } from '../../tools/lib/policy/governance.js';
import { buildGovernanceInput } from '../../tools/lib/policy/input.js';
import { effectiveSettings } from '../../tools/lib/policy/settings.js';
import { edit, exampleRepo, lineOf, removeDir } from '../helpers/repo.js';

/** Fixed, so ttl expiry in the example does not depend on the day the suite runs. */
const NOW = new Date('2026-11-23T12:00:00Z');
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function write(root: string, file: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

async function run(breakIt: (root: string) => void): Promise<{ root: string; findings: Finding[]; waived: Finding[] }> {
  const root = exampleRepo();
  dirs.push(root);
  breakIt(root);
  const out = await validate({ root, cacheDir: false, now: NOW });
  return { root, findings: out.report.findings, waived: out.waived };
}

interface Case {
  rule: string;
  /** Tells apart several cases of one rule. */
  title?: string;
  severity: 'error' | 'warning';
  breakIt: (root: string) => void;
  /** The file and the text on the line the finding must point at. */
  at: [file: string, needle: string];
  /** Optional extra checks on the matching finding. */
  matches?: Partial<Finding>;
  /** Text the message must contain. */
  says?: string;
}

const T = 'ecosystem/platform-templates/base-service.yaml';
const GOV = 'platforms/governance-platform/platform.yaml';

const cases: Case[] = [
  {
    rule: 'naming.platform',
    severity: 'error',
    breakIt: (r) =>
      write(
        r,
        'platforms/metrics-svc/platform.yaml',
        'apiVersion: mnops/v1\nkind: Platform\nmetadata:\n  name: metrics-svc\nspec:\n  owner: observability-team\n  namespace: observability\n  version: 1.0.0\n',
      ),
    at: ['platforms/metrics-svc/platform.yaml', 'name: metrics-svc'],
    matches: { kind: 'Platform', name: 'metrics-svc' },
  },
  {
    rule: 'naming.environment',
    severity: 'error',
    breakIt: (r) => {
      write(
        r,
        'ecosystem/platform-cloud/dev-eu-west-1-for-the-data-science-team/environment.yaml',
        'apiVersion: mnops/v1\nkind: Environment\nmetadata:\n  name: dev-eu-west-1-for-the-data-science-team\nspec:\n  tier: dev\n  adapter: docker\n',
      );
      // Every environment says what runs there (here: nothing).
      write(
        r,
        'ecosystem/platform-cloud/dev-eu-west-1-for-the-data-science-team/platform.yaml',
        'apiVersion: mnops/v1\nkind: PlatformInstance\nmetadata:\n  name: dev-eu-west-1-for-the-data-science-team\nspec:\n  environment: dev-eu-west-1-for-the-data-science-team\n  platforms: []\n',
      );
    },
    at: ['ecosystem/platform-cloud/dev-eu-west-1-for-the-data-science-team/environment.yaml', 'name: dev-eu-west-1'],
  },
  {
    rule: 'ownership.owner',
    severity: 'error',
    breakIt: (r) => edit(r, GOV, 'owner: governance-team', 'owner: data-team'),
    at: [GOV, 'owner: data-team'],
    matches: { name: 'governance-platform' },
  },
  {
    rule: 'resources.required',
    severity: 'error',
    // Nothing sets the missing limit: the finding points at the resources block it is missing from.
    breakIt: (r) => edit(r, T, '    maxProcesses: 32\n', ''),
    at: [T, 'resources:'],
    matches: { name: 'governance-platform', environment: 'staging' },
  },
  {
    rule: 'resources.ceiling',
    severity: 'error',
    // Set in a template: the finding points at the template line, not at the platforms.
    breakIt: (r) => edit(r, T, 'diskMb: 512', 'diskMb: 204800'),
    at: [T, 'diskMb: 204800'],
    matches: { name: 'governance-platform', environment: 'prod', path: '/resources/diskMb' },
  },
  {
    rule: 'network.open-in-prod',
    severity: 'error',
    breakIt: (r) => edit(r, 'ecosystem/platform-cloud/staging/environment.yaml', '    replicas: 2\n', '    replicas: 2\n    network:\n      policy: allow-all\n'),
    at: ['ecosystem/platform-cloud/staging/environment.yaml', 'policy: allow-all'],
    matches: { environment: 'staging', path: '/network/policy' },
  },
  {
    rule: 'network.host-port',
    severity: 'error',
    // http-only allows ingress on 8080 only: a host port for 9100 publishes what no rule allows.
    breakIt: (r) =>
      edit(r, 'platforms/observability-platform/platform.yaml', '      containerPort: 8080\n', '      containerPort: 8080\n    - name: metrics\n      containerPort: 9100\n      hostPort: 9100\n'),
    // Wrong only in staging and prod, set in the shared catalog: it lands on the tier line,
    // naming the catalog line.
    at: ['ecosystem/platform-cloud/prod/environment.yaml', 'tier: prod'],
    matches: { name: 'observability-platform', environment: 'prod', path: '/ports/1/hostPort' },
    says: 'the value is set at platforms/observability-platform/platform.yaml:',
  },
  {
    rule: 'secrets.plaintext',
    severity: 'error',
    breakIt: (r) => edit(r, GOV, '  env:\n', '  env:\n    DB_PASSWORD: hunter2-is-not-a-secret\n'),
    at: [GOV, 'DB_PASSWORD'],
    matches: { name: 'governance-platform' },
  },
  {
    rule: 'images.pinned',
    severity: 'error',
    breakIt: (r) => edit(r, GOV, 'image: "mnops/base:${version}"', 'image: "mnops/base:latest"'),
    at: ['ecosystem/platform-cloud/prod/environment.yaml', 'tier: prod'],
    matches: { name: 'governance-platform', environment: 'prod' },
    says: `the value is set at ${GOV}:`,
  },
  {
    rule: 'sandbox.hardened',
    severity: 'error',
    breakIt: (r) => edit(r, 'ecosystem/platform-cloud/prod/environment.yaml', 'readOnlyRootfs: true', 'readOnlyRootfs: false'),
    at: ['ecosystem/platform-cloud/prod/environment.yaml', 'readOnlyRootfs: false'],
    matches: { environment: 'prod' },
  },
  {
    rule: 'sandbox.hardened',
    title: 'uid 00 is root',
    severity: 'error',
    // A numeric uid is root when its value is 0, however many zeros spell it.
    breakIt: (r) => edit(r, 'ecosystem/platform-cloud/prod/environment.yaml', 'user: "1000:1000"', 'user: "00"'),
    at: ['ecosystem/platform-cloud/prod/environment.yaml', 'user: "00"'],
    matches: { environment: 'prod', path: '/sandbox/user' },
  },
  {
    rule: 'health.required',
    severity: 'error',
    breakIt: (r) => edit(r, T, / {2}healthCheck:\n( {4}.*\n)+/, ''),
    at: ['ecosystem/platform-cloud/prod/platform.yaml', '- name: governance-platform'],
    matches: { name: 'governance-platform', environment: 'prod' },
  },
  {
    rule: 'contracts.semver',
    severity: 'error',
    breakIt: (r) => {
      const src = readFileSync(path.join(r, 'ecosystem/contracts/engine/1.0.0.yaml'), 'utf8');
      write(r, 'ecosystem/contracts/engine/1.0.1.yaml', src.replace(/version: "?1\.0\.0"?/, 'version: 1.0.2'));
    },
    at: ['ecosystem/contracts/engine/1.0.1.yaml', 'version: 1.0.2'],
  },
  {
    rule: 'contracts.breaking',
    severity: 'error',
    breakIt: (r) => {
      const src = readFileSync(path.join(r, 'ecosystem/ecosystem-cloud/contracts/storage/1.1.0.yaml'), 'utf8');
      // 1.2.0 drops the `stat` operation 1.1.0 added: breaking without a major bump.
      const dropped = src.replace(/version: "?1\.1\.0"?/, 'version: 1.2.0').replace(/ {4}- name: stat\n( {6}.*\n| {8}.*\n)*/, '');
      expect(dropped).not.toContain('name: stat');
      write(r, 'ecosystem/ecosystem-cloud/contracts/storage/1.2.0.yaml', dropped);
    },
    at: ['ecosystem/ecosystem-cloud/contracts/storage/1.2.0.yaml', 'operations:'],
  },
  {
    rule: 'contracts.unsatisfied',
    severity: 'error',
    breakIt: (r) => edit(r, GOV, '  consumes:\n', '  consumes:\n    - storage@^2.0.0\n'),
    at: [GOV, 'storage@^2.0.0'],
    matches: { name: 'governance-platform', environment: 'dev' },
  },
  {
    rule: 'environments.ttl',
    severity: 'error',
    breakIt: (r) => edit(r, 'ecosystem/platform-cloud/preview-pr-42/environment.yaml', /ttl: \S+/, 'ttl: 100h'),
    at: ['ecosystem/platform-cloud/preview-pr-42/environment.yaml', 'ttl: 100h'],
  },
  {
    rule: 'environments.expired',
    severity: 'warning',
    breakIt: (r) => edit(r, 'ecosystem/platform-cloud/sandbox-feature-x/environment.yaml', /createdAt: \S+/, 'createdAt: 2026-01-05T09:00:00Z'),
    at: ['ecosystem/platform-cloud/sandbox-feature-x/environment.yaml', 'ttl:'],
  },
  {
    rule: 'promotion.source',
    severity: 'error',
    breakIt: (r) => edit(r, 'ecosystem/platform-cloud/staging/environment.yaml', / {2}promotion:\n( {4}.*\n)+/, ''),
    at: ['ecosystem/platform-cloud/staging/environment.yaml', 'spec:'],
  },
  {
    rule: 'exceptions.expired',
    severity: 'error',
    breakIt: (r) => edit(r, 'ecosystem/governance/exceptions/semantic-platform-dev-ceiling.yaml', 'expires: 2027-12-31', 'expires: 2026-06-30'),
    at: ['ecosystem/governance/exceptions/semantic-platform-dev-ceiling.yaml', 'expires: 2026-06-30'],
  },
];

describe('the example ecosystem', () => {
  it('passes every rule', async () => {
    const { findings } = await run(() => undefined);
    expect(findings).toEqual([]);
  });
});

describe.each(cases.map((c) => ({ ...c, label: c.title ? `${c.rule} (${c.title})` : c.rule })))('$label', ({ rule, severity, breakIt, at, matches, says }) => {
  it(`fires alone, as ${severity}, at the line that set the value`, async () => {
    const { root, findings } = await run(breakIt);
    expect([...new Set(findings.map((f) => f.ruleId))]).toEqual([rule]);
    const [file, needle] = at;
    const line = lineOf(root, file, needle);
    const hit = findings.find((f) => f.file === file && f.line === line && Object.entries(matches ?? {}).every(([k, v]) => f[k as keyof Finding] === v));
    expect(hit, `no ${rule} finding at ${file}:${line} in\n${findings.map((f) => `${f.file}:${f.line} ${f.name}/${f.environment} ${f.message}`).join('\n')}`).toBeDefined();
    expect(hit!.severity).toBe(severity);
    expect(hit!.message.length).toBeGreaterThan(10);
    expect(hit!.hint).toBeTruthy();
    if (says) expect(hit!.message).toContain(says);
  });
});

describe('waivers and severity overrides', () => {
  it('an active PolicyException waives its rule for its target only', async () => {
    const { findings, waived } = await run((r) => {
      edit(r, 'ecosystem/platform-cloud/dev/platform.yaml', /(- name: semantic-platform\n\s+version: \S+\n)/, '$1      resources:\n        memoryMb: 5000\n');
      edit(r, 'ecosystem/platform-cloud/dev/platform.yaml', /(- name: data-platform\n\s+version: \S+\n)/, '$1      resources:\n        memoryMb: 5000\n');
    });
    expect(findings.map((f) => [f.ruleId, f.name, f.environment])).toEqual([['resources.ceiling', 'data-platform', 'dev']]);
    expect(waived.map((f) => [f.ruleId, f.name, f.environment, (f as Finding & { exception: string }).exception])).toEqual([
      ['resources.ceiling', 'semantic-platform', 'dev', 'semantic-platform-dev-ceiling'],
    ]);
  });

  it('an expired exception waives nothing and is itself an error', async () => {
    const { findings } = await run((r) => {
      edit(r, 'ecosystem/platform-cloud/dev/platform.yaml', /(- name: semantic-platform\n\s+version: \S+\n)/, '$1      resources:\n        memoryMb: 5000\n');
      edit(r, 'ecosystem/governance/exceptions/semantic-platform-dev-ceiling.yaml', 'expires: 2027-12-31', 'expires: 2026-06-30');
    });
    expect(findings.map((f) => f.ruleId).sort()).toEqual(['exceptions.expired', 'resources.ceiling']);
  });

  it('severity can be overridden per tier, and "off" silences a rule for that tier', async () => {
    const { findings } = await run((r) => {
      edit(r, 'ecosystem/governance/settings.yaml', '    staging:\n', '    staging:\n      severity:\n        images.pinned: warning\n');
      edit(r, 'ecosystem/governance/settings.yaml', '    prod:\n', '    prod:\n      severity:\n        images.pinned: "off"\n');
      edit(r, GOV, 'image: "mnops/base:${version}"', 'image: "mnops/base:latest"');
    });
    const pinned = findings.filter((f) => f.ruleId === 'images.pinned');
    expect(pinned.map((f) => [f.environment, f.severity])).toEqual([['staging', 'warning']]);
  });

  it('network.host-port is overridden per tier like the others', async () => {
    const { findings } = await run((r) => {
      edit(r, 'ecosystem/governance/settings.yaml', '    staging:\n', '    staging:\n      severity:\n        network.host-port: warning\n');
      edit(r, 'ecosystem/governance/settings.yaml', '    prod:\n', '    prod:\n      severity:\n        network.host-port: "off"\n');
      edit(r, 'platforms/observability-platform/platform.yaml', '      containerPort: 8080\n', '      containerPort: 8080\n      hostPort: 18080\n    - name: metrics\n      containerPort: 9100\n      hostPort: 9100\n');
    });
    // Port 8080 is allowed by the http-only rule (whatever host port publishes it); 9100 is not.
    expect(findings.map((f) => [f.ruleId, f.environment, f.severity, f.path])).toEqual([['network.host-port', 'staging', 'warning', '/ports/1/hostPort']]);
  });
});

describe('the trimmed policy input', () => {
  it('gives exactly the findings of the full input, with every rule broken at once', async () => {
    const root = exampleRepo();
    dirs.push(root);
    for (const c of cases) c.breakIt(root);
    const eco = (await loadEcosystem(root, { cacheDir: false })).ecosystem;
    const resolved = resolveAll(eco);
    const engine = await PolicyEngine.load(root);
    const settings = effectiveSettings(eco);
    const key = (f: Finding) => `${f.ruleId} ${f.file}:${f.line} ${f.kind}/${f.name}/${f.environment ?? ''} ${f.message}`;
    const trimmed = evaluateGovernance(engine, eco, resolved, buildGovernanceInput(eco, resolved, settings, NOW)).findings.map(key).sort();
    const full = evaluateGovernance(engine, eco, resolved, buildGovernanceInput(eco, resolved, settings, NOW, { full: true })).findings.map(key).sort();
    expect(new Set(trimmed.map((k) => k.split(' ')[0])).size).toBe(new Set(cases.map((c) => c.rule)).size);
    expect(trimmed).toEqual(full);
  });
});
