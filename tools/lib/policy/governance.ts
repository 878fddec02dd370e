// The governance entrypoint: one evaluation over the whole resolved ecosystem, and the
// mapping of each policy finding back to the file and line that set the value — through
// resolution provenance, so a ceiling broken in a template points at the template line.
import type { Ecosystem, ManifestRecord, SourceLoc } from '../manifest/ecosystem.js';
import { isNamedKind, locateIn, namedMap } from '../manifest/ecosystem.js';
import { provenanceOf, type ResolvedPlatform } from '../manifest/resolve.js';
import type { Finding, Severity } from '../report/finding.js';
import type { PolicyEngine } from './engine.js';
import { PolicyError } from './errors.js';
import type { GovernanceInput } from './input.js';
import { rawFindingKey } from './slices.js';

/** A finding as the Rego policies emit it (policies/README.md). */
export interface PolicyFinding {
  ruleId: string;
  severity: Severity;
  message: string;
  hint?: string;
  kind: string;
  name: string;
  environment?: string;
  path: string;
  resolved: boolean;
  /** "tier": the value is wrong only in this environment's tier (see toFinding). */
  because?: string;
  exception?: string;
}

export interface WaivedFinding extends Finding {
  exception: string;
}

export interface GovernanceResult {
  findings: Finding[];
  /** Findings an active PolicyException waived (for reporting and the audit trail). */
  waived: WaivedFinding[];
}

const SEVERITIES = new Set(['error', 'warning', 'note']);

function recordOf(eco: Ecosystem, kind: string, name: string): ManifestRecord | undefined {
  if (kind === 'PlatformInstance') return eco.instances.get(name) ?? [...eco.instances.values()].find((r) => r.name === name);
  if (kind === 'Contract') {
    const at = name.lastIndexOf('@');
    const versions = eco.contracts.get(at > 0 ? name.slice(0, at) : name);
    return at > 0 ? versions?.find((r) => r.manifest.spec.version === name.slice(at + 1)) : versions?.[0];
  }
  return isNamedKind(kind) ? namedMap(eco, kind).get(name) : undefined;
}

function isPolicyFinding(v: unknown): v is PolicyFinding {
  if (v === null || typeof v !== 'object') return false;
  const f = v as Record<string, unknown>;
  return (
    typeof f.ruleId === 'string' &&
    typeof f.severity === 'string' &&
    SEVERITIES.has(f.severity) &&
    typeof f.message === 'string' &&
    typeof f.kind === 'string' &&
    typeof f.name === 'string' &&
    typeof f.path === 'string'
  );
}

export class FindingLocator {
  private readonly resolved = new Map<string, ResolvedPlatform>();

  constructor(
    private readonly eco: Ecosystem,
    resolved: ResolvedPlatform[],
  ) {
    for (const r of resolved) this.resolved.set(`${r.environment}\0${r.platform}`, r);
  }

  /** File/line of a policy finding: provenance for resolved paths, positions for manifest paths. */
  locate(f: Pick<PolicyFinding, 'kind' | 'name' | 'environment' | 'path' | 'resolved'>): SourceLoc | undefined {
    if (f.resolved && f.environment !== undefined) {
      const r = this.resolved.get(`${f.environment}\0${f.name}`);
      const hit = r ? provenanceOf(r, f.path) : undefined;
      if (hit) return hit;
      // Nothing in any layer set the value (e.g. a missing field): point at the platform's
      // entry in the environment's instance, else at the platform itself.
      const instance = this.eco.instances.get(f.environment);
      const i = instance?.manifest.spec.platforms.findIndex((p) => p.name === f.name) ?? -1;
      if (instance && i >= 0) return locateIn(instance, `/spec/platforms/${i}`);
      const p = this.eco.platforms.get(f.name);
      return p ? locateIn(p, '/spec') : undefined;
    }
    const rec = recordOf(this.eco, f.kind, f.name);
    return rec ? locateIn(rec, f.path) : undefined;
  }

  /**
   * A value wrong only because of the tier (allow-all is fine in dev, not in prod) that a file
   * shared with other tiers sets: what made it wrong is the environment's tier line, so the
   * finding lands there — in the environment a copy made prod — naming where the value is set.
   */
  private byTier(f: PolicyFinding, at: SourceLoc): { loc: SourceLoc; message: string } | undefined {
    if (f.because !== 'tier' || f.environment === undefined) return undefined;
    const env = this.eco.environments.get(f.environment);
    if (!env) return undefined;
    const own = new Set([env.file, this.eco.instances.get(f.environment)?.file]);
    if (own.has(at.file)) return undefined;
    return { loc: locateIn(env, '/spec/tier'), message: `${f.message} (the value is set at ${at.file}:${at.line}, shared with other environments)` };
  }

  toFinding(f: PolicyFinding): Finding {
    const located = this.locate(f) ?? { file: '', line: 1, column: 1 };
    const tier = this.byTier(f, located);
    const loc = tier?.loc ?? located;
    return {
      ruleId: f.ruleId,
      severity: f.severity,
      message: tier?.message ?? f.message,
      ...(f.hint ? { hint: f.hint } : {}),
      ...loc,
      kind: f.kind,
      name: f.name,
      ...(f.environment !== undefined ? { environment: f.environment } : {}),
      path: f.path,
    };
  }
}

function asFindingList(value: unknown, what: string): PolicyFinding[] {
  if (!Array.isArray(value)) throw new PolicyError(`policy output "${what}" is not a list of findings`, 'rebuild the bundle with mnops policy build');
  for (const v of value) {
    if (!isPolicyFinding(v)) {
      throw new PolicyError(`policy output "${what}" holds a malformed finding: ${JSON.stringify(v).slice(0, 200)}`, 'every rule must emit {ruleId, severity, message, kind, name, path, resolved}');
    }
  }
  return value as PolicyFinding[];
}

export function evaluateGovernance(engine: PolicyEngine, eco: Ecosystem, resolved: ResolvedPlatform[], input: GovernanceInput): GovernanceResult {
  return governanceResult([engine.evaluate('governance', input)], eco, resolved);
}

/**
 * The findings of one or more `governance` values (of slices of one input): each checked,
 * their union taken, then located in the files.
 */
export function governanceResult(values: unknown[], eco: Ecosystem, resolved: ResolvedPlatform[]): GovernanceResult {
  const raw = { findings: new Map<string, PolicyFinding>(), waived: new Map<string, PolicyFinding>() };
  for (const value of values) {
    const out = value as { findings?: unknown; waived?: unknown } | null;
    if (out === null || typeof out !== 'object' || !('findings' in out)) {
      throw new PolicyError('the governance policy returned no findings list', 'rebuild the bundle with mnops policy build');
    }
    for (const f of asFindingList(out.findings, 'findings')) raw.findings.set(rawFindingKey(f), f);
    for (const f of asFindingList(out.waived ?? [], 'waived')) raw.waived.set(rawFindingKey(f), f);
  }
  const locator = new FindingLocator(eco, resolved);
  const findings = [...raw.findings.values()].map((f) => locator.toFinding(f));
  const waived = [...raw.waived.values()].map((f) => ({ ...locator.toFinding(f), exception: String(f.exception ?? '') }));
  return { findings, waived };
}
