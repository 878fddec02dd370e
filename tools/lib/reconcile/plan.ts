// plan: desired (git) against actual (engine) → create / update / delete, each update with
// the fields that differ (read like terraform plan: `field: actual → desired`).
import { canonicalJson } from '../json/canonical.js';
import { recordedSpec } from '../provider/labels.js';
import { byPlatform, runsExactly, type ActualWorkload, type DesiredWorkload } from '../provider/types.js';
import { escapePointerToken } from '../json/pointer.js';

export interface FieldChange {
  /** JSON pointer into the workload spec, e.g. /resources/memoryMb. */
  field: string;
  from: unknown;
  to: unknown;
}

interface ActionBase {
  platform: string;
  changes: FieldChange[];
  /** Why apply leaves this action out (a prune not asked for, a version the gate has not admitted). */
  held?: string;
}

export type PlanAction =
  | (ActionBase & { kind: 'create'; desired: DesiredWorkload })
  | (ActionBase & { kind: 'update'; desired: DesiredWorkload; actual: ActualWorkload })
  | (ActionBase & {
      kind: 'delete';
      actual: ActualWorkload;
      /** In the last recorded inventory (declared once, no longer); false: never declared by a manifest that loaded. */
      owned?: boolean;
    })
  | (ActionBase & { kind: 'noop'; desired: DesiredWorkload; actual: ActualWorkload });

export interface Plan {
  environment: string;
  actions: PlanAction[];
}

/** Leaf-level differences between two JSON values. */
export function diffValues(from: unknown, to: unknown, at = ''): FieldChange[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(from) && isObj(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((k) => diffValues(from[k], to[k], `${at}/${escapePointerToken(k)}`));
  }
  if (canonicalJson(from ?? null) === canonicalJson(to ?? null)) return [];
  return [{ field: at || '/', from: from ?? null, to: to ?? null }];
}

export function plan(environment: string, desired: DesiredWorkload[], actual: ActualWorkload[]): Plan {
  const running = byPlatform(actual);
  const actions: PlanAction[] = [];
  for (const d of desired) {
    const a = running.get(d.platform);
    running.delete(d.platform);
    const want = recordedSpec(d);
    if (!a) {
      actions.push({ kind: 'create', platform: d.platform, desired: d, changes: diffValues(undefined, want).length ? diffValues({}, want) : [] });
    } else if (runsExactly(a, d)) {
      actions.push({ kind: 'noop', platform: d.platform, desired: d, actual: a, changes: [] });
    } else {
      const changes = diffValues(a.spec ?? {}, want);
      if (a.specHash === d.specHash && changes.length === 0 && a.generations.length > 1 && a.healthy && a.running >= d.replicas) {
        // Same spec, all healthy, but replicas of an unfinished rollout still run beside it.
        changes.push({ field: '/generations', from: a.generations.map((g) => `${g.version} (${g.running})`).join(', '), to: `${d.replicas} of ${a.version}` });
      } else if (a.specHash === d.specHash && changes.length === 0) {
        // Same spec, but not all replicas run healthy: replacing restores it.
        changes.push({ field: '/running', from: `${a.running}/${a.replicas}${a.healthy ? '' : ' unhealthy'}`, to: `${d.replicas}/${d.replicas}` });
      } else if (changes.length === 0) {
        // Only secret values changed (the spec records digests, not values).
        changes.push({ field: '/secrets', from: '(rotated)', to: '(rotated)' });
      }
      actions.push({ kind: 'update', platform: d.platform, desired: d, actual: a, changes });
    }
  }
  for (const a of running.values()) actions.push({ kind: 'delete', platform: a.platform, actual: a, changes: [] });
  actions.sort((x, y) => (x.platform < y.platform ? -1 : x.platform > y.platform ? 1 : 0));
  return { environment, actions };
}

/** What apply would do: every change not held back. */
export function pendingActions(p: Plan): PlanAction[] {
  return p.actions.filter((a) => a.kind !== 'noop' && !a.held);
}

/** Every difference between git and the engine, held back or not (plan's exit code). */
export function differences(p: Plan): PlanAction[] {
  return p.actions.filter((a) => a.kind !== 'noop');
}
