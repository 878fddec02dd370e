// The PolicyExceptions in force for what an operation deploys: those that waived a finding of
// that platform in that environment — about the platform itself, a template it extends, or its
// entry in the environment's instance. Deploy, promote, rollback, apply and heal append one
// `exception-used` record per exception, so the trail says which waivers let what run where.
import type { AuditEntry, ExceptionUse } from '../audit/index.js';
import type { Ecosystem } from '../manifest/ecosystem.js';
import { templateChain } from '../manifest/resolve.js';
import type { WaivedFinding } from '../policy/index.js';

export function exceptionsInForce(eco: Ecosystem, waived: readonly WaivedFinding[], platform: string, environment: string): ExceptionUse[] {
  const templates = new Set(templateChain(eco, eco.platforms.get(platform)?.manifest.spec.extends).chain.map((t) => t.name));
  const entry = eco.instances.get(environment)?.manifest.spec.platforms.findIndex((p) => p.name === platform) ?? -1;
  const ofPlatform = (f: WaivedFinding): boolean => {
    if (f.environment !== undefined && f.environment !== environment) return false;
    if (f.kind === 'Platform') return f.name === platform;
    if (f.kind === 'PlatformTemplate') return f.name !== undefined && templates.has(f.name);
    if (f.kind === 'PlatformInstance') return f.environment === environment && entry >= 0 && (f.path ?? '').startsWith(`/spec/platforms/${entry}/`);
    return false;
  };
  const uses = new Map<string, ExceptionUse>();
  for (const f of waived) {
    if (!ofPlatform(f) || uses.has(f.exception)) continue;
    const expires = eco.exceptions.get(f.exception)?.manifest.spec.expires;
    uses.set(f.exception, { name: f.exception, rule: f.ruleId, expires: expires === undefined ? '' : String(expires) });
  }
  return [...uses.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** One exception-used record per exception, beside the record of what was deployed. */
export function exceptionUsedEntries(uses: readonly ExceptionUse[], base: Pick<AuditEntry, 'actor' | 'environment' | 'platform' | 'toVersion' | 'commit' | 'time'>): AuditEntry[] {
  return uses.map((u) => ({
    ...base,
    action: 'exception-used',
    outcome: 'success',
    reason: `${u.rule} waived by exception ${u.name} until ${u.expires}`,
    exception: { ...u },
  }));
}
