// The governance input: the whole resolved ecosystem in one document, keyed by kind and
// name so that every cross-reference in Rego is a lookup (WASM has no rule indexing).
import path from 'node:path';
import type { Ecosystem, ManifestRecord } from '../manifest/ecosystem.js';
import type { ResolvedPlatform } from '../manifest/resolve.js';
import type { PolicySettingsSpec } from './settings.js';

export interface GovernanceInput {
  now: string;
  today: string;
  settings: PolicySettingsSpec;
  platforms: Record<string, unknown>;
  templates: Record<string, unknown>;
  environments: Record<string, unknown>;
  instances: Record<string, unknown>;
  contracts: Record<string, Record<string, unknown>>;
  contract_files: Record<string, Record<string, string>>;
  adapters: Record<string, unknown>;
  namespaces: Record<string, unknown>;
  exceptions: Record<string, unknown>;
  resolved: Record<string, Record<string, unknown>>;
}

type Obj = Record<string, unknown>;

function pick(o: unknown, keys: readonly string[]): Obj | undefined {
  if (o === null || typeof o !== 'object') return undefined;
  const out: Obj = {};
  for (const k of keys) if ((o as Obj)[k] !== undefined) out[k] = (o as Obj)[k];
  return out;
}

/**
 * The WASM runtime parses its JSON input slowly once it passes a few MB (25 MB of a 10k
 * ecosystem took ~26 s, 4 MB ~0.1 s), so the built-in rules get only the fields they read
 * (policies/README.md, "What the rules read"); user policies get the whole manifests.
 */
const READS: Record<string, readonly string[]> = {
  Platform: ['owner', 'namespace', 'env', 'config'],
  PlatformTemplate: ['env', 'config'],
  Environment: ['tier', 'ttl', 'createdAt', 'adapter', 'promotion', 'config'],
  Adapter: ['implements', 'settings'],
  Namespace: ['owners'],
};

function trimManifest(rec: ManifestRecord): unknown {
  const keys = READS[rec.kind];
  if (!keys) return rec.manifest;
  return { metadata: { name: rec.name }, spec: pick(rec.manifest.spec, keys) };
}

function trimInstance(rec: ManifestRecord<'PlatformInstance'>): unknown {
  // Indexes are kept: finding paths point at /spec/platforms/<i>.
  return { metadata: { name: rec.name }, spec: { platforms: rec.manifest.spec.platforms.map((e) => pick(e, ['name', 'env', 'config'])) } };
}

function trimResolved(spec: ResolvedPlatform['spec']): unknown {
  return {
    ...pick(spec, ['resources', 'image', 'sandbox', 'provides', 'consumes']),
    ...(spec.network
      ? { network: { ...pick(spec.network, ['policy']), ...(spec.network.rules ? { rules: spec.network.rules.map((r) => pick(r, ['direction', 'port', 'protocol', 'action'])) } : {}) } }
      : {}),
    // Indexes are kept: network.host-port points at /ports/<i>/hostPort.
    ...(spec.ports ? { ports: spec.ports.map((p) => pick(p, ['containerPort', 'hostPort', 'protocol'])) } : {}),
    ...(spec.healthCheck ? { healthCheck: { command: spec.healthCheck.command } } : {}),
  };
}

/** Each manifest by name (only those named in `only`, when given: the others are not even read). */
function byName(m: Map<string, ManifestRecord>, full: boolean, only?: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, rec] of m) if (!only || only.has(name)) out[name] = full ? rec.manifest : trimManifest(rec);
  return out;
}

/**
 * `now` is passed in, never read from a clock inside the policy: evaluation is deterministic.
 * `full` keeps every field (for user policies, which may read anything); `platforms` keeps
 * only those platform manifests (a slice judges no others).
 */
export function buildGovernanceInput(
  eco: Ecosystem,
  resolved: ResolvedPlatform[],
  settings: PolicySettingsSpec,
  now: Date,
  { full = false, platforms }: { full?: boolean; platforms?: ReadonlySet<string> } = {},
): GovernanceInput {
  const iso = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const contracts: GovernanceInput['contracts'] = {};
  const files: GovernanceInput['contract_files'] = {};
  for (const [name, versions] of eco.contracts) {
    contracts[name] = {};
    files[name] = {};
    for (const rec of versions) {
      contracts[name][rec.manifest.spec.version] = rec.manifest;
      files[name][rec.manifest.spec.version] = path.posix.basename(rec.file).replace(/\.ya?ml$/i, '');
    }
  }
  const res: GovernanceInput['resolved'] = {};
  for (const r of resolved) (res[r.environment] ??= {})[r.platform] = full ? r.spec : trimResolved(r.spec);
  const instances: Record<string, unknown> = {};
  for (const [env, rec] of eco.instances) instances[env] = full ? rec.manifest : trimInstance(rec);
  return {
    now: iso,
    today: iso.slice(0, 10),
    settings,
    platforms: byName(eco.platforms, full, platforms),
    templates: byName(eco.templates, full),
    environments: byName(eco.environments, full),
    instances,
    contracts,
    contract_files: files,
    adapters: byName(eco.adapters, full),
    namespaces: byName(eco.namespaces, full),
    exceptions: byName(eco.exceptions, true),
    resolved: res,
  };
}
