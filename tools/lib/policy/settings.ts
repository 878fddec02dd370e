// Governance tunables (tier ceilings, severity overrides, ttl limits, secret patterns,
// naming patterns) come from ecosystem/governance as a PolicySettings manifest: data, not
// Rego literals. These defaults apply only to what the manifest leaves out.
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { PolicySettings, Resources, Tier } from '../manifest/kinds.js';
import { DEFAULT_SECRET_KEY_PATTERN, DEFAULT_SECRET_VALUE_PATTERNS } from '../secrets/index.js';

export type PolicySettingsSpec = Required<Pick<PolicySettings['spec'], 'tiers' | 'ttl' | 'secrets' | 'naming'>>;

const ceilings = (cpuCores: number, memoryMb: number, diskMb: number): Resources => ({
  cpuCores,
  memoryMb,
  diskMb,
  maxOpenFds: 65_536,
  maxProcesses: 4_096,
  maxThreads: 8_192,
});

export const DEFAULT_SETTINGS: PolicySettingsSpec = {
  tiers: {
    dev: { ceilings: ceilings(4, 4096, 20_480) },
    sandbox: { ceilings: ceilings(2, 2048, 10_240) },
    preview: { ceilings: ceilings(2, 2048, 10_240) },
    staging: { ceilings: ceilings(8, 8192, 51_200) },
    prod: { ceilings: ceilings(16, 16_384, 102_400) },
  } satisfies Record<Tier, unknown>,
  ttl: { maxHours: { sandbox: 168, preview: 72 } },
  secrets: { keyPattern: DEFAULT_SECRET_KEY_PATTERN, valuePatterns: [...DEFAULT_SECRET_VALUE_PATTERNS] },
  naming: {
    platform: '^[a-z][a-z0-9-]{1,40}-platform$',
    environment: '^[a-z][a-z0-9-]{1,30}$',
  },
};

/** The repository's PolicySettings merged over the defaults (per tier, per field). */
export function effectiveSettings(eco: Ecosystem): PolicySettingsSpec {
  const own = [...eco.settings.values()][0]?.manifest.spec;
  if (!own) return DEFAULT_SETTINGS;
  const tiers: PolicySettingsSpec['tiers'] = {};
  for (const tier of new Set([...Object.keys(DEFAULT_SETTINGS.tiers), ...Object.keys(own.tiers ?? {})])) {
    const d = DEFAULT_SETTINGS.tiers[tier as Tier];
    const o = own.tiers?.[tier as Tier];
    tiers[tier as Tier] = {
      ceilings: { ...d?.ceilings, ...o?.ceilings },
      ...(o?.severity ? { severity: o.severity } : {}),
    };
  }
  return {
    tiers,
    ttl: { maxHours: { ...DEFAULT_SETTINGS.ttl.maxHours, ...own.ttl?.maxHours } },
    secrets: {
      keyPattern: own.secrets?.keyPattern ?? DEFAULT_SETTINGS.secrets.keyPattern,
      valuePatterns: [...(DEFAULT_SETTINGS.secrets.valuePatterns ?? []), ...(own.secrets?.valuePatterns ?? [])],
    },
    naming: { ...DEFAULT_SETTINGS.naming, ...own.naming },
  };
}
