// One table of desired workloads, run through both engines on the real daemon (the docker
// provider's containers and the swarm provider's services on the setup's one-node swarm).
// For each row both must give the same observable result — what a process inside a replica
// sees (cgroup limits, ulimits, user, capabilities, no_new_privs, a read-only root, the /tmp
// size, its secret files) and the kind of networks it sits on — and the same unenforceable
// report. Where an engine truly cannot do something, the row says so, and that setting is
// then reported unenforceable by that engine and left out of the comparison.
import { createHash, randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { TeardownError } from '../../tools/lib/provider/errors.js';
import { createDockerProvider } from '../../tools/lib/provider/docker/index.js';
import { createSwarmProvider } from '../../tools/lib/provider/swarm/index.js';
import { LABELS, type DesiredWorkload, type ResolvedSecret } from '../../tools/lib/provider/types.js';
import { keyedDigest } from '../../tools/lib/secrets/digest.js';

const RUN = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const TEST_LABEL = 'mnops.test';
const IMAGE = 'mnops/base:busybox';
const SECRET = `c0nf-${randomBytes(8).toString('hex')}`;
const docker = new Docker();
const labels = { [TEST_LABEL]: RUN };
const ENGINES = {
  docker: { env: `cd${RUN}`, provider: createDockerProvider({ docker, labels, stopTimeoutSeconds: 1, networkReleaseMs: 5_000 }) },
  swarm: { env: `cs${RUN}`, provider: createSwarmProvider({ docker, labels, monitorSeconds: 1, stopGraceSeconds: 1, pollMs: 250, networkReleaseMs: 5_000 }) },
};
type Engine = keyof typeof ENGINES;

const HTTPD = ['sh', '-c', 'trap "exit 0" TERM; httpd -f -p 8080 -h /srv/www & wait'];
const HEALTHY = { command: ['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/health'], intervalSeconds: 1, timeoutSeconds: 2, retries: 2, startPeriodSeconds: 0 };

interface Row {
  name: string;
  workload: Partial<Omit<DesiredWorkload, 'specHash' | 'platform' | 'environment'>>;
  /** What a replica of it shows (a subset of the probe's keys). */
  expect: Record<string, string>;
  /** Fields one engine reports unenforceable and the other enforces, with the probe keys they change. */
  engineLimits?: Partial<Record<Engine, Record<string, string[]>>>;
}

const ROWS: Row[] = [
  {
    name: 'limits',
    workload: { resources: { cpuCores: 0.5, memoryMb: 64, maxOpenFds: 256, maxProcesses: 32 }, network: { policy: 'http-only' } },
    expect: { memory: String(64 * 1024 * 1024), cpu: '50000/100000', pids: '32', nofile: '256', networks: 'internal' },
  },
  {
    name: 'hardened',
    workload: {
      resources: { diskMb: 8 },
      sandbox: { readOnlyRootfs: true, noNewPrivileges: true, capDrop: ['ALL'], user: '1000:1000' },
      network: { policy: 'egress-only' },
    },
    expect: { user: '1000:1000', capEff: '0000000000000000', readOnly: 'yes', tmpKb: '8192', noNewPrivs: '1', networks: 'internal,routed' },
    engineLimits: { swarm: { 'sandbox.noNewPrivileges': ['noNewPrivs'] } },
  },
  {
    name: 'secret',
    workload: { sandbox: { user: '1000:1000' }, network: { policy: 'http-only' } },
    expect: { secret: createHash('sha256').update(SECRET).digest('hex').slice(0, 16), secretMode: '400', secretOwner: '1000:1000' },
  },
  {
    name: 'egress-rule',
    // "egress anywhere" holds wherever the plan routes out: egress-only does.
    workload: { network: { policy: 'egress-only', rules: [{ action: 'allow', direction: 'egress', protocol: 'tcp', port: 443, cidr: '0.0.0.0/0' }] } },
    expect: { networks: 'internal,routed' },
  },
  {
    name: 'egress-port',
    // A declared port under egress-only: reachable by no one from outside, on either engine.
    workload: { network: { policy: 'egress-only' }, ports: [{ name: 'http', containerPort: 8080 }] },
    expect: { networks: 'internal,routed' },
  },
  {
    name: 'deny-egress',
    workload: { network: { policy: 'http-only', rules: [{ action: 'deny', direction: 'egress', protocol: 'tcp', port: 25, cidr: '0.0.0.0/0' }] }, ports: [{ name: 'http', containerPort: 8080 }] },
    expect: { networks: 'internal' },
  },
  {
    name: 'per-port-rule',
    // No engine filters by port or address: both must say so.
    workload: { network: { policy: 'allow-all', rules: [{ action: 'allow', direction: 'egress', protocol: 'tcp', port: 443, cidr: '10.0.0.0/8' }] } },
    expect: { networks: 'internal,routed' },
  },
  {
    name: 'isolated',
    workload: { network: { policy: 'no-network' }, healthCheck: { ...HEALTHY, command: ['true'] } },
    expect: {},
    engineLimits: { swarm: { 'network.policy': ['networks'] } },
  },
  {
    name: 'threads',
    workload: { resources: { maxProcesses: 16, maxThreads: 64 }, network: { policy: 'http-only' } },
    expect: { pids: '16' },
  },
];

function desiredOf(row: Row, engine: Engine): DesiredWorkload {
  const environment = ENGINES[engine].env;
  const secrets: ResolvedSecret[] =
    row.name === 'secret' ? [{ name: 'API_TOKEN', from: 'env', key: 'APP_API_TOKEN', value: SECRET, digest: keyedDigest(randomBytes(32), [environment, row.name, SECRET]) }] : [];
  const w: Omit<DesiredWorkload, 'specHash'> = {
    platform: row.name,
    environment,
    version: '1.0.0',
    image: IMAGE,
    command: HTTPD,
    env: { LOG_FORMAT: 'json' },
    secrets,
    resources: {},
    network: { policy: 'http-only' },
    sandbox: {},
    healthCheck: HEALTHY,
    replicas: 1,
    ports: [],
    dependsOn: [],
    ...row.workload,
  };
  return { ...w, specHash: createHash('sha256').update(JSON.stringify(w)).digest('hex').slice(0, 16) };
}

/** What a process in the replica sees, as key=value lines (cgroup v1 or v2). */
const PROBE = `
first() { for f in "$@"; do [ -r "$f" ] && { cat "$f"; return; }; done; echo none; }
echo "memory=$(first /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes)"
if [ -r /sys/fs/cgroup/cpu.max ]; then echo "cpu=$(tr ' ' / < /sys/fs/cgroup/cpu.max)"; else echo "cpu=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)/$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; fi
echo "pids=$(first /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max)"
echo "nofile=$(ulimit -n)"
echo "user=$(id -u):$(id -g)"
echo "capEff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)"
echo "noNewPrivs=$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/self/status)"
if touch /.probe 2>/dev/null; then rm -f /.probe; echo readOnly=no; else echo readOnly=yes; fi
echo "tmpKb=$(df -k /tmp | tail -1 | awk '{print $2}')"
if [ -r /run/secrets/API_TOKEN ]; then echo "secret=$(sha256sum /run/secrets/API_TOKEN | cut -c1-16)"; else echo secret=none; fi
echo "secretMode=$(stat -c %a /run/secrets/API_TOKEN 2>/dev/null || echo none)"
echo "secretOwner=$(stat -c %u:%g /run/secrets/API_TOKEN 2>/dev/null || echo none)"
`;

async function probe(containerId: string): Promise<Record<string, string>> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['sh', '-c', PROBE], AttachStdout: true, AttachStderr: true, User: '' });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (b: Buffer) => chunks.push(b));
    stream.on('end', () => resolve(demux(Buffer.concat(chunks))));
    stream.on('error', reject);
  });
  const info = await docker.getContainer(containerId).inspect();
  const kinds = await Promise.all(
    Object.keys(info.NetworkSettings.Networks ?? {})
      .filter((n) => n !== 'none' && n !== 'ingress')
      .map(async (n) => ((await docker.getNetwork(n).inspect()) as { Internal?: boolean }).Internal ? 'internal' : 'routed'),
  );
  const seen = Object.fromEntries(out.split('\n').flatMap((l) => (l.includes('=') ? [[l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]] : [])));
  return { ...seen, networks: [...kinds].sort().join(',') || 'none' };
}

/** Docker's multiplexed exec stream: 8-byte frame headers before each chunk. */
function demux(buf: Buffer): string {
  let out = '';
  for (let at = 0; at + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(at + 4);
    if (buf[at] === 1) out += buf.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  return out;
}

/** The running container of a platform's one replica: the docker provider's own, or swarm's task. */
async function replicaContainer(engine: Engine, platform: string): Promise<string> {
  const { env } = ENGINES[engine];
  const label = engine === 'docker' ? [`${LABELS.managed}=true`, `${LABELS.environment}=${env}`, `${LABELS.platform}=${platform}`] : [`com.docker.swarm.service.name=mnops-${env}-${platform}`];
  const found = await docker.listContainers({ filters: { label, status: ['running'] } });
  expect(found, `${engine}: one running replica of ${platform}`).toHaveLength(1);
  return found[0]!.Id;
}

type Outcome = { observed: Record<string, string>; unenforceable: string[] };
const outcomes = new Map<string, Outcome>();

async function run(engine: Engine, row: Row): Promise<Outcome> {
  const key = `${engine}/${row.name}`;
  const known = outcomes.get(key);
  if (known) return known;
  const { provider, env } = ENGINES[engine];
  const d = desiredOf(row, engine);
  await provider.replace(d, undefined, 60_000);
  const listed = (await provider.list(env)).filter((a) => a.platform === row.name);
  expect(listed, `${engine}: list() gives one workload per platform`).toHaveLength(1);
  expect(listed[0]).toMatchObject({ specHash: d.specHash, running: 1, replicas: 1, healthy: true });
  const outcome = { observed: await probe(await replicaContainer(engine, row.name)), unenforceable: provider.unenforceable(d).map((u) => u.field).sort() };
  outcomes.set(key, outcome);
  return outcome;
}

afterAll(async () => {
  await Promise.allSettled(Object.values(ENGINES).map(({ provider, env }) => provider.teardown(env)));
  const label = [`${TEST_LABEL}=${RUN}`];
  const [services, containers] = await Promise.all([docker.listServices({ filters: { label } }), docker.listContainers({ all: true, filters: { label } })]);
  await Promise.allSettled([...services.map((s) => docker.getService(s.ID).remove()), ...containers.map((c) => docker.getContainer(c.Id).remove({ force: true }))]);
  const networks = await docker.listNetworks({ filters: { label } });
  await Promise.allSettled(networks.map((n) => docker.getNetwork(n.Id).remove()));
}, 120_000);

describe('both engines, one contract', () => {
  describe.each(ROWS)('$name', (row) => {
    it('gives the same observable result and the same unenforceable report on docker and swarm', async () => {
      const [onDocker, onSwarm] = await Promise.all([run('docker', row), run('swarm', row)]);
      const limits = row.engineLimits ?? {};
      // What an engine cannot do, it says, and only that.
      const onlyDocker = Object.keys(limits.docker ?? {});
      const onlySwarm = Object.keys(limits.swarm ?? {});
      expect(onDocker.unenforceable.filter((f) => !onlyDocker.includes(f)), 'the unenforceable report, where the engines agree').toEqual(
        onSwarm.unenforceable.filter((f) => !onlySwarm.includes(f)),
      );
      for (const f of onlyDocker) expect(onDocker.unenforceable).toContain(f);
      for (const f of onlySwarm) expect(onSwarm.unenforceable).toContain(f);
      const differs = new Set(Object.values({ ...limits.docker, ...limits.swarm }).flat());
      const same = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).filter(([k]) => !differs.has(k)));
      expect(same(onDocker.observed), 'what a replica sees, docker against swarm').toEqual(same(onSwarm.observed));
      for (const [k, v] of Object.entries(row.expect)) {
        if (!limits.docker || !Object.values(limits.docker).flat().includes(k)) expect(onDocker.observed[k], `docker: ${k}`).toBe(v);
        if (!limits.swarm || !Object.values(limits.swarm).flat().includes(k)) expect(onSwarm.observed[k], `swarm: ${k}`).toBe(v);
      }
    }, 120_000);
  });
});

describe('teardown on both engines', () => {
  it('removes what it can, and names what it could not remove', async () => {
    // After the table: a container mnops does not manage holds on to each environment's internal network.
    const blockers = await Promise.all(
      (Object.keys(ENGINES) as Engine[]).map(async (engine) => {
        await run(engine, ROWS[0]!);
        const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '300'], Labels: labels, HostConfig: { NetworkMode: `mnops-${ENGINES[engine].env}-internal` } });
        await c.start();
        return c;
      }),
    );
    try {
      for (const engine of Object.keys(ENGINES) as Engine[]) {
        const { provider, env } = ENGINES[engine];
        const err = await provider.teardown(env).then(() => undefined, (e: unknown) => e);
        expect(err, `${engine}: teardown fails`).toBeInstanceOf(TeardownError);
        const holder = (await blockers[(Object.keys(ENGINES) as Engine[]).indexOf(engine)]!.inspect()).Name.replace(/^\//, '');
        expect((err as TeardownError).left, engine).toEqual([
          expect.stringMatching(new RegExp(`^network mnops-${env}-internal \\(.*; held by container ${holder}, which mnops does not manage\\)$`)),
        ]);
        expect(await provider.list(env), `${engine}: the workloads went all the same`).toEqual([]);
      }
    } finally {
      await Promise.all(blockers.map((c) => c.remove({ force: true })));
    }
    for (const { provider, env } of Object.values(ENGINES)) await provider.teardown(env);
  }, 120_000);

  it('waits for a network whose last endpoint is going away, instead of calling it left behind', async () => {
    // The engine counts a removed container's endpoint for a moment after the remove returns;
    // here the blocker goes a second after teardown starts, well inside its patience.
    await Promise.all(
      (Object.keys(ENGINES) as Engine[]).map(async (engine) => {
        const { provider, env } = ENGINES[engine];
        outcomes.delete(`${engine}/${ROWS[0]!.name}`); // the test before tore it down
        await run(engine, ROWS[0]!);
        const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '300'], Labels: labels, HostConfig: { NetworkMode: `mnops-${env}-internal` } });
        await c.start();
        const leaving = new Promise((r) => setTimeout(r, 1000)).then(() => c.remove({ force: true }));
        const outcome = await provider.teardown(env).then(() => 'removed everything', (e: unknown) => String(e));
        await leaving;
        expect(outcome, engine).toBe('removed everything');
        expect(await docker.listNetworks({ filters: { name: [`mnops-${env}-`] } }), `${engine}: no network of the environment is left`).toEqual([]);
      }),
    );
  }, 120_000);

  it('by default waits out an endpoint that takes seconds to go', async () => {
    // With its default patience, not the short one the table runs with: the endpoint is
    // released seven seconds after teardown starts (twenty polls used to give up after five).
    const patient = {
      docker: createDockerProvider({ docker, labels }),
      swarm: createSwarmProvider({ docker, labels, pollMs: 250 }),
    };
    await Promise.all(
      (Object.keys(ENGINES) as Engine[]).map(async (engine) => {
        const { env } = ENGINES[engine];
        outcomes.delete(`${engine}/${ROWS[0]!.name}`);
        await run(engine, ROWS[0]!);
        const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '300'], Labels: labels, HostConfig: { NetworkMode: `mnops-${env}-internal` } });
        await c.start();
        const leaving = new Promise((r) => setTimeout(r, 7000)).then(() => c.remove({ force: true }));
        const outcome = await patient[engine].teardown(env).then(() => 'removed everything', (e: unknown) => String(e));
        await leaving;
        expect(outcome, engine).toBe('removed everything');
        expect(await docker.listNetworks({ filters: { name: [`mnops-${env}-`] } }), `${engine}: no network of the environment is left`).toEqual([]);
      }),
    );
  }, 120_000);
});
