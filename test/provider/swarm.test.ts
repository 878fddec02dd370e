// The swarm provider against the real one-node swarm (scripts/engine.sh ensures it). Nothing
// is skipped: without an engine or a swarm these tests fail with the reason. Every service,
// secret and network they create carries mnops.test=<run id> and is removed in afterAll, also
// on failure.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EngineUnreachableError, ProviderError } from '../../tools/lib/provider/errors.js';
import { createSwarmProvider, healthOf, serviceName, SwarmConflictError, unenforceable, updateService } from '../../tools/lib/provider/swarm/index.js';
import { LABELS, type ActualWorkload, type DesiredWorkload, type ResolvedSecret } from '../../tools/lib/provider/types.js';
import { keyedDigest } from '../../tools/lib/secrets/digest.js';

const RUN = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const ENV = `s${RUN}`;
const TEST_LABEL = 'mnops.test';
const IMAGE = 'mnops/base:busybox';
const SECRET = `s3cr3t-${randomBytes(8).toString('hex')}`;
const DIGEST_KEY = randomBytes(32);
const docker = new Docker();
const provider = createSwarmProvider({ docker, labels: { [TEST_LABEL]: RUN }, monitorSeconds: 2, stopGraceSeconds: 1, pollMs: 250 });

const HTTPD = ['httpd', '-f', '-p', '8080', '-h', '/srv/www'];
const HEALTHY = { command: ['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/health'], intervalSeconds: 1, timeoutSeconds: 1, retries: 2, startPeriodSeconds: 0 };
const NEVER_HEALTHY = { command: ['false'], intervalSeconds: 1, timeoutSeconds: 1, retries: 1, startPeriodSeconds: 0 };

function workload(platform: string, over: Partial<Omit<DesiredWorkload, 'specHash'>> = {}): DesiredWorkload {
  const w: Omit<DesiredWorkload, 'specHash'> = {
    platform,
    environment: ENV,
    version: '1.0.0',
    image: IMAGE,
    command: HTTPD,
    env: { LOG_FORMAT: 'json' },
    secrets: [],
    resources: {},
    network: { policy: 'http-only' },
    sandbox: {},
    healthCheck: HEALTHY,
    replicas: 1,
    ports: [],
    dependsOn: [],
    ...over,
  };
  return { ...w, specHash: createHash('sha256').update(JSON.stringify(w)).digest('hex').slice(0, 16) };
}

/** The web platform's secret with the keyed digest desired state would give it. */
function apiToken(value: string): ResolvedSecret {
  return { name: 'API_TOKEN', from: 'env', key: 'APP_API_TOKEN', value, digest: keyedDigest(DIGEST_KEY, [ENV, 'web', 'API_TOKEN', value]) };
}

/** The web platform as first deployed: 2 replicas, every limit, hardening, a secret. */
const V1 = {
  replicas: 2,
  resources: { cpuCores: 0.5, memoryMb: 64, diskMb: 8, maxOpenFds: 256, maxProcesses: 32 },
  sandbox: { readOnlyRootfs: true, noNewPrivileges: true, capDrop: ['ALL'], user: '1000:1000' },
  secrets: [apiToken(SECRET)],
  ports: [{ name: 'http', containerPort: 8080 }],
};
const WEB_V1 = workload('web', V1);

async function service(platform: string): Promise<Docker.Service> {
  return (await docker.getService(serviceName(ENV, platform)).inspect()) as Docker.Service;
}

function containerSpec(svc: Docker.Service): Docker.ContainerSpec {
  return (svc.Spec?.TaskTemplate as Docker.ContainerTaskSpec).ContainerSpec ?? {};
}

/** Running task ids of a service, and the spec hash each runs. */
async function runningTasks(id: string): Promise<{ id: string; specHash: string; container: string }[]> {
  const tasks = (await docker.listTasks({ filters: { service: [id], 'desired-state': ['running'] } })) as {
    ID: string;
    Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
    Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
  }[];
  return tasks
    .filter((t) => t.Status?.State === 'running')
    .map((t) => ({ id: t.ID, specHash: t.Spec?.ContainerSpec?.Labels?.[LABELS.specHash] ?? '', container: t.Status?.ContainerStatus?.ContainerID ?? '' }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

function exec(container: string, script: string): string {
  return execFileSync('docker', ['exec', container, 'sh', '-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

async function cleanUp(): Promise<void> {
  const label = [`${TEST_LABEL}=${RUN}`];
  const services = await docker.listServices({ filters: { label } });
  await Promise.all(services.map((s) => docker.getService(s.ID).remove().catch(() => undefined)));
  // Task containers go away asynchronously; secrets and networks in use cannot be removed before.
  for (let i = 0; i < 80; i++) {
    const left = await Promise.all(
      services.map((s) => docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${s.ID}`] } })),
    );
    if (left.every((l) => l.length === 0)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const s of await docker.listSecrets({ filters: { label } })) await docker.getSecret(s.ID).remove().catch(() => undefined);
  for (const c of await docker.listConfigs({ filters: { label } })) await docker.getConfig(c.ID).remove().catch(() => undefined);
  for (let i = 0; i < 20; i++) {
    const networks = await docker.listNetworks({ filters: { label } });
    if (networks.length === 0) break;
    for (const n of networks) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(
      `these tests need a real Docker engine and none answers at /var/run/docker.sock (${(err as Error).message}): run \`npm run setup\` (scripts/engine.sh installs and starts dockerd)`,
    );
  }
  // Makes sure the engine is a swarm manager and the local base image exists (no registry).
  execFileSync('bash', ['scripts/engine.sh'], { stdio: 'inherit' });
});

afterAll(async () => {
  await cleanUp();
  const label = [`${TEST_LABEL}=${RUN}`];
  const [services, secrets, configs, networks] = await Promise.all([
    docker.listServices({ filters: { label } }),
    docker.listSecrets({ filters: { label } }),
    docker.listConfigs({ filters: { label } }),
    docker.listNetworks({ filters: { label } }),
  ]);
  expect({ services: services.length, secrets: secrets.length, configs: configs.length, networks: networks.length }).toEqual({ services: 0, secrets: 0, configs: 0, networks: 0 });
});

describe('swarm provider', () => {
  let web: ActualWorkload;

  it('answers ping on a swarm manager, and an unreachable engine is a clear error', async () => {
    await provider.ping();
    const dead = createSwarmProvider({ socketPath: '/nonexistent/docker.sock' });
    await expect(dead.ping()).rejects.toBeInstanceOf(EngineUnreachableError);
    await expect(dead.ping()).rejects.toThrow(/does not answer/);
  });

  it('reports what swarm 20.10 cannot enforce', () => {
    const fields = unenforceable(
      workload('x', {
        resources: { diskMb: 10, maxProcesses: 8, maxThreads: 64, maxOpenFds: 64 },
        sandbox: { noNewPrivileges: true },
        network: { policy: 'no-network', rules: [{ direction: 'egress', port: 443, protocol: 'tcp', cidr: '10.0.0.0/8', action: 'allow' }] },
      }),
    ).map((u) => u.field);
    expect(fields).toEqual(['resources.diskMb', 'resources.maxThreads', 'sandbox.noNewPrivileges', 'network.policy', 'network.rules[0]']);
    // nofile ulimits and pids limits are enforced by 20.10 (API 1.41): not reported.
    expect(unenforceable(WEB_V1).map((u) => u.field)).toEqual(['sandbox.noNewPrivileges']);
  });

  it('creates a service with replicas, limits, hardening, a health check and a swarm secret', async () => {
    const t0 = performance.now();
    const [a] = await Promise.all([
      provider.replace(WEB_V1, undefined, 45_000),
      provider.replace(workload('worker', { command: ['sleep', '600'], healthCheck: undefined, network: { policy: 'no-network' } }), undefined, 45_000),
    ]);
    console.log(`create 2 services (3 tasks): ${Math.round(performance.now() - t0)} ms`);
    web = a;
    expect(web).toMatchObject({ platform: 'web', environment: ENV, version: '1.0.0', specHash: WEB_V1.specHash, running: 2, replicas: 2, healthy: true });

    const svc = await service('web');
    const spec = svc.Spec!;
    const c = containerSpec(svc);
    expect(spec.Mode?.Replicated?.Replicas).toBe(2);
    expect(spec.Labels).toMatchObject({ [LABELS.managed]: 'true', [LABELS.platform]: 'web', [LABELS.environment]: ENV, [LABELS.version]: '1.0.0', [LABELS.specHash]: WEB_V1.specHash, [TEST_LABEL]: RUN });
    expect(spec.TaskTemplate?.Resources?.Limits).toEqual({ NanoCPUs: 500_000_000, MemoryBytes: 64 * 1024 * 1024, Pids: 32 });
    expect(c.ReadOnly).toBe(true);
    expect(c.CapabilityDrop).toEqual(['ALL']);
    expect(c.User).toBe('1000:1000');
    expect(c.Ulimits).toEqual([{ Name: 'nofile', Soft: 256, Hard: 256 }]);
    expect(c.Mounts).toMatchObject([{ Type: 'tmpfs', Target: '/tmp', TmpfsOptions: { SizeBytes: 8 * 1024 * 1024 } }]);
    expect(healthOf(c)).toEqual({ Test: ['CMD', ...HEALTHY.command], Interval: 1e9, Timeout: 1e9, Retries: 2 });
    expect(c.Image).toMatch(/^sha256:[0-9a-f]{64}$/); // the local image by id: workers never ask a registry
    expect(c.Labels).toMatchObject({ [LABELS.specHash]: WEB_V1.specHash, [LABELS.version]: '1.0.0' });
    expect(c.Labels?.[LABELS.managed]).toBeUndefined();
    expect(spec.UpdateConfig).toMatchObject({ Parallelism: 1, Order: 'start-first', FailureAction: 'rollback', Monitor: 2e9 });
    expect(spec.RollbackConfig).toMatchObject({ Parallelism: 1, Order: 'start-first' });
    const internal = await docker.getNetwork(`mnops-${ENV}-internal`).inspect();
    expect(internal).toMatchObject({ Driver: 'overlay', Internal: true, Attachable: true });
    expect(spec.TaskTemplate?.Networks?.map((n) => n.Target)).toEqual([internal.Id]);

    // What the task's container really got.
    const tasks = await runningTasks(svc.ID);
    expect(tasks).toHaveLength(2);
    const info = await docker.getContainer(tasks[0]!.container).inspect();
    expect(info.HostConfig).toMatchObject({ NanoCpus: 500_000_000, Memory: 64 * 1024 * 1024, PidsLimit: 32, ReadonlyRootfs: true, CapDrop: ['ALL'] });
    expect(info.HostConfig.Ulimits).toEqual([{ Name: 'nofile', Soft: 256, Hard: 256 }]);
    expect(info.Config.User).toBe('1000:1000');
    expect(info.State.Health?.Status).toBe('healthy');
    expect(exec(info.Id, 'ulimit -n; id -u')).toBe('256\n1000');
    expect(() => exec(info.Id, 'touch /root-is-writable')).toThrow();

    // no-network: a private internal overlay only, so no route out.
    const worker = await service('worker');
    const [wtask] = await runningTasks(worker.ID);
    const winfo = await docker.getContainer(wtask!.container).inspect();
    expect(Object.keys(winfo.NetworkSettings.Networks)).toEqual([`mnops-${ENV}-worker-isolated`]);
    expect(exec(winfo.Id, 'cat /proc/net/route')).not.toMatch(/^\S+\s+00000000\s/m);
  });

  it('delivers secrets as swarm secrets, never as labels or environment', async () => {
    const svc = await service('web');
    const refs = containerSpec(svc).Secrets ?? [];
    expect(refs).toHaveLength(1);
    expect(refs[0]).toMatchObject({ File: { Name: 'API_TOKEN', UID: '1000', GID: '1000', Mode: 0o400 } });
    expect(refs[0]!.SecretName).toMatch(new RegExp(`^mnops-${ENV}-web-API_TOKEN-[0-9a-f]{8}$`));
    const secrets = await docker.listSecrets({ filters: { label: [`${TEST_LABEL}=${RUN}`] } });
    expect(secrets.map((s) => s.Spec?.Name)).toEqual([refs[0]!.SecretName]);

    const [task] = await runningTasks(svc.ID);
    expect(exec(task!.container, 'cat /run/secrets/API_TOKEN')).toBe(SECRET);
    const info = await docker.getContainer(task!.container).inspect();
    expect(JSON.stringify(svc)).not.toContain(SECRET);
    expect(JSON.stringify(info.Config.Env)).not.toContain(SECRET);
    expect(JSON.stringify(info.Config.Labels)).not.toContain(SECRET);
    expect(JSON.stringify(await docker.getSecret(secrets[0]!.ID).inspect())).not.toContain(SECRET);
  });

  it('refuses an update at a stale version instead of overwriting a concurrent one', async () => {
    const svc = await service('web');
    const stale = svc.Version!.Index!;
    await updateService(docker, svc.ID, stale, svc.Spec!); // the concurrent writer (same spec: nothing rolls)
    const err = await updateService(docker, svc.ID, stale, svc.Spec!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwarmConflictError);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(new RegExp(`service mnops-${ENV}-web changed after version ${stale} was read .*out of sequence`));
    expect((await service('web')).Version!.Index).toBeGreaterThan(stale);

    // The same race inside replace(): another writer updates between its read and its write.
    const client = new Docker();
    const racing = createSwarmProvider({ docker: client, labels: { [TEST_LABEL]: RUN }, monitorSeconds: 2, stopGraceSeconds: 1 });
    const read = client.listServices.bind(client) as (o?: Docker.ServiceListOptions) => Promise<Docker.Service[]>;
    vi.spyOn(client, 'listServices').mockImplementation((async (o?: Docker.ServiceListOptions) => {
      const found = await read(o);
      const now = await service('web');
      await updateService(docker, now.ID, now.Version!.Index!, now.Spec!);
      return found;
    }) as typeof client.listServices);
    const next = workload('web', { ...V1, version: '1.0.1' });
    const raced = await racing.replace(next, web, 10_000).catch((e: unknown) => e);
    expect(raced).toBeInstanceOf(SwarmConflictError);
    const after = await service('web');
    expect(after.Spec?.Labels?.[LABELS.version]).toBe('1.0.0'); // neither write was overwritten
    expect(after.UpdateStatus?.State).not.toBe('updating');
  });

  it('rolls a failing update back automatically; the old version keeps serving', async () => {
    const before = await runningTasks(web.id);
    expect(before.map((t) => t.specHash)).toEqual([WEB_V1.specHash, WEB_V1.specHash]);
    const v2 = workload('web', { ...V1, version: '2.0.0', env: { LOG_FORMAT: 'text' }, healthCheck: NEVER_HEALTHY });

    const t0 = performance.now();
    const err = await provider.replace(v2, web, 50_000).catch((e: unknown) => e);
    const ms = Math.round(performance.now() - t0);
    console.log(`failing update rolled back by swarm: ${ms} ms`);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/to 2\.0\.0 failed and swarm rolled it back .*1\.0\.0 keeps serving/);
    expect((err as Error).message).not.toContain(SECRET);

    const svc = await service('web');
    expect(svc.UpdateStatus?.State).toBe('rollback_completed');
    expect(svc.Spec?.Labels?.[LABELS.version]).toBe('1.0.0');
    expect(svc.Spec?.Labels?.[LABELS.specHash]).toBe(WEB_V1.specHash);
    // start-first: the old tasks were never stopped — the very same ones still serve.
    expect(await runningTasks(web.id)).toEqual(before);
    expect(exec(before[0]!.container, 'wget -q -O- http://127.0.0.1:8080/health')).toBe('ok');
    const [actual] = (await provider.list(ENV)).filter((a) => a.platform === 'web');
    expect(actual).toMatchObject({ version: '1.0.0', specHash: WEB_V1.specHash, running: 2, healthy: true });
  });

  it('rolls a good update out start-first and rotates the secret', async () => {
    const v11 = workload('web', { ...V1, version: '1.1.0', secrets: [apiToken(`${SECRET}-2`)] });
    const t0 = performance.now();
    const actual = await provider.replace(v11, web, 50_000);
    console.log(`rolling update of 2 replicas: ${Math.round(performance.now() - t0)} ms`);
    expect(actual).toMatchObject({ version: '1.1.0', specHash: v11.specHash, running: 2, healthy: true });
    const tasks = await runningTasks(web.id);
    expect(tasks.map((t) => t.specHash)).toEqual([v11.specHash, v11.specHash]);
    expect(exec(tasks[0]!.container, 'cat /run/secrets/API_TOKEN')).toBe(`${SECRET}-2`);
    // The old secret stays while the previous spec (swarm's rollback target) refers to it.
    expect(await docker.listSecrets({ filters: { label: [`${TEST_LABEL}=${RUN}`] } })).toHaveLength(2);
    web = actual;
  });

  it('rolls an update back itself when it is not healthy within the timeout', async () => {
    const before = await runningTasks(web.id);
    // A check that neither passes nor fails in time: swarm keeps the new task `starting`.
    const slow = workload('web', { ...V1, version: '1.2.0', secrets: [apiToken(`${SECRET}-2`)], healthCheck: { command: ['sleep', '30'], intervalSeconds: 1, timeoutSeconds: 60, retries: 1, startPeriodSeconds: 0 } });
    const t0 = performance.now();
    const err = await provider.replace(slow, web, 4_000).catch((e: unknown) => e);
    console.log(`update timed out after 4 s and rolled back by the provider: ${Math.round(performance.now() - t0)} ms`);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/1\.2\.0 did not become healthy .* within 4 s \(0 of 2 tasks healthy, 1 starting\); rolled back, 1\.1\.0 keeps serving/);
    const svc = await service('web');
    expect(svc.UpdateStatus?.State).toBe('rollback_completed');
    expect(svc.Spec?.Labels?.[LABELS.version]).toBe('1.1.0');
    expect(await runningTasks(web.id)).toEqual(before);
  });

  it('removes a new service that is not healthy within the timeout', async () => {
    const broken = workload('broken', { healthCheck: NEVER_HEALTHY });
    const err = await provider.replace(broken, undefined, 4_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/broken 1\.0\.0 did not become healthy in .* within 4 s \(0 of 1 tasks healthy, 1 \w+.*\); the new service was removed/);
    expect(await docker.listServices({ filters: { name: [serviceName(ENV, 'broken')] } })).toEqual([]);
  });

  it('lists the environment with one service list and one task list; remove and teardown clean up', async () => {
    const services = vi.spyOn(docker, 'listServices');
    const tasks = vi.spyOn(docker, 'listTasks');
    const listed = await provider.list(ENV);
    expect([services.mock.calls.length, tasks.mock.calls.length]).toEqual([1, 1]);
    services.mockRestore();
    tasks.mockRestore();
    expect(listed.map((a) => [a.platform, a.version, a.running, a.replicas, a.healthy])).toEqual([
      ['web', '1.1.0', 2, 2, true],
      ['worker', '1.0.0', 1, 1, true],
    ]);
    const envLabel = { label: [`${LABELS.environment}=${ENV}`] };
    const t0 = performance.now();
    await provider.remove(listed.find((a) => a.platform === 'worker')!);
    console.log(`remove 1 service (until its containers are gone): ${Math.round(performance.now() - t0)} ms`);
    expect((await provider.list(ENV)).map((a) => a.platform)).toEqual(['web']);
    expect(await docker.listNetworks({ filters: { name: [`mnops-${ENV}-worker-isolated`] } })).toEqual([]);
    expect((await docker.listSecrets({ filters: envLabel })).length).toBeGreaterThan(0);

    const key = await provider.digestKey(ENV, { create: true });
    expect(key).toHaveLength(32);
    expect(await provider.digestKey(ENV, { create: true })).toEqual(key); // stored once, read back
    await provider.teardown(ENV);
    expect(await provider.list(ENV)).toEqual([]);
    expect(await provider.digestKey(ENV, { create: false })).toBeUndefined();
    expect(await docker.listSecrets({ filters: envLabel })).toEqual([]);
    expect(await docker.listNetworks({ filters: envLabel })).toEqual([]);
  });
});
