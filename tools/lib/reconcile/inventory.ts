// What the audit trail knows about an environment, independent of today's files: the
// inventory the last apply, deploy or heal left running (what mnops owns), and the version
// of each platform the promotion gate last admitted (what staging and prod may run).
import type { AuditRecord, Inventory } from '../audit/index.js';
import type { ActualWorkload } from '../provider/types.js';

/** Records that let a version into an environment through the gate. */
const ADMITTING = new Set(['promote', 'deploy', 'rollback']);

export interface EnvironmentHistory {
  /** The last recorded inventory, undefined when nothing was ever recorded. */
  inventory?: Inventory;
  /** platform → the version the gate admitted last. */
  admitted: Map<string, string>;
}

/** Reads one environment's history from the trail's records (oldest first). */
export function environmentHistory(records: readonly AuditRecord[], environment: string): EnvironmentHistory {
  let inventory: Inventory | undefined;
  const admitted = new Map<string, string>();
  for (const r of records) {
    if (r.environment !== environment) continue;
    if (r.inventory && (r.outcome === 'success' || r.outcome === 'failure')) inventory = r.inventory;
    if (ADMITTING.has(r.action) && r.outcome === 'success' && r.platform && r.toVersion) admitted.set(r.platform, r.toVersion);
  }
  return { ...(inventory ? { inventory } : {}), admitted };
}

/** What runs, as an inventory: one entry per platform. */
export function inventoryOf(actual: readonly ActualWorkload[]): Inventory {
  const out: Inventory = {};
  for (const a of [...actual].sort((x, y) => (x.platform < y.platform ? -1 : x.platform > y.platform ? 1 : 0))) {
    out[a.platform] ??= { version: a.version, specHash: a.specHash };
  }
  return out;
}

export function sameInventory(a: Inventory | undefined, b: Inventory): boolean {
  if (!a) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k]!.specHash === b[k]!.specHash && a[k]!.version === b[k]!.version);
}
