// The rules a plan obeys before apply may take it, as pure functions: deletions held
// without --prune, the prune limit of staging and prod, versions the gate has not admitted,
// the trail's inventory and admissions, and secret-looking values kept out of labels and plans.
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../tools/lib/audit/index.js';
import { managedLabels } from '../../tools/lib/provider/labels.js';
import type { ActualWorkload, DesiredWorkload } from '../../tools/lib/provider/types.js';
import { hashWorkload } from '../../tools/lib/reconcile/desired.js';
import { holdBack, PruneRefused } from '../../tools/lib/reconcile/hold.js';
import { environmentHistory, inventoryOf } from '../../tools/lib/reconcile/inventory.js';
import { pendingActions, plan } from '../../tools/lib/reconcile/plan.js';

function desired(platform: string, version = '1.0.0', env: Record<string, string> = {}): DesiredWorkload {
  const base = { platform, environment: 'e', version, image: `img:${version}`, env, secrets: [], resources: {}, network: {}, sandbox: {}, replicas: 1, ports: [], dependsOn: [] };
  return hashWorkload(base, KEY);
}
const KEY = Buffer.alloc(32, 7);
function actual(d: DesiredWorkload): ActualWorkload {
  return { id: d.platform, platform: d.platform, environment: 'e', version: d.version, specHash: d.specHash, running: 1, replicas: 1, healthy: true, generations: [{ version: d.version, specHash: d.specHash, instances: [], running: 1, healthy: true }] };
}
const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];
const fleet = (n: number) => names.slice(0, n).map((p) => desired(p));

describe('holdBack', () => {
  it('holds every deletion without --prune, and marks which ones the inventory owned', () => {
    const running = fleet(3);
    const p = holdBack(plan('e', running.slice(0, 1), running.map(actual)), { tier: 'dev', environment: 'e', inventory: { b: { version: '1.0.0', specHash: 'x' } } });
    expect(p.actions.map((a) => [a.platform, a.kind, a.kind === 'delete' ? a.owned : undefined, Boolean(a.held)])).toEqual([
      ['a', 'noop', undefined, false],
      ['b', 'delete', true, true],
      ['c', 'delete', false, true],
    ]);
    expect(pendingActions(p)).toEqual([]);
    const pruned = holdBack(plan('e', running.slice(0, 1), running.map(actual)), { tier: 'dev', environment: 'e', prune: true });
    expect(pendingActions(pruned).map((a) => a.platform)).toEqual(['b', 'c']);
  });

  it('in staging and prod, a prune over maxPrunePercent needs the exact count; at or under it, --prune is enough', () => {
    const running = fleet(10);
    const keep = (n: number) => plan('e', running.slice(0, n), running.map(actual));
    // 3 of 10 = 30%: not more than the default 30.
    expect(pendingActions(holdBack(keep(7), { tier: 'prod', environment: 'e', prune: true, admitted: new Map(running.map((d) => [d.platform, d.version])) }))).toHaveLength(3);
    expect(() => holdBack(keep(6), { tier: 'prod', environment: 'e', prune: true })).toThrow(PruneRefused);
    expect(() => holdBack(keep(6), { tier: 'staging', environment: 'e', prune: true, confirmPrune: 3 })).toThrow(/deletes 4 of 10 platforms in e \(40%\).*does not match/);
    expect(pendingActions(holdBack(keep(6), { tier: 'prod', environment: 'e', prune: true, confirmPrune: 4 }))).toHaveLength(4);
    // The limit comes from settings; dev has none.
    expect(() => holdBack(keep(9), { tier: 'prod', environment: 'e', prune: true, maxPrunePercent: 5 })).toThrow(PruneRefused);
    expect(pendingActions(holdBack(keep(0), { tier: 'dev', environment: 'e', prune: true }))).toHaveLength(10);
  });

  it('in staging and prod, creates and updates wait for the version the gate admitted', () => {
    const now = desired('a', '1.0.0');
    const next = desired('a', '1.1.0');
    const fresh = desired('b', '2.0.0');
    const p = holdBack(plan('e', [next, fresh], [actual(now)]), { tier: 'prod', environment: 'prod', admitted: new Map([['a', '1.0.0']]) });
    expect(p.actions.map((a) => a.held)).toEqual([
      'version 1.1.0 has not been admitted by the promotion gate (admitted: 1.0.0): bring it with mnops deploy a --to prod',
      'version 2.0.0 has not been admitted by the promotion gate: bring it with mnops deploy b --to prod',
    ]);
    const admitted = holdBack(plan('e', [next, fresh], [actual(now)]), { tier: 'staging', environment: 'e', admitted: new Map([['a', '1.1.0'], ['b', '2.0.0']]) });
    expect(pendingActions(admitted).map((a) => `${a.platform} ${a.kind}`)).toEqual(['a update', 'b create']);
    // dev converges whatever git says.
    expect(pendingActions(holdBack(plan('e', [next, fresh], [actual(now)]), { tier: 'dev', environment: 'e' }))).toHaveLength(2);
  });
});

describe('the trail as memory', () => {
  const rec = (r: Partial<AuditRecord>): AuditRecord => ({ id: 'x', time: '2026-01-01T00:00:00Z', actor: 't', action: 'apply', environment: 'e', outcome: 'success', seq: 1, prev: '', hash: '', ...r });
  it('keeps the last inventory and the last admitted version per platform, of that environment only', () => {
    const h = environmentHistory(
      [
        rec({ action: 'promote', platform: 'a', toVersion: '1.0.0' }),
        rec({ action: 'apply', inventory: { a: { version: '1.0.0', specHash: 'h1' } } }),
        rec({ action: 'promote', platform: 'a', toVersion: '1.1.0', outcome: 'denied' }),
        rec({ action: 'promote', platform: 'a', toVersion: '9.9.9', environment: 'other' }),
        rec({ action: 'rollback', platform: 'b', toVersion: '0.9.0' }),
        rec({ action: 'heal', inventory: { a: { version: '1.0.0', specHash: 'h2' } }, environment: 'other' }),
      ],
      'e',
    );
    expect(h.inventory).toEqual({ a: { version: '1.0.0', specHash: 'h1' } });
    expect([...h.admitted]).toEqual([
      ['a', '1.0.0'],
      ['b', '0.9.0'],
    ]);
    expect(inventoryOf([actual(desired('z')), actual(desired('a'))])).toEqual({ a: { version: '1.0.0', specHash: desired('a').specHash }, z: { version: '1.0.0', specHash: desired('z').specHash } });
  });
});

describe('secret-looking values', () => {
  it('never reach a label or a plan line, though a change of them still redeploys', () => {
    const d = desired('a', '1.0.0', { DB_PASSWORD: 'hunter2', TOKEN_FILE: '/x', GREETING: 'ghp_' + 'a'.repeat(36) });
    const labels = managedLabels(d);
    expect(JSON.stringify(labels)).not.toContain('hunter2');
    expect(JSON.stringify(labels)).not.toContain('aaaaaaaa');
    // Only a digest keyed with the environment's key: a weak value cannot be guessed from it.
    expect(labels['mnops.spec']).toMatch(/"DB_PASSWORD":"\(secret-looking value, hmac:[0-9a-f]{16}\)"/);
    const changed = desired('a', '1.0.0', { DB_PASSWORD: 'hunter3', TOKEN_FILE: '/x', GREETING: 'ghp_' + 'a'.repeat(36) });
    expect(changed.specHash).not.toBe(d.specHash);
    const p = plan('e', [changed], [{ ...actual(d), spec: JSON.parse(labels['mnops.spec']!) as Record<string, unknown> }]);
    const text = JSON.stringify(p.actions[0]!.changes);
    expect(p.actions[0]!.changes.map((c) => c.field)).toEqual(['/env/DB_PASSWORD']);
    expect(text).not.toMatch(/hunter/);
  });
});
