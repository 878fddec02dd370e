// Pure mapping of a DesiredWorkload onto a Docker create body, the network plan, the
// unenforceable list and the applied-vs-asked comparison. No engine needed.
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import {
  containerName,
  createBody,
  planNetwork,
  shortHash,
  unenforceable,
  verifyApplied,
} from '../../tools/lib/provider/docker/container-spec.js';
import { groupContainers, healthFromList } from '../../tools/lib/provider/docker/state.js';
import { LABELS, type DesiredWorkload } from '../../tools/lib/provider/types.js';

function workload(over: Partial<DesiredWorkload> = {}): DesiredWorkload {
  return {
    platform: 'web',
    environment: 'dev',
    version: '1.2.0',
    specHash: 'abcdef0123456789ffff',
    image: 'mnops/base:busybox',
    command: ['httpd', '-f', '-p', '8080', '-h', '/srv/www'],
    env: { LOG_FORMAT: 'json' },
    secrets: [],
    resources: {},
    network: { policy: 'http-only' },
    sandbox: {},
    replicas: 1,
    ports: [],
    dependsOn: [],
    ...over,
  };
}

describe('docker create body', () => {
  it('maps every resource, hardening, health and port setting', () => {
    const d = workload({
      resources: { cpuCores: 0.5, memoryMb: 64, diskMb: 16, maxOpenFds: 256, maxProcesses: 32, maxThreads: 64 },
      sandbox: { readOnlyRootfs: true, noNewPrivileges: true, capDrop: ['ALL'], user: '1000:1000' },
      healthCheck: { command: ['wget', '-q', 'http://127.0.0.1:8080/health'], intervalSeconds: 2, timeoutSeconds: 1, retries: 4, startPeriodSeconds: 3 },
      ports: [{ name: 'http', containerPort: 8080 }],
      secrets: [{ name: 'API_TOKEN', from: 'env', key: 'APP_TOKEN', value: 's3cr3t', digest: 'f'.repeat(64) }],
    });
    const body = createBody(d, 1, { labels: { 'mnops.test': 'x' }, stopTimeoutSeconds: 2 });
    expect(body.name).toBe('mnops-dev-web-abcdef012345-1');
    expect(body.Image).toBe('mnops/base:busybox');
    expect(body.Cmd).toEqual(['httpd', '-f', '-p', '8080', '-h', '/srv/www']);
    // Secrets are files in the rollout's volume, never variables.
    expect(body.Env).toEqual(['LOG_FORMAT=json']);
    expect(body.User).toBe('1000:1000');
    expect(body.StopTimeout).toBe(2);
    expect(body.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(body.Healthcheck).toEqual({ Test: ['CMD', 'wget', '-q', 'http://127.0.0.1:8080/health'], Interval: 2e9, Timeout: 1e9, Retries: 4, StartPeriod: 3e9 });
    expect(body.Labels).toMatchObject({
      'mnops.test': 'x',
      [LABELS.managed]: 'true',
      [LABELS.platform]: 'web',
      [LABELS.environment]: 'dev',
      [LABELS.version]: '1.2.0',
      [LABELS.specHash]: 'abcdef0123456789ffff',
      'mnops.replica': '1',
      'mnops.replicas': '1',
    });
    expect(JSON.stringify(body)).not.toContain('s3cr3t');
    expect(body.NetworkingConfig).toEqual({ EndpointsConfig: { 'mnops-dev-internal': { Aliases: ['web'] } } });
    expect(body.HostConfig).toEqual({
      NetworkMode: 'mnops-dev-internal',
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,noexec,size=16m' },
      SecurityOpt: ['no-new-privileges:true'],
      CapDrop: ['ALL'],
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      NanoCpus: 500_000_000,
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      PidsLimit: 32,
      Ulimits: [{ Name: 'nofile', Soft: 256, Hard: 256 }],
      Mounts: [{ Type: 'volume', Source: 'mnops-dev-web-abcdef012345-secrets', Target: '/run/secrets', ReadOnly: true, VolumeOptions: { NoCopy: true } }],
    });
  });

  it('leaves out what is not declared and uses health defaults', () => {
    const body = createBody(workload({ healthCheck: { command: ['true'] }, command: undefined }), 0);
    expect(body.HostConfig).toMatchObject({ ReadonlyRootfs: false, SecurityOpt: [], CapDrop: [] });
    for (const k of ['NanoCpus', 'Memory', 'MemorySwap', 'PidsLimit', 'Ulimits', 'Tmpfs', 'PortBindings']) expect(body.HostConfig).not.toHaveProperty(k);
    expect(body).not.toHaveProperty('Cmd');
    expect(body).not.toHaveProperty('User');
    expect(body.Healthcheck).toEqual({ Test: ['CMD', 'true'], Interval: 10e9, Timeout: 5e9, Retries: 3, StartPeriod: 0 });
  });

  it('maps maxThreads onto the pids limit when it is the tighter bound', () => {
    expect(createBody(workload({ resources: { maxThreads: 20 } }), 0).HostConfig?.PidsLimit).toBe(20);
    expect(createBody(workload({ resources: { maxThreads: 20, maxProcesses: 50 } }), 0).HostConfig?.PidsLimit).toBe(20);
  });

  it('plans networks per policy and publishes host ports from replica 0 only', () => {
    const ports = [{ name: 'http', containerPort: 8080, hostPort: 18080 }];
    expect(planNetwork(workload({ network: {} })).mode).toBe('none');
    expect(planNetwork(workload({ network: { policy: 'no-network' } }))).toMatchObject({ mode: 'none', networks: [] });
    expect(planNetwork(workload({ network: { policy: 'egress-only' } }))).toMatchObject({
      mode: 'mnops-dev',
      networks: [{ name: 'mnops-dev', internal: false }, { name: 'mnops-dev-internal', internal: true }],
      expose: false,
      publish: false,
    });
    expect(planNetwork(workload({ network: { policy: 'http-only' } }))).toMatchObject({ mode: 'mnops-dev-internal', publish: false });
    expect(planNetwork(workload({ network: { policy: 'http-only' }, ports }))).toMatchObject({ mode: 'mnops-dev', publish: true });
    const all = workload({ network: { policy: 'allow-all' }, ports, replicas: 2 });
    expect(createBody(all, 0).HostConfig?.PortBindings).toEqual({ '8080/tcp': [{ HostPort: '18080' }] });
    expect(createBody(all, 1).HostConfig).not.toHaveProperty('PortBindings');
    const egress = createBody(workload({ network: { policy: 'egress-only' }, ports }), 0);
    expect(egress).not.toHaveProperty('ExposedPorts');
    expect(egress.HostConfig).not.toHaveProperty('PortBindings');
    expect(createBody(workload({ network: { policy: 'no-network' } }), 0)).not.toHaveProperty('NetworkingConfig');
  });

  it('names containers by environment, platform, short spec hash and replica', () => {
    expect(shortHash('sha256:ABCDEF0123456789')).toBe('abcdef012345');
    expect(containerName(workload(), 2)).toBe('mnops-dev-web-abcdef012345-2');
    expect(containerName(workload(), 0, 'lx3k')).toBe('mnops-dev-web-abcdef012345-0-lx3k');
  });

  it('does not inject swarm secrets and reports them', () => {
    const d = workload({ secrets: [{ name: 'DB', from: 'swarm', key: 'db-password', value: '', digest: '' }] });
    expect(createBody(d, 0).Env).toEqual(['LOG_FORMAT=json']);
    expect(createBody(d, 0).HostConfig?.Mounts).toBeUndefined();
    expect(unenforceable(d).map((u) => u.field)).toEqual(['secrets.DB']);
  });
});

describe('docker unenforceable settings', () => {
  const fields = (d: DesiredWorkload) => unenforceable(d).map((u) => u.field);

  it('reports diskMb unless a read-only root confines writes to the sized /tmp', () => {
    expect(fields(workload({ resources: { diskMb: 100 } }))).toEqual(['resources.diskMb']);
    expect(fields(workload({ resources: { diskMb: 100 }, sandbox: { readOnlyRootfs: true } }))).toEqual([]);
  });

  it('reports maxThreads when the shared pids limit is stricter than declared', () => {
    expect(fields(workload({ resources: { maxProcesses: 32, maxThreads: 64 } }))).toEqual(['resources.maxThreads']);
    expect(fields(workload({ resources: { maxProcesses: 64, maxThreads: 32 } }))).toEqual([]);
  });

  it('reports ports a policy cannot serve, shared host ports and http-only egress with a host port', () => {
    const ports = [{ name: 'http', containerPort: 8080, hostPort: 18080 }];
    expect(fields(workload({ network: { policy: 'no-network' }, ports }))).toEqual(['ports.http']);
    expect(fields(workload({ network: { policy: 'egress-only' }, ports }))).toEqual(['ports.http']);
    expect(fields(workload({ network: { policy: 'allow-all' }, ports, replicas: 3 }))).toEqual(['ports.http.hostPort']);
    expect(fields(workload({ network: { policy: 'http-only' }, ports }))).toEqual(['network.policy']);
    expect(fields(workload({ network: { policy: 'http-only' }, ports: [{ name: 'http', containerPort: 8080 }] }))).toEqual([]);
  });

  it('reports every network rule the network mode does not already imply', () => {
    const d = workload({
      network: {
        policy: 'allow-all',
        rules: [
          { direction: 'ingress', port: 8080, protocol: 'tcp', cidr: '0.0.0.0/0', action: 'allow' },
          { direction: 'ingress', port: 8080, protocol: 'tcp', cidr: '10.0.0.0/8', action: 'allow' },
          { direction: 'egress', port: 443, protocol: 'tcp', cidr: '0.0.0.0/0', action: 'allow' },
          { direction: 'egress', port: 25, protocol: 'tcp', cidr: '0.0.0.0/0', action: 'deny' },
        ],
      },
      ports: [{ name: 'http', containerPort: 8080, hostPort: 18080 }],
    });
    expect(fields(d)).toEqual(['network.rules[1]', 'network.rules[3]']);
    const internal = workload({
      network: { policy: 'http-only', rules: [{ direction: 'egress', port: 443, protocol: 'tcp', cidr: '0.0.0.0/0', action: 'deny' }] },
    });
    expect(fields(internal)).toEqual([]);
  });
});

describe('docker applied-vs-asked comparison', () => {
  const d = workload({
    resources: { cpuCores: 1, memoryMb: 32, maxProcesses: 16, maxOpenFds: 64 },
    sandbox: { readOnlyRootfs: true, noNewPrivileges: true, capDrop: ['NET_RAW'], user: 'app' },
    healthCheck: { command: ['true'] },
  });
  const body = createBody(d, 0);
  const applied = (host: Partial<Docker.HostConfig>, config: Record<string, unknown> = {}) =>
    ({
      HostConfig: { ...body.HostConfig, CapDrop: ['CAP_NET_RAW'], ...host },
      Config: { User: 'app', Healthcheck: body.Healthcheck, ...config },
      NetworkSettings: { Networks: { 'mnops-dev-internal': {} } },
    }) as unknown as Docker.ContainerInspectInfo;

  it('accepts what the engine normalises (CAP_ prefix, null for empty)', () => {
    expect(verifyApplied(body, applied({}), ['mnops-dev-internal'])).toEqual([]);
    const bare = createBody(workload(), 0);
    const info = {
      HostConfig: { NetworkMode: 'mnops-dev-internal', CapDrop: null, SecurityOpt: null, Ulimits: null, PidsLimit: null, ReadonlyRootfs: false },
      Config: { User: '' },
      NetworkSettings: { Networks: {} },
    } as unknown as Docker.ContainerInspectInfo;
    expect(verifyApplied(bare, info)).toEqual([]);
  });

  it('names each field the engine applied differently', () => {
    const wrong = verifyApplied(body, applied({ Memory: 1, PidsLimit: 0, SecurityOpt: [] }, { User: '' }), ['mnops-dev-internal', 'mnops-dev']);
    expect(wrong.map((m) => m.field)).toEqual(['Memory', 'PidsLimit', 'SecurityOpt', 'User', 'Networks']);
    expect(wrong[0]).toEqual({ field: 'Memory', asked: 32 * 1024 * 1024, applied: 1 });
    expect(verifyApplied(body, applied({}, { Healthcheck: undefined })).map((m) => m.field)).toEqual(['Healthcheck']);
  });
});

describe('docker actual state from one list', () => {
  it('reads health from the status text', () => {
    expect(healthFromList('running', 'Up 3 seconds (healthy)')).toBe('healthy');
    expect(healthFromList('running', 'Up 3 seconds (unhealthy)')).toBe('unhealthy');
    expect(healthFromList('running', 'Up 1 second (health: starting)')).toBe('starting');
    expect(healthFromList('running', 'Up 2 minutes')).toBe('none');
    expect(healthFromList('exited', 'Exited (1) 2 seconds ago')).toBe('down');
    expect(healthFromList('running', 'Restarting')).toBeUndefined();
  });

  it('gives one workload per platform, its replicas grouped into generations by spec hash', () => {
    const d = workload({ replicas: 2 });
    const info = (id: string, replica: number, over: Partial<DesiredWorkload> = {}) =>
      ({ Id: id, Labels: createBody({ ...d, ...over }, replica).Labels, Created: 1_700_000_000 + replica, State: 'running', Status: 'Up' }) as unknown as Docker.ContainerInfo;
    const out = groupContainers(
      'dev',
      [info('b', 1), info('a', 0), info('c', 0, { version: '1.3.0', specHash: 'ffff' })],
      new Map([
        ['a', 'healthy'],
        ['b', 'starting'],
        ['c', 'none'],
      ] as const),
    );
    // One up replica each: the newer generation (b started last) serves.
    expect(out).toEqual([
      expect.objectContaining({
        id: 'mnops-dev-web',
        version: '1.2.0',
        running: 2,
        replicas: 2,
        healthy: false,
        generations: [
          expect.objectContaining({ version: '1.2.0', specHash: d.specHash, running: 2, healthy: false, instances: ['a', 'b'] }),
          expect.objectContaining({ version: '1.3.0', specHash: 'ffff', running: 1, healthy: false, instances: ['c'] }),
        ],
      }),
    ]);
    expect(out[0]?.since).toBe(new Date(1_700_000_000_000).toISOString());
    expect(out[0]?.spec).toMatchObject({ platform: 'web', version: '1.2.0' });
  });

  it('serves the generation with more replicas up: an unfinished rollout does not hide the old one', () => {
    const d = workload({ replicas: 2 });
    const info = (id: string, replica: number, created: number, over: Partial<DesiredWorkload> = {}) =>
      ({ Id: id, Labels: createBody({ ...d, ...over }, replica).Labels, Created: created, State: 'running', Status: 'Up' }) as unknown as Docker.ContainerInfo;
    const [w] = groupContainers(
      'dev',
      [info('old0', 0, 100), info('old1', 1, 100), info('new0', 0, 200, { version: '2.0.0', specHash: 'eeee' })],
      new Map([
        ['old0', 'healthy'],
        ['old1', 'healthy'],
        ['new0', 'starting'],
      ] as const),
    );
    expect(w).toMatchObject({ version: '1.2.0', running: 2, healthy: true });
    expect(w!.generations.map((g) => g.version)).toEqual(['1.2.0', '2.0.0']);
  });
});
