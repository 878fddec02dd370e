// Deletion is explicit and versions enter staging only through the gate, on the real
// engine: a platform dropped from a clean instance is held back until --prune; a
// hand-started workload with our labels is reported, not removed; an emptied environment
// needs `platforms: []` and --prune; a large staging prune needs its exact count; apply on
// staging takes the lease, records its inventory and never starts an unadmitted version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../tools/lib/audit/index.js';
import { detectDrift } from '../../tools/lib/drift/index.js';
import { deployPlatform } from '../../tools/lib/promotion/deploy.js';
import { PruneRefused } from '../../tools/lib/reconcile/hold.js';
import { applyEnvironment, planEnvironment } from '../../tools/lib/reconcile/environment.js';
import { edit, mnops, removeDir } from '../helpers/repo.js';
import { docker, ensureImages, uniqueName } from '../promotion/world.js';
import { FLEET, engineObjects, instanceFile, instanceText, tearDown, writeFleet } from './fleet.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const id = uniqueName('pr');
const DEV = `${id}d`;
const STAGING = `${id}g`;
const NEVER = `${id}n`;
const ROGUE = `mnops-rogue-${id}`;
let root = '';

const records = async () => (await AuditTrail.open({ root })).records();
const setInstance = (env: string, platforms: readonly string[], version = '1.0.0') => writeFileSync(path.join(root, instanceFile(env)), instanceText(env, platforms, version));
const labelsOf = (env: string) => docker('ps', '-a', '--filter', `label=mnops.environment=${env}`, '--format', '{{.Label "mnops.platform"}}').split('\n').filter(Boolean).sort();

beforeAll(async () => {
  ensureImages();
  root = writeFleet([
    { name: DEV, adapter: 'docker' },
    { name: STAGING, adapter: 'docker', tier: 'staging', from: DEV },
    { name: NEVER, adapter: 'docker' },
  ]);
  const out = await applyEnvironment({ root, environment: DEV, actor: 'test', healthTimeoutMs: 60_000 });
  expect(out.results.every((r) => r.status === 'done')).toBe(true);
}, 180_000);

afterAll(async () => {
  if (!root) return;
  try {
    docker('rm', '-f', ROGUE);
  } catch {
    // already removed by the prune test
  }
  for (const env of [DEV, STAGING, NEVER]) {
    setInstance(env, FLEET);
    await tearDown(root, env);
    expect(engineObjects(env)).toEqual([]);
  }
  removeDir(root);
}, 180_000);

describe('deletion is explicit', () => {
  it('a platform dropped from a clean instance is held back; --prune deletes exactly what the plan said', async () => {
    setInstance(DEV, ['alpha-platform', 'beta-platform']);
    const planned = await planEnvironment({ root, environment: DEV });
    const gamma = planned.plan.actions.find((a) => a.platform === 'gamma-platform')!;
    expect(gamma).toMatchObject({ kind: 'delete', owned: true });
    expect(gamma.held).toMatch(/--prune/);

    const cli = await mnops(['apply', '--env', DEV, '--root', root]);
    expect(cli.status, cli.stdout + cli.stderr).toBe(1);
    expect(cli.stdout).toContain('- gamma-platform 1.0.0  (delete held back: no longer declared: deleted only with --prune)');
    expect(cli.stdout).toContain('1 change(s) held back');
    expect(labelsOf(DEV)).toEqual([...FLEET]);

    const before = engineObjects(DEV);
    const pruned = await planEnvironment({ root, environment: DEV, prune: true });
    const deletions = pruned.plan.actions.filter((a) => a.kind === 'delete' && !a.held).map((a) => a.platform);
    expect(deletions).toEqual(['gamma-platform']);
    const out = await applyEnvironment({ root, environment: DEV, actor: 'test', prune: true });
    expect(out.results.filter((r) => r.status === 'done').map((r) => r.platform)).toEqual(['gamma-platform']);
    expect(labelsOf(DEV)).toEqual(['alpha-platform', 'beta-platform']);
    // The other workloads are the very same containers.
    expect(engineObjects(DEV)).toEqual(before.filter((l) => !l.includes('gamma-platform')));
    // The inventory recorded after the prune no longer owns gamma.
    const last = (await records()).filter((r) => r.environment === DEV && r.inventory).at(-1)!;
    expect(Object.keys(last.inventory!)).toEqual(['alpha-platform', 'beta-platform']);
  }, 120_000);

  it('a hand-started workload with our labels is reported by drift, kept by heal, removed only with --prune', async () => {
    setInstance(DEV, ['alpha-platform', 'beta-platform']);
    docker('run', '-d', '--name', ROGUE, '--label', 'mnops.managed=true', '--label', 'mnops.platform=rogue-platform', '--label', `mnops.environment=${DEV}`, 'mnops/base:1.0.0', 'httpd', '-f', '-p', '8080', '-h', '/srv/www');
    const healed = await detectDrift({ root, environments: [DEV], heal: true, actor: 'test', healthTimeoutMs: 30_000 });
    const e = healed.environments[0]!;
    expect(e.items.map((i) => `${i.platform} ${i.kind}`)).toEqual(['rogue-platform undeclared']);
    expect(e.healed).toEqual([expect.objectContaining({ platform: 'rogue-platform', action: 'delete', status: 'held' })]);
    expect(e.remaining?.map((i) => i.platform)).toEqual(['rogue-platform']);
    expect(docker('inspect', '--format', '{{.State.Running}}', ROGUE)).toBe('true');

    const pruned = await detectDrift({ root, environments: [DEV], heal: true, prune: true, actor: 'test', healthTimeoutMs: 30_000 });
    expect(pruned.environments[0]!.healed).toEqual([expect.objectContaining({ platform: 'rogue-platform', status: 'done' })]);
    expect(pruned.environments[0]!.remaining).toEqual([]);
    expect(labelsOf(DEV)).toEqual(['alpha-platform', 'beta-platform']);
  }, 120_000);

  it('emptying an environment takes an explicit `platforms: []` and --prune', async () => {
    setInstance(DEV, []);
    const held = await applyEnvironment({ root, environment: DEV, actor: 'test' });
    expect(held.results.map((r) => r.status)).toEqual(['held', 'held']);
    expect(labelsOf(DEV)).toEqual(['alpha-platform', 'beta-platform']);
    await applyEnvironment({ root, environment: DEV, actor: 'test', prune: true });
    expect(labelsOf(DEV)).toEqual([]);
    // Back to the three platforms for the gate tests (the source must run them).
    setInstance(DEV, FLEET);
    const out = await applyEnvironment({ root, environment: DEV, actor: 'test', healthTimeoutMs: 60_000 });
    expect(out.results.every((r) => r.status === 'done')).toBe(true);
  }, 180_000);
});

describe('staging: versions only through the gate', () => {
  it('apply starts no version the gate has not admitted, under the lease, and records what it did', async () => {
    const before = (await records()).length;
    const out = await applyEnvironment({ root, environment: STAGING, actor: 'test' });
    expect(out.results.map((r) => r.status)).toEqual(['held', 'held', 'held']);
    expect(out.results[0]!.error).toMatch(/has not been admitted by the promotion gate: bring it with mnops deploy alpha-platform --to /);
    expect(engineObjects(STAGING)).toEqual([]);
    const added = (await records()).slice(before).map((r) => `${r.action} ${r.outcome}`);
    expect(added).toEqual(['lock acquired', 'apply success', 'unlock released']);
  }, 60_000);

  it('deploy admits a version; apply then restores what the gate admitted, and holds a version typed in by hand', async () => {
    const d = await deployPlatform({ root, platform: 'alpha-platform', to: STAGING, actor: 'test', approvals: ['reviewer'], healthTimeoutMs: 60_000 });
    expect(d.status, d.error ?? JSON.stringify(d.decision)).toBe('deployed');
    expect(labelsOf(STAGING)).toEqual(['alpha-platform']);
    const container = engineObjects(STAGING)[0]!.split(' ')[2]!;

    // Removed by hand: apply brings back the admitted version.
    docker('rm', '-f', container);
    const restored = await applyEnvironment({ root, environment: STAGING, actor: 'test', healthTimeoutMs: 60_000 });
    expect(restored.results.find((r) => r.platform === 'alpha-platform')).toMatchObject({ kind: 'create', status: 'done' });
    // Limits changed by hand: heal restores them, through the same rules.
    const recreated = engineObjects(STAGING)[0]!.split(' ')[2]!;
    docker('update', '--memory', '96m', '--memory-swap', '96m', recreated);
    const healed = await detectDrift({ root, environments: [STAGING], heal: true, actor: 'test', healthTimeoutMs: 60_000 });
    // beta and gamma are declared but were never admitted: heal holds them back as apply does.
    expect(healed.environments[0]!.healed?.map((h) => `${h.platform} ${h.status}`)).toEqual(['alpha-platform done', 'beta-platform held', 'gamma-platform held']);
    expect(healed.environments[0]!.remaining?.map((i) => `${i.platform} ${i.kind}`)).toEqual(['beta-platform missing', 'gamma-platform missing']);
    const alpha = engineObjects(STAGING)[0]!.split(' ')[2]!;
    expect(docker('inspect', '--format', '{{.HostConfig.Memory}} {{index .Config.Labels "mnops.version"}}', alpha)).toBe(`${64 * 1024 * 1024} 1.0.0`);

    edit(root, instanceFile(STAGING), /(- name: alpha-platform\n\s+version: )1\.0\.0/, '$11.1.0');
    const typed = await applyEnvironment({ root, environment: STAGING, actor: 'test' });
    const a = typed.results.find((r) => r.platform === 'alpha-platform')!;
    expect(a.status).toBe('held');
    expect(a.error).toContain('version 1.1.0 has not been admitted by the promotion gate (admitted: 1.0.0)');
    expect(engineObjects(STAGING).map((l) => l.split(' ')[2])).toEqual([alpha]);
    expect(docker('inspect', '--format', '{{index .Config.Labels "mnops.version"}}', alpha)).toBe('1.0.0');
    setInstance(STAGING, FLEET);
  }, 180_000);

  it('a rollback to what ran before needs its approvals, not the source still running it', async () => {
    edit(root, instanceFile(DEV), /(- name: alpha-platform\n\s+version: )1\.0\.0/, '$11.1.0');
    const dev = await applyEnvironment({ root, environment: DEV, actor: 'test', healthTimeoutMs: 60_000 });
    expect(dev.results.find((r) => r.platform === 'alpha-platform')?.status).toBe('done');
    const up = await deployPlatform({ root, platform: 'alpha-platform', to: STAGING, actor: 'test', approvals: ['reviewer'], healthTimeoutMs: 60_000 });
    expect(up.status, up.error ?? JSON.stringify(up.decision)).toBe('deployed');
    expect(up.toVersion).toBe('1.1.0');
    // The source runs 1.1.0 only; the trail says staging ran 1.0.0 before.
    const unapproved = await deployPlatform({ root, platform: 'alpha-platform', to: STAGING, version: '1.0.0', rollback: true, actor: 'test', healthTimeoutMs: 60_000 });
    expect(unapproved.status).toBe('denied');
    expect(unapproved.decision?.reasons.join(' ')).toMatch(/approval/);
    const back = await deployPlatform({ root, platform: 'alpha-platform', to: STAGING, version: '1.0.0', rollback: true, approvals: ['reviewer'], actor: 'test', healthTimeoutMs: 60_000 });
    expect(back.status, JSON.stringify(back.decision)).toBe('deployed');
    expect(docker('inspect', '--format', '{{index .Config.Labels "mnops.version"}}', engineObjects(STAGING)[0]!.split(' ')[2]!)).toBe('1.0.0');
    // Any other version is no rollback to what ran before: the source must run it, and it does not.
    const elsewhere = await deployPlatform({ root, platform: 'alpha-platform', to: STAGING, version: '0.9.0', rollback: true, approvals: ['reviewer'], actor: 'test', dryRun: true });
    expect(elsewhere.decision?.allow).toBe(false);
  }, 240_000);

  it('a prune of more than maxPrunePercent needs the exact count', async () => {
    for (const p of ['beta-platform', 'gamma-platform']) {
      const d = await deployPlatform({ root, platform: p, to: STAGING, actor: 'test', approvals: ['reviewer'], healthTimeoutMs: 60_000 });
      expect(d.status, d.error).toBe('deployed');
    }
    expect(labelsOf(STAGING)).toEqual([...FLEET]);
    setInstance(STAGING, ['alpha-platform']);
    await expect(applyEnvironment({ root, environment: STAGING, actor: 'test', prune: true })).rejects.toThrow(PruneRefused);
    const wrong = await mnops(['apply', '--env', STAGING, '--prune', '--confirm-prune', '1', '--root', root]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain(`this prune deletes 2 of 3 platforms in ${STAGING} (67%), more than maxPrunePercent 30 (--confirm-prune 1 does not match)`);
    expect(wrong.stderr).toContain('--prune --confirm-prune 2');
    expect(labelsOf(STAGING)).toEqual([...FLEET]);
    const ok = await mnops(['apply', '--env', STAGING, '--prune', '--confirm-prune', '2', '--root', root]);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(labelsOf(STAGING)).toEqual(['alpha-platform']);
  }, 240_000);
});

describe('drift of an environment that was never applied', () => {
  it('says so once and records nothing', async () => {
    const before = (await records()).length;
    const report = await detectDrift({ root, environments: [NEVER], actor: 'test' });
    expect(report.environments).toEqual([]);
    expect(report.skipped).toEqual([{ environment: NEVER, reason: 'never applied: nothing runs there and the audit trail records no apply' }]);
    expect((await records()).length).toBe(before);
    const cli = await mnops(['drift', '--env', NEVER, '--root', root]);
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout.match(/never applied/g)).toHaveLength(1);
  }, 60_000);
});
