// Environment leases through the trail, in process on a real git trail: one holder at a
// time, until it is released, broken or expires; a release names the lease it ends.
import { afterAll, describe, expect, it } from 'vitest';
import { AuditTrail, type AuditRecord } from '../../tools/lib/audit/index.js';
import { acquireLease, breakLease, currentLease, LeaseError, MAX_LEASE_MS, releaseLease } from '../../tools/lib/audit/lease.js';
import { git, removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

async function trail(): Promise<AuditTrail> {
  const root = tempDir('mnops-lease-');
  dirs.push(root);
  git(root, 'init', '-q', '-b', 'main');
  return AuditTrail.open({ root });
}

const T0 = new Date('2026-06-01T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const lease = (id: string, minutes: number) => ({ id, holder: `h-${id}`, expiresAt: at(minutes).toISOString() });
const rec = (r: Partial<AuditRecord>): AuditRecord => ({ id: 'x', actor: 'a', action: 'lock', environment: 'dev', outcome: 'acquired', seq: 1, prev: '', hash: '', at: T0.toISOString(), ...r }) as AuditRecord;

describe('currentLease', () => {
  it('the last lease acquired on the environment, until its own unlock or its expiry', () => {
    const a = lease('a', 30);
    const b = lease('b', 60);
    expect(currentLease([rec({ lease: a })], 'dev', at(10))).toEqual(a);
    expect(currentLease([rec({ lease: a })], 'dev', at(30))).toBeUndefined(); // expired at the instant
    expect(currentLease([rec({ lease: a })], 'prod', at(10))).toBeUndefined();
    expect(currentLease([rec({ lease: a }), rec({ action: 'unlock', outcome: 'released', lease: a })], 'dev', at(10))).toBeUndefined();
    // An unlock of another lease ends nothing; an unlock on another environment neither.
    expect(currentLease([rec({ lease: a }), rec({ action: 'unlock', outcome: 'released', lease: b })], 'dev', at(10))).toEqual(a);
    expect(currentLease([rec({ lease: a }), rec({ action: 'unlock', environment: 'prod', outcome: 'released', lease: a })], 'dev', at(10))).toEqual(a);
    // A refused lock and a record without a lease change nothing.
    expect(currentLease([rec({ lease: a }), rec({ outcome: 'denied', lease: b }), rec({ action: 'deploy', outcome: 'success' })], 'dev', at(10))).toEqual(a);
    expect(currentLease([rec({ lease: a }), rec({ lease: b })], 'dev', at(10))).toEqual(b);
  });
});

describe('acquire, release and break on a trail', () => {
  it('one holder at a time; released, the next may take it', async () => {
    const t = await trail();
    const first = await acquireLease(t, { environment: 'dev', holder: 'deploy-1', ttlMs: 60_000, reason: 'rollout', now: () => T0 });
    expect(first).toMatchObject({ acquired: true, lease: { holder: 'deploy-1', expiresAt: at(1).toISOString() }, record: { action: 'lock', outcome: 'acquired', reason: 'rollout' } });
    const second = await acquireLease(t, { environment: 'dev', holder: 'deploy-2', ttlMs: 60_000, now: () => at(0.5) });
    expect(second).toEqual({ acquired: false, heldBy: first.acquired ? first.lease : undefined });
    // Another environment is free.
    expect((await acquireLease(t, { environment: 'prod', holder: 'deploy-2', ttlMs: 60_000, now: () => at(0.5) })).acquired).toBe(true);
    if (!first.acquired) throw new Error('unreachable');
    const released = await releaseLease(t, { environment: 'dev', leaseId: first.lease.id, actor: 'deploy-1' });
    expect(released).toMatchObject({ action: 'unlock', outcome: 'released', lease: first.lease, id: `unlock-${first.lease.id}` });
    expect((await acquireLease(t, { environment: 'dev', holder: 'deploy-2', ttlMs: 60_000, now: () => at(0.6) })).acquired).toBe(true);
  });

  it('an expired lease is no lease: the next holder takes it', async () => {
    const t = await trail();
    await acquireLease(t, { environment: 'dev', holder: 'crashed', ttlMs: 60_000, now: () => T0 });
    expect((await acquireLease(t, { environment: 'dev', holder: 'next', ttlMs: 60_000, now: () => at(2) })).acquired).toBe(true);
  });

  it('releasing a lease that is not the current one, or none, is refused and names the holder', async () => {
    const t = await trail();
    const none = await releaseLease(t, { environment: 'dev', leaseId: 'nope', actor: 'x' }).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(LeaseError);
    expect(none).toMatchObject({ message: 'there is no lease nope on dev', hint: 'run mnops audit lock status --env to see the current lease' });
    const held = await acquireLease(t, { environment: 'dev', holder: 'deploy-1', ttlMs: 60_000 });
    if (!held.acquired) throw new Error('unreachable');
    await expect(releaseLease(t, { environment: 'dev', leaseId: 'other', actor: 'x' })).rejects.toThrow(`lease other is not the lease on dev (that is ${held.lease.id}, held by deploy-1)`);
    const broken = await breakLease(t, { environment: 'dev', leaseId: held.lease.id, actor: 'oncall', reason: 'deploy-1 crashed' });
    expect(broken).toMatchObject({ action: 'unlock', outcome: 'broken', reason: 'deploy-1 crashed', lease: held.lease });
    // The record names who ran it, as the trail knows them, not the name the caller passed.
    expect(broken!.actor).not.toBe('oncall');
  });

  it('a lease lasts more than nothing and at most twelve hours', async () => {
    const t = await trail();
    for (const ttlMs of [0, -1, MAX_LEASE_MS + 1]) await expect(acquireLease(t, { environment: 'dev', holder: 'h', ttlMs })).rejects.toThrow('a lease lasts between 1 ms and 12 hours');
    expect((await acquireLease(t, { environment: 'dev', holder: 'h', ttlMs: MAX_LEASE_MS })).acquired).toBe(true);
  });
});
