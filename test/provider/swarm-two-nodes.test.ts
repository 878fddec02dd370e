// The swarm provider on a real two-node swarm (test/helpers/two-node-swarm.ts: a manager and
// a worker dockerd in namespaces of their own, joined over a veth pair). A platform of two
// replicas lands on both machines; when the worker is cut off it keeps serving from the
// manager, drift shows the lost replica while swarm reschedules it, and apply converges once
// the worker is back and, on another platform, once a powered-off worker is removed from the
// swarm. Skipped, with the reason, where the machine cannot build such a swarm (not root, no
// dockerd or ip, a kernel without veth or vxlan).
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDrift, formatText, type DriftReport } from '../../tools/lib/drift/index.js';
import { createSwarmProvider, serviceName } from '../../tools/lib/provider/swarm/index.js';
import { LABELS } from '../../tools/lib/provider/types.js';
import { applyEnvironment } from '../../tools/lib/reconcile/environment.js';
import { edit, git, mnops, removeDir } from '../helpers/repo.js';
import { leftovers, startTwoNodeSwarm, twoNodeSwarmUnavailable, type SwarmNode, type TwoNodeSwarm } from '../helpers/two-node-swarm.js';
import { PLATFORM, uniqueName, writeRepo } from '../promotion/world.js';

const unavailable = twoNodeSwarmUnavailable();
if (unavailable) console.warn(`swarm on two nodes skipped: ${unavailable}`);

const ENV_A = uniqueName('tn');
const ENV_B = uniqueName('tn');
const IMAGE = 'mnops/base:busybox';
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let swarm: TwoNodeSwarm | undefined;
let root = '';
let cleanup: { dir: string; netns: string[] } | undefined;

function cluster(): TwoNodeSwarm {
  if (!swarm) throw new Error('the two-node swarm did not start (see beforeAll)');
  return swarm;
}

/** The provider as apply and drift get it, with a client bound to the test manager's socket
 * (never DOCKER_HOST: nothing here may land on the machine's own engine). */
function provider() {
  return createSwarmProvider({ docker: cluster().manager.docker, monitorSeconds: 2, stopGraceSeconds: 1, pollMs: 250 });
}

/** What the test's environments left on the machine's own engine (nothing, unless something
 * went to the wrong engine): removed, and returned for the assertion. */
async function strayOnMainEngine(): Promise<string[]> {
  const main = new Docker();
  const label = [`${LABELS.environment}=${ENV_A}`, `${LABELS.environment}=${ENV_B}`];
  const stray: string[] = [];
  for (const l of label) {
    const filters = { label: [l] };
    for (const svc of await main.listServices({ filters })) {
      stray.push(`service ${svc.Spec?.Name}`);
      await main.getService(svc.ID).remove().catch(() => undefined);
    }
    for (let i = 0; i < 40 && (await main.listContainers({ all: true, filters })).length; i++) await sleep(250);
    for (const n of await main.listNetworks({ filters })) {
      stray.push(`network ${n.Name}`);
      await main.getNetwork(n.Id).remove().catch(() => undefined);
    }
    for (const c of await main.listConfigs({ filters })) {
      stray.push(`config ${c.Spec?.Name}`);
      await main.getConfig(c.ID).remove().catch(() => undefined);
    }
  }
  return stray;
}

interface Task {
  id: string;
  node: string;
  container: string;
}

/** Tasks swarm wants running and that are in `state` ('running' = passed their health check), as the manager sees them. */
async function tasksIn(env: string, state: 'running' | 'starting'): Promise<Task[]> {
  const docker = cluster().manager.docker;
  const tasks = (await docker.listTasks({ filters: { service: [serviceName(env, PLATFORM)], 'desired-state': ['running'] } })) as {
    ID: string;
    NodeID: string;
    Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
  }[];
  return tasks
    .filter((t) => t.Status?.State === state)
    .map((t) => ({ id: t.ID, node: t.NodeID, container: t.Status?.ContainerStatus?.ContainerID ?? '' }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

const runningTasks = (env: string) => tasksIn(env, 'running');

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
}

async function drift(env: string): Promise<DriftReport> {
  return detectDrift({ root, environments: [env], actor: 'two-node-test', record: false, providerFor: () => provider() });
}

/** Applies through tools/lib/reconcile; returns what was planned and how each action ended. */
async function apply(env: string) {
  const outcome = await applyEnvironment({ root, environment: env, actor: 'two-node-test', healthTimeoutMs: 45_000, providerFor: () => provider() });
  return {
    planned: outcome.planned.plan.actions.map((a) => ({ kind: a.kind, changes: a.changes })),
    results: outcome.results.map((r) => ({ platform: r.platform, status: r.status, error: r.error })),
  };
}

/** Containers of the environment's service that run on one node's own engine. */
async function containersOn(node: SwarmNode, env: string): Promise<string[]> {
  const found = await node.docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${serviceName(env, PLATFORM)}`] } });
  return found.map((c) => c.Id);
}

/** Watches still sampling when a test failed early; afterAll stops them before the daemons go. */
const watches = new Set<() => Promise<unknown>>();

/**
 * Samples, every 250 ms until stopped, whether the service still serves on the manager: a
 * task swarm counts as running there, whose container the manager's engine reports healthy.
 * An engine that does not answer is a sample that failed, not an error of its own.
 */
function watchServing(env: string) {
  const samples: { at: number; tasks: number; healthyOnManager: number; error?: string }[] = [];
  let stopped = false;
  const t0 = Date.now();
  const done = (async () => {
    while (!stopped) {
      try {
        const tasks = await runningTasks(env);
        let healthy = 0;
        for (const t of tasks.filter((x) => x.node === cluster().manager.nodeId)) {
          const info = await cluster().manager.docker.getContainer(t.container).inspect().catch(() => undefined);
          if (info?.State.Health?.Status === 'healthy') healthy++;
        }
        samples.push({ at: Date.now() - t0, tasks: tasks.length, healthyOnManager: healthy });
      } catch (err) {
        samples.push({ at: Date.now() - t0, tasks: 0, healthyOnManager: 0, error: (err as Error).message });
      }
      await sleep(250);
    }
  })();
  const stop = async () => {
    stopped = true;
    await done;
    return samples;
  };
  watches.add(stop);
  return { stop };
}

beforeAll(async () => {
  if (unavailable) return;
  // The machine's engine holds the base image (no registry is reachable).
  execFileSync('bash', ['scripts/engine.sh'], { stdio: 'inherit' });
  swarm = await startTwoNodeSwarm({ images: [IMAGE], tags: { 'mnops/base:1.0.0': IMAGE } });
  cleanup = { dir: swarm.dir, netns: [swarm.manager.netns, swarm.worker.netns] };
  root = writeRepo([
    { name: ENV_A, version: '1.0.0', adapter: 'swarm' },
    { name: ENV_B, version: '1.0.0', adapter: 'swarm' },
  ]);
  edit(root, `platforms/${PLATFORM}/platform.yaml`, 'replicas: 1', 'replicas: 2');
  // A first health check 2 s after start: long enough for a drift check to see a starting task.
  edit(root, `platforms/${PLATFORM}/platform.yaml`, 'intervalSeconds: 1', 'intervalSeconds: 2');
  git(root, 'commit', '-q', '-am', 'two replicas');
}, 90_000);

afterAll(async () => {
  await Promise.all([...watches].map((stop) => stop()));
  try {
    await swarm?.close();
  } finally {
    if (root) removeDir(root);
  }
  if (!unavailable) expect(await strayOnMainEngine()).toEqual([]);
  if (cleanup) expect(leftovers(cleanup.dir, cleanup.netns)).toEqual({ processes: [], mounts: [], netns: [], dir: false });
}, 60_000);

describe.skipIf(unavailable)('the swarm provider on a two-node swarm', () => {
  it('spreads two replicas over both nodes (the CLI reaching the manager through DOCKER_HOST)', async () => {
    const s = cluster();
    expect(s.cli(s.manager, 'node', 'ls', '--format', '{{.Hostname}} {{.Status}}').split('\n').sort()).toEqual(['mnops-manager Ready', 'mnops-worker Ready']);
    const r = await mnops(['apply', '--env', ENV_A, '--timeout', '45', '--root', root], { env: { DOCKER_HOST: `unix://${s.manager.socket}` } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const tasks = await runningTasks(ENV_A);
    expect(tasks.map((t) => t.node).sort()).toEqual([s.manager.nodeId, s.worker.nodeId].sort());
    // Each node's own engine runs one of them; the machine's own engine runs none.
    expect(await containersOn(s.manager, ENV_A)).toHaveLength(1);
    expect(await containersOn(s.worker, ENV_A)).toHaveLength(1);
    expect(await new Docker().listServices({ filters: { label: [`${LABELS.environment}=${ENV_A}`] } })).toEqual([]);
    const d = await drift(ENV_A);
    expect(d.environments[0]).toMatchObject({ provider: 'swarm', items: [] });
  }, 60_000);

  it('keeps serving when the worker is cut off; drift shows the lost replica while swarm reschedules it', async () => {
    const s = cluster();
    const before = await runningTasks(ENV_A);
    const onManager = before.find((t) => t.node === s.manager.nodeId)!;
    const watch = watchServing(ENV_A);
    const t0 = Date.now();
    s.partition();

    // Until the manager misses the worker's heartbeats it still counts the task there; then it
    // shuts that task down and starts a replacement: drift reads the gap.
    const lost = await until('drift reporting the lost replica', 30_000, async () => {
      const report = await drift(ENV_A);
      return report.environments[0]?.items.length ? report : undefined;
    });
    const seenAfter = Date.now() - t0;
    expect(lost.environments[0]?.items).toMatchObject([
      { environment: ENV_A, platform: PLATFORM, kind: 'stopped', field: '/state', desired: 'running', actual: '1/2 tasks running', instances: [serviceName(ENV_A, PLATFORM)] },
    ]);
    expect(formatText(lost, false)).toContain('/state: running → 1/2 tasks running');
    expect(await s.nodeState(s.worker)).toBe('down');

    // The replacement serves nothing until its health check passes: a drift check made while
    // it is starting (seen so before and after the check) still reports the replica lost.
    let driftMs = 0;
    const whileStarting = await until('a drift check while the replacement was starting', 30_000, async (): Promise<DriftReport | 'missed' | undefined> => {
      const [starting] = await tasksIn(ENV_A, 'starting');
      if (!starting) return (await runningTasks(ENV_A)).length === 2 ? 'missed' : undefined;
      const t1 = Date.now();
      const report = await drift(ENV_A);
      driftMs = Date.now() - t1;
      const still = (await tasksIn(ENV_A, 'starting')).some((t) => t.id === starting.id);
      return still ? report : undefined;
    });
    if (whileStarting === 'missed') throw new Error(`the replacement passed its health check (2 s) before a drift check (last one ${driftMs} ms) could run beside it`);
    expect(whileStarting.environments[0]?.items.map((i) => i.actual)).toEqual(['1/2 tasks running']);

    const rescheduled = await until('swarm rescheduling the lost replica onto the manager', 30_000, async () => {
      const tasks = await runningTasks(ENV_A);
      return tasks.length === 2 && tasks.every((t) => t.node === s.manager.nodeId) ? tasks : undefined;
    });
    const samples = await watch.stop();
    console.log(`worker cut off: drift saw the lost replica after ${seenAfter} ms, swarm had rescheduled it after ${Date.now() - t0} ms (${samples.length} samples)`);
    // Served throughout: every sample saw a healthy task on the manager — the very task that
    // ran there before, which the loss never touched.
    expect(samples.length).toBeGreaterThan(4);
    expect(samples.filter((x) => x.tasks < 1 || x.healthyOnManager < 1)).toEqual([]);
    expect(rescheduled.map((t) => t.id)).toContain(onManager.id);
    expect((await drift(ENV_A)).environments[0]?.items).toEqual([]);
  }, 90_000);

  it('converges with apply once the worker is back; the stale replica there is retired', async () => {
    const s = cluster();
    s.reconnect();
    await s.waitForNodeState(s.worker, 'ready', 20_000);
    expect((await apply(ENV_A)).results).toEqual([{ platform: PLATFORM, status: expect.stringMatching(/^(unchanged|done)$/), error: undefined }]);
    // The worker kept running its task while cut off; swarm stops it once it hears from the
    // manager again, so the platform does not run three replicas.
    await until('the worker retiring its stale replica', 30_000, async () => ((await containersOn(s.worker, ENV_A)).length === 0 ? true : undefined));
    expect(await containersOn(s.manager, ENV_A)).toHaveLength(2);
    const [actual] = await provider().list(ENV_A);
    expect(actual).toMatchObject({ platform: PLATFORM, running: 2, replicas: 2, healthy: true });
    expect((await drift(ENV_A)).environments[0]?.items).toEqual([]);
  }, 90_000);

  it('spreads a new platform onto the returned worker; once that worker is powered off and removed, apply converges', async () => {
    const s = cluster();
    expect((await apply(ENV_B)).results).toEqual([{ platform: PLATFORM, status: 'done', error: undefined }]);
    const spread = await runningTasks(ENV_B);
    expect(spread.map((t) => t.node).sort()).toEqual([s.manager.nodeId, s.worker.nodeId].sort());
    const onManager = spread.find((t) => t.node === s.manager.nodeId)!;

    const watch = watchServing(ENV_B);
    const t0 = Date.now();
    await s.powerOff(s.worker); // daemon, shims and containers gone at once: the machine is lost
    const downAfter = await s.waitForNodeState(s.worker, 'down', 20_000);
    await s.manager.docker.getNode(s.worker.nodeId).remove({ force: true });
    expect(await s.nodeState(s.worker)).toBeUndefined();

    // Swarm needs a few seconds to start and health-check the replacement: apply, planned
    // right after the removal, finds the platform short of a replica, replaces it (same spec)
    // and returns only once both replicas run healthy.
    const { planned, results } = await apply(ENV_B);
    const samples = await watch.stop();
    console.log(`worker powered off: down after ${downAfter} ms, removed and converged by apply after ${Date.now() - t0} ms`);
    expect(planned).toEqual([{ kind: 'update', changes: [{ field: '/running', from: '1/2 unhealthy', to: '2/2' }] }]);
    expect(results).toEqual([{ platform: PLATFORM, status: 'done', error: undefined }]);
    expect(samples.length).toBeGreaterThan(4);
    expect(samples.filter((x) => x.tasks < 1 || x.healthyOnManager < 1)).toEqual([]);
    const tasks = await runningTasks(ENV_B);
    expect(tasks.map((t) => t.node)).toEqual([s.manager.nodeId, s.manager.nodeId]);
    expect(tasks.map((t) => t.id)).toContain(onManager.id);
    expect(s.cli(s.manager, 'node', 'ls', '--format', '{{.Hostname}}')).toBe('mnops-manager');
    const listed = await provider().list(ENV_B);
    expect(listed.map((a) => [a.platform, a.running, a.replicas, a.healthy, a.specHash === listed[0]?.specHash])).toEqual([[PLATFORM, 2, 2, true, true]]);
    for (const env of [ENV_A, ENV_B]) expect((await drift(env)).environments[0]?.items, env).toEqual([]);
  }, 90_000);
});
