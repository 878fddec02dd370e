// mnops rules and mnops explain, run as a user runs them, in a copy of the example.
import { describe, expect, it } from 'vitest';
import { RULES } from '../../tools/lib/rules/catalog.js';
import { edit, mnops } from '../helpers/repo.js';
import { exampleRepos } from '../helpers/example-repos.js';

const repo = exampleRepos();

describe('mnops rules', () => {
  it('lists every rule with its severity per tier and whether it can be waived', async () => {
    const r = await mnops(['rules', '--root', repo()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^RULE +DEV +STAGING +PROD +SANDBOX +PREVIEW +WAIVE +CHECKS$/m);
    for (const rule of RULES) expect(r.stdout).toMatch(new RegExp(`^${rule.id.replace('.', '\\.')} `, 'm'));
    expect(r.stdout).toMatch(/^sandbox\.hardened +- +- +error +- +- +PolicyException +prod containers run read-only/m);
    expect(r.stdout).toMatch(/^environments\.expired +- +- +- +warning +warning +PolicyException/m);
    expect(r.stdout).toMatch(/^schema\.invalid +error +error +error +error +error +no \(fix it\)/m);
    expect(r.stdout).toContain('mnops explain RULE');
  });

  it("shows the repository's tier severity overrides from settings", async () => {
    const root = repo();
    edit(root, 'ecosystem/governance/settings.yaml', '        health.required: note', '        health.required: note\n        resources.ceiling: warning');
    const r = await mnops(['rules', '--root', root, '--format', 'json']);
    expect(r.status).toBe(0);
    const rules = (JSON.parse(r.stdout) as { rules: { id: string; severity: Record<string, string>; defaultSeverity: string }[] }).rules;
    expect(rules.find((x) => x.id === 'resources.ceiling')).toMatchObject({
      defaultSeverity: 'error',
      severity: { dev: 'error', staging: 'error', prod: 'error', sandbox: 'warning', preview: 'error' },
    });
  });
});

describe('mnops explain', () => {
  it('prints what the rule checks, its severities, an example finding, the fix and how to waive it', async () => {
    const r = await mnops(['explain', 'resources.ceiling', '--root', repo()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("resources.ceiling (policy rule, policies/rules/)\n  each resolved resource limit is at or under the tier's ceiling");
    expect(r.stdout).toContain('Severity: default error; per tier: dev error, staging error, prod error, sandbox error, preview error');
    expect(r.stdout).toContain('Example finding:\n  platforms/semantic-platform/platform.yaml\n    27:15  error  resources.ceiling  memoryMb 8192 of semantic-platform in dev exceeds the dev ceiling 4096');
    expect(r.stdout).toContain('Fix: lower the limit in spec.resources');
    expect(r.stdout).toContain('    rule: resources.ceiling\n    target: {kind: <kind of the finding>, name: <its name>, environment: <env>}');
  });

  it('says a loader rule cannot be waived', async () => {
    const r = await mnops(['explain', 'yaml.duplicate-key', '--root', repo()]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Waive: it cannot be waived; fix what it reports.');
  });

  it('an unknown rule is exit 2 with the closest rule', async () => {
    const r = await mnops(['explain', 'resource.ceiling', '--root', repo()]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('mnops: unknown rule "resource.ceiling"\n  did you mean "resources.ceiling"? (mnops rules lists every rule)\n');
  });
});
