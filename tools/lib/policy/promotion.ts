// The promotion gate (entrypoint `promotion`), as a library call for `mnops deploy`:
// may this version of this platform move into this environment now, and if not, why.
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { PolicyEngine } from './engine.js';
import { PolicyError } from './errors.js';

export interface PromotionRequest {
  platform: string;
  version: string;
  /** Source environment (normally the target's promotion.from). */
  from: string;
  to: string;
  actor: string;
  approvals: string[];
  /** A reason to deploy through an open freeze window; empty when none. */
  emergency?: string;
  /** An explicit rollback may go to a lower version. */
  rollback?: boolean;
}

export interface ObservedState {
  source: { version: string | null; healthy: boolean; healthySince: string | null };
  target: {
    version: string | null;
    /**
     * The version the audit trail says ran in the target before `version` (what `mnops
     * rollback` restores by default). A rollback to exactly this version is not checked
     * against the source environment; unknown (absent or null): every check applies.
     */
    previous?: string | null;
  };
}

export interface GateDecision {
  allow: boolean;
  /** Every reason the promotion is denied, each a sentence a person can act on. */
  reasons: string[];
  /** What an emergency override bypassed (recorded in the audit trail). */
  overrides: string[];
}

export function promotionInput(eco: Ecosystem, request: PromotionRequest, observed: ObservedState, now: Date) {
  const target = eco.environments.get(request.to);
  if (!target) throw new PolicyError(`environment "${request.to}" does not exist`, 'pass --to one of the environments under ecosystem/platform-cloud/');
  const spec = target.manifest.spec;
  return {
    now: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    request: { ...request, emergency: request.emergency ?? '', rollback: request.rollback ?? false },
    target: { name: target.name, tier: spec.tier, promotion: spec.promotion ?? null, freezeWindows: spec.freezeWindows ?? [] },
    observed,
  };
}

export function evaluatePromotion(engine: PolicyEngine, eco: Ecosystem, request: PromotionRequest, observed: ObservedState, now: Date): GateDecision {
  const out = engine.evaluate('promotion', promotionInput(eco, request, observed, now)) as Partial<GateDecision> | null;
  if (!out || typeof out.allow !== 'boolean' || !Array.isArray(out.reasons)) {
    throw new PolicyError('the promotion policy returned no decision', 'rebuild the bundle with mnops policy build; nothing was promoted');
  }
  const reasons = out.reasons.map(String);
  // Fail closed: a denial always says why, and an allow never carries reasons.
  if (out.allow && reasons.length > 0) throw new PolicyError('the promotion policy allowed a promotion while giving reasons to deny it', 'fix the promotion policy; nothing was promoted');
  if (!out.allow && reasons.length === 0) reasons.push('the promotion policy denied this promotion without a reason');
  return { allow: out.allow, reasons, overrides: (out.overrides ?? []).map(String) };
}
