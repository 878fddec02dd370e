// Environment leases recorded through the trail: the serialization deploys need. Because
// every append is decided against the tip it lands on (and retried on a new tip), two
// writers racing for one environment end with exactly one holder.
import { randomUUID } from 'node:crypto';
import { MnopsError } from '../repo/errors.js';
import type { AuditRecord, LeaseInfo } from './record.js';
import type { AuditTrail, TrailTip } from './trail.js';

/** Leases are short by design (deploys, heals); the trail scans two days for them. */
export const MAX_LEASE_MS = 12 * 3_600_000;

export class LeaseError extends MnopsError {}

/** The live lease on an environment at `now`, if any. */
export function currentLease(recent: AuditRecord[], environment: string, now: Date): LeaseInfo | undefined {
  let live: LeaseInfo | undefined;
  for (const r of recent) {
    if (r.environment !== environment || !r.lease) continue;
    if (r.action === 'lock' && r.outcome === 'acquired') live = r.lease;
    else if (r.action === 'unlock' && live && r.lease.id === live.id) live = undefined;
  }
  return live && Date.parse(live.expiresAt) > now.getTime() ? live : undefined;
}

export type AcquireResult = { acquired: true; lease: LeaseInfo; record: AuditRecord } | { acquired: false; heldBy: LeaseInfo };

export async function acquireLease(
  trail: AuditTrail,
  options: { environment: string; holder: string; ttlMs: number; reason?: string; now?: () => Date },
): Promise<AcquireResult> {
  if (options.ttlMs <= 0 || options.ttlMs > MAX_LEASE_MS) throw new LeaseError(`a lease lasts between 1 ms and ${MAX_LEASE_MS / 3_600_000} hours`, 'pick a shorter --ttl');
  const now = options.now ?? (() => new Date());
  const id = randomUUID();
  let heldBy: LeaseInfo | undefined;
  const result = await trail.append((tip: TrailTip) => {
    const at = now();
    heldBy = currentLease(tip.recent, options.environment, at);
    if (heldBy) return null;
    return {
      id: `lock-${id}`,
      actor: options.holder,
      action: 'lock',
      environment: options.environment,
      outcome: 'acquired',
      ...(options.reason ? { reason: options.reason } : {}),
      lease: { id, holder: options.holder, expiresAt: new Date(at.getTime() + options.ttlMs).toISOString() },
    };
  });
  if (result.record?.lease?.id === id) return { acquired: true, lease: result.record.lease, record: result.record };
  return { acquired: false, heldBy: heldBy! };
}

async function endLease(
  trail: AuditTrail,
  options: { environment: string; leaseId: string; actor: string; reason?: string },
  outcome: 'released' | 'broken',
): Promise<AuditRecord | undefined> {
  let found: LeaseInfo | undefined;
  const result = await trail.append((tip) => {
    found = currentLease(tip.recent, options.environment, new Date(0));
    if (!found || found.id !== options.leaseId) return null;
    return {
      id: `unlock-${options.leaseId}`,
      actor: options.actor,
      action: 'unlock',
      environment: options.environment,
      outcome,
      ...(options.reason ? { reason: options.reason } : {}),
      lease: found,
    };
  });
  if (!result.record && !result.duplicate) {
    throw new LeaseError(
      found ? `lease ${options.leaseId} is not the lease on ${options.environment} (that is ${found.id}, held by ${found.holder})` : `there is no lease ${options.leaseId} on ${options.environment}`,
      'run mnops audit lock status --env to see the current lease',
    );
  }
  return result.record;
}

export function releaseLease(trail: AuditTrail, options: { environment: string; leaseId: string; actor: string }): Promise<AuditRecord | undefined> {
  return endLease(trail, options, 'released');
}

/** Clears a lease someone else holds (e.g. after a crashed deploy); the reason is recorded. */
export function breakLease(trail: AuditTrail, options: { environment: string; leaseId: string; actor: string; reason: string }): Promise<AuditRecord | undefined> {
  return endLease(trail, options, 'broken');
}
