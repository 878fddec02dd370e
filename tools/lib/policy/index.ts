// The policy capability's public surface.
import type { Ecosystem } from '../manifest/ecosystem.js';
import { resolveAll } from '../manifest/resolve.js';
import type { Finding } from '../report/finding.js';
import { sourceHash } from './bundle.js';
import { PolicyEngine } from './engine.js';
import { evaluateGovernance, type WaivedFinding } from './governance.js';
import { buildGovernanceInput } from './input.js';
import { effectiveSettings } from './settings.js';
import { evaluateUserPolicies } from './user.js';

export { PolicyEngine } from './engine.js';
export { PolicyError } from './errors.js';
export { evaluatePromotion, type GateDecision, type ObservedState, type PromotionRequest } from './promotion.js';
export { buildBundle, testPolicies } from './build.js';
export type { WaivedFinding } from './governance.js';

export interface PolicyRun {
  findings: Finding[];
  waived: WaivedFinding[];
  ms: { resolve: number; evaluate: number };
}

/** Resolves every platform in every environment and runs the built-in and user policies. */
export async function runPolicies(root: string, eco: Ecosystem, now: Date, engine?: PolicyEngine): Promise<PolicyRun> {
  const policy = engine ?? (await PolicyEngine.load(root));
  const t0 = performance.now();
  const resolved = resolveAll(eco);
  const t1 = performance.now();
  const settings = effectiveSettings(eco);
  const gov = evaluateGovernance(policy, eco, resolved, buildGovernanceInput(eco, resolved, settings, now));
  const user = policy.meta.userPackages?.length
    ? evaluateUserPolicies(policy, eco, resolved, buildGovernanceInput(eco, resolved, settings, now, { full: true }))
    : [];
  const findings = [...gov.findings, ...user];
  if (policy.meta.sourceHash !== (await sourceHash(root))) {
    findings.push({
      ruleId: 'policy.bundle-stale',
      severity: 'warning',
      message: `the policy bundle in ${policy.location} was built from different Rego sources than policies/ holds now`,
      hint: 'run mnops policy build and commit policies/dist',
      file: 'policies/dist/bundle.json',
      line: 1,
      column: 1,
    });
  }
  return { findings, waived: gov.waived, ms: { resolve: t1 - t0, evaluate: performance.now() - t1 } };
}
