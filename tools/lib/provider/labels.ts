// The labels every provider puts on what it creates: identity, and the spec (without secret
// values or their digests) so a plan can diff field by field from one list call.
import { canonicalJson } from '../json/canonical.js';
import { looksSecret, maskedValue } from '../secrets/index.js';
import { LABELS, type ActualWorkload, type DesiredWorkload } from './types.js';

/** The desired spec as it is recorded on the workload: secrets as references, never values. */
export function recordedSpec(desired: DesiredWorkload): Record<string, unknown> {
  const { secrets, specHash: _h, env, maskedEnv, ...rest } = desired;
  // A secret-looking plain value (a policy waived or switched off) still never reaches a
  // label or a plan line: only its keyed digest does.
  const shownEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) shownEnv[k] = looksSecret(k, v) ? maskedValue(maskedEnv?.[k]) : v;
  return { ...rest, env: shownEnv, secrets: secrets.map(({ value: _v, digest: _d, ...ref }) => ({ ...ref })) };
}

export function managedLabels(desired: DesiredWorkload): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.platform]: desired.platform,
    [LABELS.environment]: desired.environment,
    [LABELS.version]: desired.version,
    [LABELS.specHash]: desired.specHash,
    [LABELS.spec]: canonicalJson(recordedSpec(desired)),
  };
}

/** Identity fields of a managed object, from its labels; undefined when not ours. */
export function fromLabels(labels: Record<string, string> | undefined): Pick<ActualWorkload, 'platform' | 'environment' | 'version' | 'specHash' | 'spec'> | undefined {
  const platform = labels?.[LABELS.platform];
  const environment = labels?.[LABELS.environment];
  if (!labels || labels[LABELS.managed] !== 'true' || !platform || !environment) return undefined;
  let spec: Record<string, unknown> | undefined;
  const specText = labels[LABELS.spec];
  try {
    spec = specText ? (JSON.parse(specText) as Record<string, unknown>) : undefined;
  } catch {
    spec = undefined;
  }
  return {
    platform,
    environment,
    version: labels[LABELS.version] ?? '',
    specHash: labels[LABELS.specHash] ?? '',
    ...(spec ? { spec } : {}),
  };
}
