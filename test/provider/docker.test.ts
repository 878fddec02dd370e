// The docker provider against the real engine (scripts/engine.sh ensures it). Nothing is
// skipped: without an engine these tests fail with the reason. Every container and network
// they create carries mnops.test=<run id> and is removed in afterAll, also on failure.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDockerProvider } from '../../tools/lib/provider/docker/index.js';
import { EngineUnreachableError, ProviderError } from '../../tools/lib/provider/errors.js';
import { LABELS, instancesOf, type ActualWorkload, type DesiredWorkload } from '../../tools/lib/provider/types.js';

const RUN = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const ENV = `t${RUN}`;
const TEST_LABEL = 'mnops.test';
const IMAGE = 'mnops/base:busybox';
const SECRET = `s3cr3t-${randomBytes(8).toString('hex')}`;
const DIGEST = randomBytes(32).toString('hex');
const docker = new Docker();
const provider = createDockerProvider({ docker, labels: { [TEST_LABEL]: RUN }, stopTimeoutSeconds: 1 });

// sh as PID 1 turns SIGTERM into a prompt exit, so stops do not wait for the kill timeout.
const HTTPD = ['sh', '-c', 'trap "exit 0" TERM; httpd -f -p 8080 -h /srv/www & wait'];
const HEALTHY = { command: ['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/health'], intervalSeconds: 1, timeoutSeconds: 2, retries: 2, startPeriodSeconds: 5 };

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

async function containersOf(platform: string, specHash?: string): Promise<Docker.ContainerInspectInfo[]> {
  const label = [`${LABELS.environment}=${ENV}`, `${LABELS.platform}=${platform}`, ...(specHash ? [`${LABELS.specHash}=${specHash}`] : [])];
  const list = await docker.listContainers({ all: true, filters: { label } });
  return Promise.all(list.map((c) => docker.getContainer(c.Id).inspect()));
}

function exec(id: string, script: string): string {
  return execFileSync('docker', ['exec', id, 'sh', '-c', script], { encoding: 'utf8' }).trim();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

async function secretVolumesOf(platform: string): Promise<string[]> {
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABELS.environment}=${ENV}`, `${LABELS.platform}=${platform}`] } });
  return (Volumes ?? []).map((v) => v.Name);
}

async function cleanUp(): Promise<void> {
  const label = [`${TEST_LABEL}=${RUN}`];
  const containers = await docker.listContainers({ all: true, filters: { label } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  const networks = await docker.listNetworks({ filters: { label } });
  for (const n of networks) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  for (const v of (await docker.listVolumes({ filters: { label } })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
}

let engineUp = false;

beforeAll(async () => {
  try {
    await docker.ping();
    engineUp = true;
  } catch (err) {
    throw new Error(
      `these tests need a real Docker engine and none answers at /var/run/docker.sock (${(err as Error).message}): run \`npm run setup\` (scripts/engine.sh installs and starts dockerd)`,
    );
  }
  try {
    await docker.getImage(IMAGE).inspect();
  } catch {
    throw new Error(`the local base image ${IMAGE} is missing: run \`bash scripts/engine.sh\` to build it (no registry is reachable)`);
  }
});

afterAll(async () => {
  if (!engineUp) return; // beforeAll already failed every test with the reason
  await cleanUp();
  const left = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${RUN}`] } });
  const nets = await docker.listNetworks({ filters: { label: [`${TEST_LABEL}=${RUN}`] } });
  const volumes = (await docker.listVolumes({ filters: { label: [`${TEST_LABEL}=${RUN}`] } })).Volumes ?? [];
  expect(left.map((c) => c.Names), 'containers left behind').toEqual([]);
  expect(nets.map((n) => n.Name), 'networks left behind').toEqual([]);
  expect(volumes.map((v) => v.Name), 'volumes left behind').toEqual([]);
});

describe('docker provider on the real engine', () => {
  const full = workload('full', {
    resources: { cpuCores: 0.5, memoryMb: 64, diskMb: 16, maxOpenFds: 256, maxProcesses: 32, maxThreads: 64 },
    sandbox: { readOnlyRootfs: true, noNewPrivileges: true, capDrop: ['ALL'], user: '1000:1000' },
    ports: [{ name: 'http', containerPort: 8080 }],
    secrets: [{ name: 'API_TOKEN', from: 'env', key: 'APP_API_TOKEN', value: SECRET, digest: DIGEST }],
    replicas: 2,
  });
  let fullActual: ActualWorkload;
  let webPort = 0;

  it('applies every resource and hardening setting, verified by inspect', async () => {
    fullActual = await provider.replace(full, undefined, 20_000);
    expect(fullActual).toMatchObject({ platform: 'full', environment: ENV, version: '1.0.0', specHash: full.specHash, running: 2, replicas: 2, healthy: true });
    expect(JSON.stringify(fullActual)).not.toContain(SECRET);

    const infos = await containersOf('full');
    expect(infos.map((i) => i.Name).sort()).toEqual([0, 1].map((r) => `/mnops-${ENV}-full-${full.specHash.slice(0, 12)}-${r}`));
    for (const info of infos) {
      const h = info.HostConfig;
      expect(info.State).toMatchObject({ Running: true, Health: { Status: 'healthy' } });
      expect(h.NanoCpus).toBe(500_000_000);
      expect(h.Memory).toBe(64 * 1024 * 1024);
      expect(h.MemorySwap).toBe(64 * 1024 * 1024);
      expect(h.PidsLimit).toBe(32);
      expect(h.Ulimits).toEqual([{ Name: 'nofile', Soft: 256, Hard: 256 }]);
      expect(h.ReadonlyRootfs).toBe(true);
      expect(h.Tmpfs).toEqual({ '/tmp': 'rw,nosuid,nodev,noexec,size=16m' });
      expect(h.SecurityOpt).toEqual(['no-new-privileges:true']);
      expect(h.CapDrop).toEqual(['ALL']);
      expect(h.RestartPolicy).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 }); // switched after health passed
      expect(info.Config.User).toBe('1000:1000');
      expect((info.Config as { Healthcheck?: Docker.HealthConfig }).Healthcheck).toEqual({
        Test: ['CMD', ...HEALTHY.command],
        Interval: 1e9,
        Timeout: 2e9,
        Retries: 2,
        StartPeriod: 5e9,
      });
      // The secret is a file of the rollout's volume, read-only, owned by the workload's user.
      expect(JSON.stringify(info)).not.toContain(SECRET);
      expect(info.Config.Env).toContain('LOG_FORMAT=json');
      expect(info.Mounts).toEqual([expect.objectContaining({ Type: 'volume', Destination: '/run/secrets', RW: false })]);
      expect(exec(info.Id, 'cat /run/secrets/API_TOKEN; echo; stat -c "%u:%g %a" /run/secrets/API_TOKEN')).toBe(`${SECRET}\n1000:1000 400`);
      expect(info.Config.ExposedPorts).toEqual({ '8080/tcp': {} });
      expect(info.Config.Labels).toMatchObject({
        [LABELS.managed]: 'true',
        [LABELS.platform]: 'full',
        [LABELS.environment]: ENV,
        [LABELS.version]: '1.0.0',
        [LABELS.specHash]: full.specHash,
        [TEST_LABEL]: RUN,
      });
      expect(info.Config.Labels[LABELS.spec]).not.toContain(SECRET);
      // http-only without a host port: the internal network only, nothing published.
      expect(h.NetworkMode).toBe(`mnops-${ENV}-internal`);
      expect(Object.keys(info.NetworkSettings.Networks)).toEqual([`mnops-${ENV}-internal`]);
      expect(info.NetworkSettings.Ports['8080/tcp'] ?? null).toBeNull();
    }
    const net = await docker.getNetwork(`mnops-${ENV}-internal`).inspect();
    expect(net).toMatchObject({ Driver: 'bridge', Internal: true, Labels: { [LABELS.managed]: 'true', [LABELS.environment]: ENV, [TEST_LABEL]: RUN } });

    // What the process sees: user, nofile, no-new-privileges, no capabilities, read-only root.
    const seen = exec(infos[0]!.Id, 'busybox id -u; ulimit -n; grep -E "^CapEff" /proc/self/status; grep -E "^NoNewPrivs" /proc/self/status; busybox touch /x 2>/dev/null && echo rw || echo ro; echo hi > /tmp/t && echo tmp');
    expect(seen.split('\n').map((l) => l.replace(/\s+/g, ' '))).toEqual(['1000', '256', 'CapEff: 0000000000000000', 'NoNewPrivs: 1', 'ro', 'tmp']);
    expect(provider.unenforceable(full).map((u) => u.field)).toEqual(['resources.maxThreads']);
  });

  it('maps no-network, egress-only, http-only with a host port and allow-all onto networks', async () => {
    webPort = await freePort();
    const nonet = workload('nonet', { network: { policy: 'no-network' }, command: ['sh', '-c', 'trap "exit 0" TERM; sleep 300 & wait'], healthCheck: undefined, ports: [{ name: 'http', containerPort: 8080 }] });
    const egress = workload('egress', { network: { policy: 'egress-only' }, ports: [{ name: 'http', containerPort: 8080, hostPort: webPort + 1 }] });
    const web = workload('web', {
      network: { policy: 'http-only', rules: [{ direction: 'ingress', port: 8080, protocol: 'tcp', cidr: '10.0.0.0/8', action: 'allow' }] },
      ports: [{ name: 'http', containerPort: 8080, hostPort: webPort }],
    });
    const open = workload('open', { network: { policy: 'allow-all' }, ports: [{ name: 'http', containerPort: 8080 }] });
    const results = await Promise.all([nonet, egress, web, open].map((w) => provider.replace(w, undefined, 20_000)));
    expect(results.map((r) => [r.platform, r.healthy])).toEqual([
      ['nonet', true],
      ['egress', true],
      ['web', true],
      ['open', true],
    ]);

    const [n] = await containersOf('nonet');
    expect(n!.HostConfig.NetworkMode).toBe('none');
    expect(Object.keys(n!.NetworkSettings.Networks)).toEqual(['none']);
    expect(exec(n!.Id, 'cat /proc/net/dev | grep -c ":"')).toBe('1'); // lo only

    const [e] = await containersOf('egress');
    expect(e!.HostConfig.NetworkMode).toBe(`mnops-${ENV}`);
    expect(Object.keys(e!.NetworkSettings.Networks).sort()).toEqual([`mnops-${ENV}`, `mnops-${ENV}-internal`]);
    expect(e!.HostConfig.PortBindings ?? {}).toEqual({});
    expect(e!.Config.ExposedPorts ?? {}).toEqual({});
    expect(await docker.getNetwork(`mnops-${ENV}`).inspect()).toMatchObject({ Internal: false, Labels: { [LABELS.managed]: 'true', [TEST_LABEL]: RUN } });
    // An egress-capable workload reaches http-only peers on the internal network by name.
    expect(exec(e!.Id, 'wget -q -O- http://full:8080/health')).toBe('ok');

    const [w] = await containersOf('web');
    expect(w!.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '', HostPort: String(webPort) }] });
    expect(await (await fetch(`http://127.0.0.1:${webPort}/health`)).text()).toBe('ok\n');

    const [o] = await containersOf('open');
    expect(o!.HostConfig.NetworkMode).toBe(`mnops-${ENV}`);
    expect(o!.Config.ExposedPorts).toEqual({ '8080/tcp': {} });

    expect(provider.unenforceable(nonet)).toEqual([{ platform: 'nonet', field: 'ports.http', reason: expect.stringMatching(/no interface/) }]);
    expect(provider.unenforceable(egress).map((u) => u.field)).toEqual(['ports.http']);
    expect(provider.unenforceable(web).map((u) => u.field)).toEqual(['network.policy', 'network.rules[0]']);
    expect(provider.unenforceable(workload('disk', { resources: { diskMb: 100 } }))).toEqual([
      { platform: 'disk', field: 'resources.diskMb', reason: expect.stringMatching(/overlay2/) },
    ]);
  });

  it('list() reads the environment with one labelled list call', async () => {
    const listSpy = vi.spyOn(docker, 'listContainers');
    const getSpy = vi.spyOn(docker, 'getContainer');
    try {
      const actual = await provider.list(ENV);
      expect(listSpy).toHaveBeenCalledTimes(1);
      expect(listSpy.mock.calls[0]?.[0]).toEqual({ all: true, filters: { label: ['mnops.managed=true', `mnops.environment=${ENV}`] } });
      expect(getSpy).not.toHaveBeenCalled(); // health came from the list's Status text
      expect(actual.map((a) => [a.platform, a.version, a.running, a.replicas, a.healthy])).toEqual([
        ['egress', '1.0.0', 1, 1, true],
        ['full', '1.0.0', 2, 2, true],
        ['nonet', '1.0.0', 1, 1, true],
        ['open', '1.0.0', 1, 1, true],
        ['web', '1.0.0', 1, 1, true],
      ]);
      const f = actual.find((a) => a.platform === 'full');
      expect(f?.generations.flatMap((g) => g.instances)).toHaveLength(2);
      expect(f?.spec).toMatchObject({ platform: 'full', resources: { memoryMb: 64 } });
      expect(JSON.stringify(actual)).not.toContain(SECRET);
    } finally {
      listSpy.mockRestore();
      getSpy.mockRestore();
    }
    expect(await provider.list(`${ENV}-nothing`)).toEqual([]);
  });

  it('a health check that never passes leaves the old version serving', async () => {
    const v1 = workload('svc', { secrets: [{ name: 'API_TOKEN', from: 'env', key: 'K', value: SECRET, digest: DIGEST }] });
    const old = await provider.replace(v1, undefined, 20_000);
    const [before] = await containersOf('svc');

    // Unhealthy: the check prints the secret and fails; the error must not carry the value.
    const bad = workload('svc', {
      version: '2.0.0',
      secrets: v1.secrets,
      healthCheck: { command: ['sh', '-c', 'echo token=$(cat /run/secrets/API_TOKEN); exit 1'], intervalSeconds: 1, timeoutSeconds: 1, retries: 1 },
    });
    const err = await provider.replace(bad, old, 20_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/svc@2\.0\.0 .* failed: replica .* is unhealthy.*token=\*\*\*.*svc@1\.0\.0 keeps running/);
    expect((err as Error).message).not.toContain(SECRET);

    // Never healthy within the timeout.
    const slow = workload('svc', { version: '2.0.1', healthCheck: { command: ['false'], intervalSeconds: 1, retries: 100 } });
    await expect(provider.replace(slow, old, 1_500)).rejects.toThrow(/not healthy within 2 s: .*health: starting.*svc@1\.0\.0 keeps running/);

    // The process exits.
    const dies = workload('svc', { version: '2.0.2', command: ['sh', '-c', 'exit 3'], healthCheck: undefined });
    await expect(provider.replace(dies, old, 10_000)).rejects.toThrow(/exited with code 3/);

    for (const w of [bad, slow, dies]) expect(await containersOf('svc', w.specHash)).toEqual([]);
    const [after] = await containersOf('svc');
    expect(after?.Id).toBe(before?.Id);
    expect(after?.State).toMatchObject({ Running: true, Health: { Status: 'healthy' } });
    expect((await provider.list(ENV)).filter((a) => a.platform === 'svc')).toEqual([expect.objectContaining({ version: '1.0.0', healthy: true })]);

    // A good version then replaces it: the old container is retired.
    const good = workload('svc', { version: '2.1.0' });
    const next = await provider.replace(good, old, 20_000);
    expect(next).toMatchObject({ version: '2.1.0', healthy: true, running: 1 });
    const now = await containersOf('svc');
    expect(now.map((c) => c.Config.Labels[LABELS.version])).toEqual(['2.1.0']);
    // The failed rollouts' secret volumes went with them, the retired one's with it.
    expect(await secretVolumesOf('svc')).toEqual([]);

    // The same spec replaced in place (e.g. to heal drift) gets a fresh name beside the old.
    const again = await provider.replace(good, next, 20_000);
    expect(instancesOf(again)).not.toEqual(instancesOf(next));
    expect((await containersOf('svc')).map((c) => c.Id)).toEqual(instancesOf(again));
  });

  it('replaces a workload that publishes a host port by stepping the old one aside', async () => {
    const port = await freePort();
    const ports = [{ name: 'http', containerPort: 8080, hostPort: port }];
    const v1 = workload('pub', { network: { policy: 'allow-all' }, ports });
    const old = await provider.replace(v1, undefined, 20_000);
    const bad = workload('pub', { version: '2.0.0', network: { policy: 'allow-all' }, ports, healthCheck: { command: ['false'], intervalSeconds: 1, retries: 1 } });
    await expect(provider.replace(bad, old, 10_000)).rejects.toThrow(/unhealthy.*pub@1\.0\.0 keeps running/);
    const [restored] = await containersOf('pub');
    expect(restored?.State.Running).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('ok\n');
    const good = workload('pub', { version: '2.0.0', network: { policy: 'allow-all' }, ports });
    await provider.replace(good, old, 20_000);
    expect((await containersOf('pub')).map((c) => c.Config.Labels[LABELS.version])).toEqual(['2.0.0']);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('ok\n');
  });

  it('removes a container the engine applied differently and names the field', async () => {
    class Tampering extends Docker {
      override getContainer(id: string): Docker.Container {
        const c = super.getContainer(id);
        const inspect = c.inspect.bind(c) as () => Promise<Docker.ContainerInspectInfo>;
        (c as { inspect: unknown }).inspect = async () => {
          const info = await inspect();
          info.HostConfig.Memory = 1;
          return info;
        };
        return c;
      }
    }
    const tampered = createDockerProvider({ docker: new Tampering(), labels: { [TEST_LABEL]: RUN }, stopTimeoutSeconds: 1 });
    const w = workload('lying', { resources: { memoryMb: 32 } });
    await expect(tampered.replace(w, undefined, 10_000)).rejects.toThrow(/applied Memory=1 to mnops-.*-lying-.*-0, not the 33554432 asked/);
    expect(await containersOf('lying')).toEqual([]);
  });

  it('reports a missing image without pulling', async () => {
    await expect(provider.replace(workload('noimage', { image: `mnops/absent:${RUN}` }), undefined, 5_000)).rejects.toThrow(
      /image mnops\/absent:.* is not on the engine/,
    );
    // A version of the example's base image that the setup has not tagged yet: the hint says how.
    const err = await provider.replace(workload('noversion', { image: `mnops/base:0.0.0-${RUN}` }), undefined, 5_000).then(() => undefined, (e: unknown) => e as { hint?: string });
    expect(err?.hint).toMatch(/npm run setup .* run it again, or docker tag mnops\/base:busybox mnops\/base:0\.0\.0-/);
  });

  it('remove() stops and removes every container of a workload', async () => {
    const actual = (await provider.list(ENV)).find((a) => a.platform === 'full');
    expect(actual).toBeDefined();
    await provider.remove({ ...actual!, generations: [] }); // by labels, as another process would
    expect(await containersOf('full')).toEqual([]);
    expect(await secretVolumesOf('full')).toEqual([]);
    expect((await provider.list(ENV)).map((a) => a.platform)).not.toContain('full');
  });

  it('recreates a network removed behind its back', async () => {
    const lone = workload('lone', { environment: `${ENV}x`, healthCheck: undefined });
    await provider.remove(await provider.replace(lone, undefined, 10_000)); // the networks stay, remembered
    await docker.getNetwork(`mnops-${ENV}x-internal`).remove();
    const back = await provider.replace(lone, undefined, 10_000);
    expect(back.healthy).toBe(true);
    expect((await docker.getNetwork(`mnops-${ENV}x-internal`).inspect()).Internal).toBe(true);
    await provider.teardown(`${ENV}x`);
  });

  it('teardown() removes every managed container, network, secret volume and the digest key of the environment', async () => {
    const secret = workload('kept', { healthCheck: undefined, secrets: [{ name: 'K', from: 'env', key: 'APP_K', value: SECRET, digest: DIGEST }] });
    await provider.replace(secret, undefined, 10_000);
    expect(await provider.digestKey(ENV, { create: true })).toHaveLength(32);
    expect(await secretVolumesOf('kept')).toHaveLength(1);
    await provider.teardown(ENV);
    expect(await provider.list(ENV)).toEqual([]);
    const nets = await docker.listNetworks({ filters: { label: [`${LABELS.environment}=${ENV}`] } });
    expect(nets).toEqual([]);
    const volumes = await docker.listVolumes({ filters: { label: [`${LABELS.environment}=${ENV}`] } });
    expect((volumes.Volumes ?? []).map((v) => v.Name)).toEqual([]);
    expect(await provider.digestKey(ENV, { create: false })).toBeUndefined();
  });

  it('an engine that does not answer raises EngineUnreachableError', async () => {
    const dead = createDockerProvider({ socketPath: `/tmp/mnops-no-engine-${RUN}.sock` });
    const err = await dead.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineUnreachableError);
    expect((err as Error).message).toBe(`the Docker engine at /tmp/mnops-no-engine-${RUN}.sock does not answer — start dockerd or run npm run setup`);
    await expect(dead.list(ENV)).rejects.toBeInstanceOf(EngineUnreachableError);
    await expect(dead.replace(workload('x'), undefined, 1_000)).rejects.toBeInstanceOf(EngineUnreachableError);
  });
});
