// User policies (conftest-style): `package user.<name>` with `deny` / `warn` rules whose
// values are a message string or {msg, ruleId?, kind?, name?, environment?, path?, resolved?}.
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { ResolvedPlatform } from '../manifest/resolve.js';
import type { Finding } from '../report/finding.js';
import type { PolicyEngine } from './engine.js';
import { FindingLocator } from './governance.js';
import type { GovernanceInput } from './input.js';

interface UserResult {
  msg?: unknown;
  ruleId?: unknown;
  kind?: unknown;
  name?: unknown;
  environment?: unknown;
  path?: unknown;
  resolved?: unknown;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

export function evaluateUserPolicies(engine: PolicyEngine, eco: Ecosystem, resolved: ResolvedPlatform[], input: GovernanceInput): Finding[] {
  const locator = new FindingLocator(eco, resolved);
  const findings: Finding[] = [];
  for (const pkg of engine.meta.userPackages ?? []) {
    for (const rule of pkg.rules) {
      const value = engine.evaluate(`user/${pkg.name}/${rule}`, input);
      const items = Array.isArray(value) ? value : [];
      for (const item of items) {
        const r: UserResult = typeof item === 'string' ? { msg: item } : ((item ?? {}) as UserResult);
        const kind = str(r.kind);
        const name = str(r.name);
        const environment = str(r.environment);
        const p = str(r.path) ?? (r.resolved === true ? '' : '/metadata/name');
        const loc =
          kind && name ? locator.locate({ kind, name, environment, path: p, resolved: r.resolved === true }) : undefined;
        findings.push({
          ruleId: str(r.ruleId) ?? `user.${pkg.name}`,
          severity: rule === 'deny' ? 'error' : 'warning',
          message: str(r.msg) ?? JSON.stringify(item),
          hint: `see policies/user/${pkg.name}.rego`,
          ...(loc ?? { file: `policies/user/${pkg.name}.rego`, line: 1, column: 1 }),
          ...(kind ? { kind } : {}),
          ...(name ? { name } : {}),
          ...(environment ? { environment } : {}),
          ...(str(r.path) ? { path: str(r.path) } : {}),
        });
      }
    }
  }
  return findings;
}
