// Drift of one environment, field by field: every observed instance against the desired view
// of its replica, plus missing, undeclared, stopped and unhealthy workloads and replica counts.
// Pure: the provider has already read both sides into views of one shape. A value is shown
// only where it cannot be a secret (see shown()).
import { createHash } from 'node:crypto';
import { canonicalJson } from '../json/canonical.js';
import type { DesiredWorkload } from '../provider/types.js';
import { isDigest, type DriftObservation, type ObservedInstance, type WorkloadView } from '../provider/view.js';
import { diffValues } from '../reconcile/plan.js';
import { looksSecret, maskedValue } from '../secrets/index.js';
import { unescapePointerToken } from '../json/pointer.js';

export type DriftKind = 'changed' | 'missing' | 'undeclared' | 'stopped' | 'unhealthy' | 'replicas';

export interface DriftItem {
  environment: string;
  platform: string;
  kind: DriftKind;
  /** JSON pointer into the workload view (`/resources/memoryMb`), `/` for a whole workload. */
  field: string;
  /** What git declares (null: nothing). Secrets appear only as digests. */
  desired: unknown;
  /** What the engine runs (null: nothing). */
  actual: unknown;
  /** Engine objects showing it (container or service names). */
  instances: string[];
  /** Stable while this exact difference lasts: the key of its first-seen time. */
  fingerprint: string;
  /** When a check first saw it (RFC 3339), once the state is known. */
  firstSeen?: string;
}

/** A desired or actual value as a person reads it. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A pointer ignores itself and everything under it. */
export function ignored(field: string, pointers: readonly string[]): boolean {
  return pointers.some((p) => field === p || field.startsWith(`${p}/`) || p === '/');
}

function fingerprint(environment: string, platform: string, field: string, desired: unknown, actual: unknown): string {
  return createHash('sha256').update(canonicalJson({ environment, platform, field, desired, actual })).digest('hex').slice(0, 16);
}

const KIND_OF: Record<string, DriftKind> = { '/state': 'stopped', '/health': 'unhealthy', '/replicas': 'replicas' };

/** Names that are secrets on either side: declared as one, or delivered as one to what runs. */
function secretNames(want: WorkloadView, got: WorkloadView): Set<string> {
  return new Set([...Object.keys(want.secrets), ...Object.keys(got.secrets)]);
}

/**
 * A drift value as it may be printed and recorded: only a digest when it sits under a name
 * that is, or was, a secret on either side, or when either side looks like a secret (by its
 * key or its shape). A name moved from secrets to plain env would otherwise print the value
 * the engine still holds.
 */
function shown(field: string, value: unknown, other: unknown, secrets: ReadonlySet<string>): unknown {
  const parts = field.split('/');
  // A view holds no secret value under /secrets (digests, or the swarm secret's name).
  if (value === null || value === undefined || parts[1] === 'secrets' || (typeof value === 'string' && isDigest(value))) return value;
  const text = show(value);
  const key = unescapePointerToken(parts.at(-1) ?? '');
  const secret = (parts[1] === 'env' && secrets.has(key)) || looksSecret(key, text) || (other !== null && other !== undefined && looksSecret(key, show(other)));
  return secret ? maskedValue(undefined) : value;
}

export function compareEnvironment(
  environment: string,
  desired: readonly DesiredWorkload[],
  obs: DriftObservation,
  driftIgnore: ReadonlyMap<string, readonly string[]> = new Map(),
): DriftItem[] {
  const items = new Map<string, DriftItem>();
  const add = (platform: string, kind: DriftKind, field: string, want: unknown, got: unknown, instance?: string) => {
    if (ignored(field, driftIgnore.get(platform) ?? [])) return;
    const fp = fingerprint(environment, platform, field, want ?? null, got ?? null);
    const existing = items.get(fp);
    if (existing) {
      if (instance && !existing.instances.includes(instance)) existing.instances.push(instance);
      return;
    }
    items.set(fp, { environment, platform, kind, field, desired: want ?? null, actual: got ?? null, instances: instance ? [instance] : [], fingerprint: fp });
  };

  const byPlatform = new Map<string, ObservedInstance[]>();
  for (const i of obs.instances) byPlatform.set(i.platform, [...(byPlatform.get(i.platform) ?? []), i]);

  for (const d of desired) {
    const mine = byPlatform.get(d.platform) ?? [];
    byPlatform.delete(d.platform);
    const views = obs.desired.get(d.platform) ?? [];
    if (mine.length === 0) {
      if (d.replicas > 0) add(d.platform, 'missing', '/', `${d.version} × ${d.replicas}`, null);
      continue;
    }
    const counted = obs.replicas.get(d.platform);
    if (counted && counted.declared !== d.replicas) add(d.platform, 'replicas', '/replicas', d.replicas, counted.declared);
    for (const inst of mine) {
      const want = views[inst.replica] ?? views[0];
      if (want) {
        const changes = diffValues(want, inst.view);
        // A changed spec changes its hash label too: that line says nothing more.
        const meaningful = changes.length > 1 ? changes.filter((c) => c.field !== '/labels/mnops.spec-hash') : changes;
        const secrets = secretNames(want, inst.view);
        for (const c of meaningful) add(d.platform, KIND_OF[c.field] ?? 'changed', c.field, shown(c.field, c.from, c.to, secrets), shown(c.field, c.to, c.from, secrets), inst.name);
      }
      if (inst.state !== 'running') add(d.platform, 'stopped', '/state', 'running', inst.state, inst.name);
      else if (inst.health === 'unhealthy') add(d.platform, 'unhealthy', '/health', 'healthy', 'unhealthy', inst.name);
    }
  }
  // Managed labels, no manifest: a leftover, or something started by hand as one of ours.
  for (const [platform, mine] of byPlatform) {
    for (const inst of mine) {
      const version = inst.view.labels['mnops.version'] ?? '?';
      add(platform, 'undeclared', '/', null, `${inst.view.image} (version ${version}, ${inst.state})`, inst.name);
    }
  }
  return [...items.values()].sort(
    (a, b) => a.platform.localeCompare(b.platform) || a.field.localeCompare(b.field) || a.fingerprint.localeCompare(b.fingerprint),
  );
}
