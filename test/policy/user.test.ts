// A team drops its own Rego next to the built-ins, rebuilds, and sees its findings with
// locations like the built-ins — the README's worked example, run for real.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleRepo, lineOf, mnops, removeDir } from '../helpers/repo.js';

const root = exampleRepo();
afterAll(() => removeDir(root));

const COST_CENTER = `package user.cost_center

# Every platform carries a cost-center label; platforms without an owner label get a warning.
deny contains {
	"msg": sprintf("platform %s has no cost-center label", [name]),
	"ruleId": "user.cost-center",
	"kind": "Platform",
	"name": name,
	"path": "/metadata/name",
} if {
	some name, p in input.platforms
	not p.metadata.labels["cost-center"]
}

warn contains sprintf("%d platforms run in prod", [count(input.resolved.prod)]) if {
	count(input.resolved.prod) > 5
}
`;

const COST_CENTER_TEST = `package user.cost_center_test

import data.user.cost_center

test_missing_label_denied if {
	count(cost_center.deny) == 1 with input as {"platforms": {"a-platform": {"metadata": {"name": "a-platform"}}}, "resolved": {}}
}

test_label_present_allowed if {
	count(cost_center.deny) == 0 with input as {"platforms": {"a-platform": {"metadata": {"labels": {"cost-center": "cc-1"}}}}, "resolved": {}}
}
`;

describe('user policies', () => {
  it('build into the repository bundle with their own entrypoints', async () => {
    mkdirSync(path.join(root, 'policies/user'), { recursive: true });
    writeFileSync(path.join(root, 'policies/user/cost_center.rego'), COST_CENTER);
    writeFileSync(path.join(root, 'policies/user/cost_center_test.rego'), COST_CENTER_TEST);
    const r = await mnops(['policy', 'build', '--root', root]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('user/cost_center/deny');
    expect(r.stdout).toContain('user/cost_center/warn');
  });

  it('report their findings at the right lines, next to the built-ins', async () => {
    const r = await mnops(['validate', '--root', root, '--format', 'json']);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string; severity: string; file: string; line: number; name: string | null; message: string }[] };
    const deny = report.findings.filter((f) => f.ruleId === 'user.cost-center');
    expect(deny).toHaveLength(9);
    const gov = deny.find((f) => f.name === 'governance-platform')!;
    expect(gov).toMatchObject({
      severity: 'error',
      file: 'platforms/governance-platform/platform.yaml',
      line: lineOf(root, 'platforms/governance-platform/platform.yaml', 'name: governance-platform'),
      message: 'platform governance-platform has no cost-center label',
    });
    const warn = report.findings.filter((f) => f.ruleId === 'user.cost_center');
    expect(warn).toEqual([expect.objectContaining({ severity: 'warning', file: 'policies/user/cost_center.rego', message: '7 platforms run in prod' })]);
    expect(r.status).toBe(1);
  });

  it('run under mnops policy test with the built-in tests', async () => {
    const r = await mnops(['policy', 'test', '--root', root]);
    expect(r.stdout).toMatch(/PASS: \d+\/\d+/);
    expect(r.stdout).toMatch(/coverage: \d+\.\d%/);
    expect(r.status).toBe(0);
  });
});
