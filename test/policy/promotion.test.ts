// The promotion gate as `mnops deploy` will call it: the real bundle, the example ecosystem.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Ecosystem } from '../../tools/lib/manifest/ecosystem.js';
import { PolicyEngine } from '../../tools/lib/policy/engine.js';
import { evaluatePromotion, type ObservedState, type PromotionRequest } from '../../tools/lib/policy/promotion.js';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { PROJECT_ROOT } from '../helpers/repo.js';

let eco: Ecosystem;
let engine: PolicyEngine;
beforeAll(async () => {
  eco = (await loadEcosystem(PROJECT_ROOT, { cacheDir: false })).ecosystem;
  engine = await PolicyEngine.load(PROJECT_ROOT);
});

const NOW = new Date('2026-11-23T12:00:00Z');
const hoursAgo = (h: number, from = NOW) => new Date(from.getTime() - h * 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function toStaging(over: Partial<PromotionRequest> = {}, observed: Partial<ObservedState> = {}, now = NOW) {
  const request: PromotionRequest = {
    platform: 'runtime-platform',
    version: '2.0.0',
    from: 'dev',
    to: 'staging',
    actor: 'alice',
    approvals: ['bob'],
    ...over,
  };
  const state: ObservedState = {
    source: { version: '2.0.0', healthy: true, healthySince: hoursAgo(3, now) },
    target: { version: '1.9.4' },
    ...observed,
  };
  return evaluatePromotion(engine, eco, request, state, now);
}

describe('promotion gate', () => {
  it('allows a healthy, soaked, approved version outside any freeze', () => {
    expect(toStaging()).toEqual({ allow: true, reasons: [], overrides: [] });
  });

  it('denies until the source soak time is met, saying how long to wait', () => {
    const d = toStaging({}, { source: { version: '2.0.0', healthy: true, healthySince: hoursAgo(0.005) } });
    expect(d.allow).toBe(false);
    expect(d.reasons).toHaveLength(1);
    expect(d.reasons[0]).toMatch(/0 of 2 minutes/);
    expect(d.reasons[0]).toMatch(/wait 2 more minutes$/);
    const almost = toStaging({}, { source: { version: '2.0.0', healthy: true, healthySince: hoursAgo(1.5 / 60) } });
    expect(almost.reasons).toEqual([expect.stringMatching(/1 of 2 minutes in dev — wait 1 more minute$/)]);
  });

  it("does not count the actor's own approval, and counts an approver once", () => {
    const d = toStaging({ approvals: ['alice', 'alice'] });
    expect(d.allow).toBe(false);
    expect(d.reasons.join('\n')).toMatch(/approval/);
    const prod = toStaging({ to: 'prod', from: 'staging', approvals: ['bob', 'bob'] }, { source: { version: '2.0.0', healthy: true, healthySince: hoursAgo(48) } });
    expect(prod.allow).toBe(false);
    expect(prod.reasons.join('\n')).toMatch(/2 approvals/);
  });

  it('denies a version that does not run, or does not run healthy, in the source', () => {
    const missing = toStaging({ version: '2.1.0' });
    expect(missing.allow).toBe(false);
    expect(missing.reasons.join('\n')).toMatch(/2\.1\.0/);
    const sick = toStaging({}, { source: { version: '2.0.0', healthy: false, healthySince: null } });
    expect(sick.allow).toBe(false);
    expect(sick.reasons.join('\n')).toMatch(/healthy/);
  });

  it('denies promotion from an environment the target does not promote from', () => {
    const d = toStaging({ from: 'preview-pr-42' });
    expect(d.allow).toBe(false);
    expect(d.reasons.join('\n')).toMatch(/dev/);
  });

  it('denies a downgrade unless it is an explicit rollback', () => {
    const down = toStaging({ version: '1.9.1' }, { source: { version: '1.9.1', healthy: true, healthySince: hoursAgo(5) } });
    expect(down.allow).toBe(false);
    expect(down.reasons.join('\n')).toMatch(/1\.9\.4/);
    const rollback = toStaging({ version: '1.9.1', rollback: true }, { source: { version: '1.9.1', healthy: true, healthySince: hoursAgo(5) } });
    expect(rollback.allow).toBe(true);
  });

  describe('a rollback to the version the audit trail says ran before', () => {
    // prod runs 2.0.0 (promoted from staging over 1.9.4); staging has moved on to 2.1.0.
    const prodReq = { to: 'prod', from: 'staging', version: '1.9.4', approvals: ['bob', 'carol'], rollback: true };
    const movedOn = (now = NOW): Partial<ObservedState> => ({
      source: { version: '2.1.0', healthy: true, healthySince: hoursAgo(48, now) },
      target: { version: '2.0.0', previous: '1.9.4' },
    });

    it('does not need the source to still run it, and records what it skipped', () => {
      const d = toStaging(prodReq, movedOn());
      expect(d.reasons).toEqual([]);
      expect(d.allow).toBe(true);
      expect(d.overrides).toEqual([
        'rollback of runtime-platform in prod from 2.0.0 to 1.9.4 requested by alice',
        "source check skipped for alice's rollback of runtime-platform in prod to 1.9.4, the version the audit trail says ran there before: runtime-platform 1.9.4 is not running in staging (it runs 2.1.0)",
      ]);
      // Nothing running in the source at all does not block it either.
      expect(toStaging(prodReq, { ...movedOn(), source: { version: null, healthy: false, healthySince: null } }).allow).toBe(true);
    });

    it('still needs its approvals', () => {
      const d = toStaging({ ...prodReq, approvals: ['bob'] }, movedOn());
      expect(d.allow).toBe(false);
      expect(d.reasons).toEqual(['prod needs 2 approvals from someone other than alice, has 1 (bob) — ask 1 more reviewer (locally: --approved-by NAME; in GitHub Actions: a review of the prod deployment)']);
    });

    it('respects freeze windows; an emergency with a reason overrides them as before', () => {
      const inFreeze = new Date('2027-12-20T10:00:00Z');
      const frozen = toStaging(prodReq, movedOn(inFreeze), inFreeze);
      expect(frozen.allow).toBe(false);
      expect(frozen.reasons).toHaveLength(1);
      expect(frozen.reasons[0]).toMatch(/frozen by year-end-2027/);
      const emergency = toStaging({ ...prodReq, emergency: 'INC-2041 2.0.0 corrupts writes' }, movedOn(inFreeze), inFreeze);
      expect(emergency.allow).toBe(true);
      expect(emergency.overrides.join('\n')).toMatch(/year-end-2027 .*INC-2041/);
      expect(toStaging({ ...prodReq, emergency: '  ' }, movedOn(inFreeze), inFreeze).allow).toBe(false);
    });

    it('without rollback is a downgrade, still denied', () => {
      const d = toStaging({ ...prodReq, rollback: false }, movedOn());
      expect(d.allow).toBe(false);
      expect(d.reasons.join('\n')).toMatch(/older than 2\.0\.0 running in prod — set rollback/);
      expect(d.reasons.join('\n')).toMatch(/not running in staging/);
    });

    it('only for that version: a rollback elsewhere, or a promotion, still needs the version healthy in the source', () => {
      const older = toStaging({ ...prodReq, version: '1.9.1' }, movedOn());
      expect(older.allow).toBe(false);
      expect(older.reasons).toEqual(['runtime-platform 1.9.1 is not running in staging (it runs 2.1.0) — deploy it to staging first']);
      const unknown = toStaging(prodReq, { ...movedOn(), target: { version: '2.0.0', previous: null } });
      expect(unknown.allow).toBe(false);
      expect(unknown.reasons).toEqual(['runtime-platform 1.9.4 is not running in staging (it runs 2.1.0) — deploy it to staging first']);
      const promote = toStaging({ ...prodReq, version: '2.2.0', rollback: false }, movedOn());
      expect(promote.allow).toBe(false);
      expect(promote.reasons).toEqual(['runtime-platform 2.2.0 is not running in staging (it runs 2.1.0) — deploy it to staging first']);
      const sick = toStaging({ ...prodReq, version: '2.1.0', rollback: false }, { ...movedOn(), source: { version: '2.1.0', healthy: false, healthySince: null } });
      expect(sick.reasons).toEqual(['runtime-platform 2.1.0 is not healthy in staging — fix it there before promoting']);
    });
  });

  it('respects freeze windows; an emergency with a reason overrides them and says so', () => {
    const inFreeze = new Date('2027-12-20T10:00:00Z');
    const req = { to: 'prod', from: 'staging', approvals: ['bob', 'carol'] };
    const obs = { source: { version: '2.0.0', healthy: true, healthySince: hoursAgo(48, inFreeze) } };
    const frozen = toStaging(req, obs, inFreeze);
    expect(frozen.allow).toBe(false);
    expect(frozen.reasons.join('\n')).toMatch(/year-end-2027/);
    const emergency = toStaging({ ...req, emergency: 'CVE-2027-1234 hotfix' }, obs, inFreeze);
    expect(emergency.allow).toBe(true);
    expect(emergency.overrides.join('\n')).toMatch(/year-end-2027/);
    const blank = toStaging({ ...req, emergency: '   ' }, obs, inFreeze);
    expect(blank.allow).toBe(false);
  });

  it('lists every reason at once', () => {
    const d = toStaging({ version: '1.0.0', approvals: [] }, { source: { version: '2.0.0', healthy: false, healthySince: null } });
    expect(d.allow).toBe(false);
    expect(d.reasons.length).toBeGreaterThanOrEqual(3);
    expect([...d.reasons].sort()).toEqual(d.reasons);
  });
});
