// The pure parts of drift: comparison of views (aggregation over replicas, driftIgnore,
// missing / undeclared, fingerprints) and the first-seen / record transitions.
import { describe, expect, it } from 'vitest';
import { compareEnvironment, ignored, lasted, openDrifts, transition, type DriftItem } from '../../tools/lib/drift/index.js';
import type { AuditRecord } from '../../tools/lib/audit/record.js';
import type { DesiredWorkload } from '../../tools/lib/provider/types.js';
import { countReplicas, type DriftObservation, type ObservedInstance, type WorkloadView } from '../../tools/lib/provider/view.js';

const VIEW: WorkloadView = {
  image: 'mnops/base:1.0.0',
  command: null,
  env: { LOG_LEVEL: 'info' },
  secrets: {},
  resources: { cpuCores: 0.5, memoryMb: 64, swapMb: 0, pids: 32, maxOpenFds: '256', diskMb: null, cpuShares: null, cpusetCpus: null },
  network: { mode: 'none', networks: ['none'], published: [] },
  sandbox: { readOnlyRootfs: true, noNewPrivileges: true, capDrop: ['ALL'], capAdd: [], privileged: false, user: '1000' },
  healthCheck: null,
  restart: 'unless-stopped',
  labels: { 'mnops.version': '1.0.0', 'mnops.spec-hash': 'abc' },
};

const desired = (platform: string, replicas = 2): DesiredWorkload =>
  ({ platform, environment: 'dev', version: '1.0.0', replicas }) as unknown as DesiredWorkload;

function instance(platform: string, replica: number, patch: (v: WorkloadView) => void = () => undefined, state = 'running'): ObservedInstance {
  const view = structuredClone(VIEW);
  patch(view);
  return { name: `${platform}-${replica}`, platform, replica, state, health: state === 'running' ? 'none' : 'down', view };
}

function observation(instances: ObservedInstance[], platforms: string[]): DriftObservation {
  return { desired: new Map(platforms.map((p) => [p, [VIEW, VIEW]])), instances, replicas: countReplicas(instances), calls: 1 };
}

describe('compareEnvironment', () => {
  it('is empty when every instance matches its view', () => {
    expect(compareEnvironment('dev', [desired('a')], observation([instance('a', 0), instance('a', 1)], ['a']))).toEqual([]);
  });

  it('reports one item per difference, naming every instance that shows it', () => {
    const obs = observation([instance('a', 0, (v) => (v.resources.memoryMb = 32)), instance('a', 1, (v) => (v.resources.memoryMb = 32))], ['a']);
    const items = compareEnvironment('dev', [desired('a')], obs);
    expect(items).toMatchObject([{ platform: 'a', kind: 'changed', field: '/resources/memoryMb', desired: 64, actual: 32, instances: ['a-0', 'a-1'] }]);
  });

  it('reports missing, undeclared, stopped and replica counts, and drops the spec-hash line beside real changes', () => {
    const obs = observation(
      [
        instance('a', 0, (v) => {
          v.image = 'mnops/base:2.0.0';
          v.labels['mnops.spec-hash'] = 'zzz';
        }),
        instance('stray', 0),
        instance('c', 0, () => undefined, 'exited'),
        instance('c', 1),
      ],
      ['a', 'b', 'c'],
    );
    const items = compareEnvironment('dev', [desired('a'), desired('b', 1), desired('c')], obs);
    const brief = items.map((i) => [i.platform, i.kind, i.field, i.desired, i.actual]);
    expect(brief).toEqual([
      ['a', 'changed', '/image', 'mnops/base:1.0.0', 'mnops/base:2.0.0'],
      ['a', 'replicas', '/replicas', 2, 1],
      ['b', 'missing', '/', '1.0.0 × 1', null],
      ['c', 'stopped', '/state', 'running', 'exited'],
      ['stray', 'undeclared', '/', null, 'mnops/base:1.0.0 (version 1.0.0, running)'],
    ]);
  });

  it('reports a running replica whose health check fails', () => {
    const sick = instance('a', 0);
    sick.health = 'unhealthy';
    const items = compareEnvironment('dev', [desired('a', 1)], observation([sick], ['a']));
    expect(items).toMatchObject([{ platform: 'a', kind: 'unhealthy', field: '/health', desired: 'healthy', actual: 'unhealthy', instances: ['a-0'] }]);
  });

  it('driftIgnore pointers silence a field and everything under it', () => {
    expect(ignored('/resources/memoryMb', ['/resources'])).toBe(true);
    expect(ignored('/resources', ['/resources/memoryMb'])).toBe(false);
    expect(ignored('/resourcesX', ['/resources'])).toBe(false);
    const obs = observation([instance('a', 0, (v) => (v.resources.memoryMb = 32))], ['a']);
    expect(compareEnvironment('dev', [desired('a')], obs, new Map([['a', ['/resources/memoryMb', '/replicas']]]))).toEqual([]);
  });

  it('shows a value only as a digest when its name is a secret on either side or it looks like one', () => {
    const TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ0123456789';
    const obs = observation(
      [
        instance('a', 0, (v) => {
          v.env = { LOG_LEVEL: 'debug', SEED: 'held-as-a-secret', DB_PASSWORD: 'actual-password', UPSTREAM: TOKEN };
          v.secrets = { SEED: 'sha256:0123456789ab' };
          v.command = ['sh', '-c', 'curl https://bob:hunter22@example.com'];
        }),
      ],
      ['a'],
    );
    const items = compareEnvironment('dev', [desired('a', 1)], obs);
    const shown = Object.fromEntries(items.map((i) => [i.field, [i.desired, i.actual]]));
    expect(shown['/env/LOG_LEVEL']).toEqual(['info', 'debug']);
    expect(shown['/secrets/SEED']).toEqual([null, 'sha256:0123456789ab']);
    for (const field of ['/env/SEED', '/env/DB_PASSWORD', '/env/UPSTREAM', '/command']) {
      expect(shown[field], field).toEqual([null, expect.stringMatching(/^\(secret-looking value\)$/)]);
    }
    const text = JSON.stringify(items);
    for (const value of ['held-as-a-secret', 'actual-password', TOKEN, 'hunter22']) expect(text).not.toContain(value);
  });

  it('gives the same difference the same fingerprint on every run, and a different one when the value moves', () => {
    const run = (mb: number) => compareEnvironment('dev', [desired('a', 1)], observation([instance('a', 0, (v) => (v.resources.memoryMb = mb))], ['a']))[0]!;
    expect(run(32).fingerprint).toBe(run(32).fingerprint);
    expect(run(32).fingerprint).not.toBe(run(48).fingerprint);
  });
});

describe('first-seen times and drift records', () => {
  const item = (fingerprint: string, platform = 'a'): DriftItem => ({ environment: 'dev', platform, kind: 'changed', field: '/x', desired: 1, actual: 2, instances: [], fingerprint });
  const record = (seq: number, action: AuditRecord['action'], fingerprints: string[], time: string): AuditRecord =>
    ({ seq, id: `r${seq}`, time, actor: 't', action, environment: 'dev', platform: 'a', outcome: 'detected', fingerprints, prev: '', hash: '' });

  it('records a new drift once, keeps its first-seen time, and clears it when gone', () => {
    const t1 = { time: '2026-11-23T10:00:00Z', actor: 'ci' };
    const first = transition(['dev'], [item('f1')], new Map(), t1);
    expect(first.entries).toMatchObject([{ action: 'drift-detected', platform: 'a', fingerprints: ['f1'] }]);
    expect(first.items[0]!.firstSeen).toBe(t1.time);

    const open = openDrifts([record(1, 'drift-detected', ['f1'], t1.time)]);
    const second = transition(['dev'], [item('f1')], open, { time: '2026-11-23T13:30:00Z', actor: 'ci' });
    expect(second.entries).toEqual([]);
    expect(second.items[0]!.firstSeen).toBe(t1.time);
    expect(lasted(second.items[0]!.firstSeen, '2026-11-23T13:30:00Z')).toBe('3h 30m');

    const gone = transition(['dev'], [], open, { time: '2026-11-23T14:00:00Z', actor: 'ci' });
    expect(gone.entries).toMatchObject([{ action: 'drift-cleared', fingerprints: ['f1'] }]);
    // An environment not checked this run keeps its open drifts.
    expect(transition(['prod'], [], open, t1).entries).toEqual([]);
    // After a clear the same difference is new again.
    const reopened = openDrifts([record(1, 'drift-detected', ['f1'], t1.time), record(2, 'drift-cleared', ['f1'], '2026-11-23T14:00:00Z')]);
    expect(transition(['dev'], [item('f1')], reopened, { time: '2026-11-24T09:00:00Z', actor: 'ci' }).entries).toHaveLength(1);
  });
});
