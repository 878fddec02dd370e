// How long each drift has lasted, kept in the audit trail itself: a check appends one
// `drift-detected` record per platform with the fingerprints it sees for the first time, and
// one `drift-cleared` when they are gone, so a scheduled run on a fresh runner knows the
// first-seen time of every open drift and never records the same drift twice.
import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRecord } from '../audit/record.js';
import { show, type DriftItem } from './compare.js';

export interface OpenDrift {
  environment: string;
  platform: string;
  firstSeen: string;
}

/** What folding needs of a record: trail records and the entries a check just appended. */
type DriftRecord = Pick<AuditRecord, 'action' | 'environment' | 'platform' | 'fingerprints'> & { time?: string };

/** Open drifts by fingerprint, folded in order from the trail (onto `open`, when given). */
export function openDrifts(records: readonly DriftRecord[], open = new Map<string, OpenDrift>()): Map<string, OpenDrift> {
  for (const r of records) {
    if (r.action === 'drift-detected') {
      for (const fp of r.fingerprints ?? []) if (!open.has(fp)) open.set(fp, { environment: r.environment, platform: r.platform ?? '', firstSeen: r.time ?? '' });
    } else if (r.action === 'drift-cleared') {
      for (const fp of r.fingerprints ?? []) open.delete(fp);
    }
  }
  return open;
}

function brief(v: unknown): string {
  const s = show(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function summary(items: readonly DriftItem[]): string {
  const parts = items.slice(0, 8).map((i) => (i.kind === 'missing' ? 'missing' : i.kind === 'undeclared' ? 'undeclared' : `${i.field}: ${brief(i.desired)} → ${brief(i.actual)}`));
  return parts.join('; ') + (items.length > 8 ? `; and ${items.length - 8} more` : '');
}

function idOf(prefix: string, environment: string, platform: string, fingerprints: readonly string[]): string {
  return `${prefix}-${createHash('sha256').update(`${environment}\0${platform}\0${[...fingerprints].sort().join(',')}`).digest('hex').slice(0, 24)}`;
}

export interface DriftTransition {
  /** Records to append: new drifts and cleared ones, one per platform each. */
  entries: AuditEntry[];
  /** The items, with firstSeen filled in. */
  items: DriftItem[];
}

/**
 * The records a check appends, given the open drifts of the environments it checked. The ids
 * are derived from what they record and the open state, so a retried append lands once.
 */
export function transition(
  checked: readonly string[],
  items: readonly DriftItem[],
  open: ReadonlyMap<string, OpenDrift>,
  at: { time: string; actor: string },
): DriftTransition {
  const current = new Set(items.map((i) => i.fingerprint));
  const out = items.map((i) => ({ ...i, firstSeen: open.get(i.fingerprint)?.firstSeen ?? at.time }));
  const entries: AuditEntry[] = [];
  const byPlatform = new Map<string, DriftItem[]>();
  for (const i of out) {
    if (open.has(i.fingerprint)) continue;
    const key = `${i.environment}\0${i.platform}`;
    byPlatform.set(key, [...(byPlatform.get(key) ?? []), i]);
  }
  for (const group of byPlatform.values()) {
    const { environment, platform } = group[0]!;
    const fps = group.map((i) => i.fingerprint);
    entries.push({
      id: idOf('drift', environment, platform, [...fps, at.time]),
      time: at.time,
      actor: at.actor,
      action: 'drift-detected',
      environment,
      platform,
      outcome: 'detected',
      reason: summary(group),
      fingerprints: fps,
    });
  }
  const cleared = new Map<string, string[]>();
  for (const [fp, o] of open) {
    if (!checked.includes(o.environment) || current.has(fp)) continue;
    const key = `${o.environment}\0${o.platform}`;
    cleared.set(key, [...(cleared.get(key) ?? []), fp]);
  }
  for (const [key, fps] of cleared) {
    const [environment, platform] = key.split('\0') as [string, string];
    const since = fps.map((f) => open.get(f)!.firstSeen).sort()[0];
    entries.push({
      id: idOf('drift-cleared', environment, platform, [...fps, at.time]),
      time: at.time,
      actor: at.actor,
      action: 'drift-cleared',
      environment,
      platform,
      outcome: 'cleared',
      reason: `${fps.length} difference(s) gone, open since ${since}`,
      fingerprints: fps.sort(),
    });
  }
  return { entries, items: out };
}
