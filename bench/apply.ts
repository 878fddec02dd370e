// The apply section of `npm run bench` (bars: README, "Benchmarks and their bars"): apply of 20 independent platforms in
// parallel should take about as long as the longest single one, not the sum, and not much
// longer than the engine itself takes: the floor, the same 20 containers started with the
// docker CLI in parallel. Real engine, real containers (the local base image), removed
// afterwards. Asserts nothing.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createDockerProvider } from '../tools/lib/provider/docker/index.js';
import { applyPlan } from '../tools/lib/reconcile/apply.js';
import { desiredState } from '../tools/lib/reconcile/desired.js';
import { digestKeyFor } from '../tools/lib/secrets/digest.js';
import { plan } from '../tools/lib/reconcile/plan.js';
import { loadEcosystem } from '../tools/lib/ecosystem-load/load-ecosystem.js';
import type { Metric, Row, Section } from './bench.js';
import { writeBenchWorld } from './world.js';

const COUNT = 20;
const FLOOR_RUNS = 3;
const FLOOR_BAR = 1.3;
const FLOOR_LABEL = 'mnops-bench-floor';
const FLOOR_POLL_MS = 50;
const FLOOR_TIMEOUT_MS = 60_000;
const IMAGE = 'mnops/base:busybox';
const COMMAND = ['httpd', '-f', '-p', '8080', '-h', '/srv/www'];
const HEALTH = ['wget', '-q', '-O-', 'http://127.0.0.1:8080/health'];
const RESOURCES = { cpuCores: 0.25, memoryMb: 32, diskMb: 16, maxOpenFds: 256, maxProcesses: 16, maxThreads: 16 };
const USER = '1000:1000';
const platformName = (i: number) => `p${String(i).padStart(2, '0')}-platform`;

function writeWorld(dir: string, env: string): void {
  const spec =
    `  image: ${IMAGE}\n` +
    `  command: ${JSON.stringify(COMMAND)}\n` +
    `  healthCheck:\n    command: ${JSON.stringify(HEALTH)}\n    intervalSeconds: 1\n    timeoutSeconds: 1\n    retries: 3\n    startPeriodSeconds: 0\n` +
    `  resources: {${Object.entries(RESOURCES).map(([k, v]) => `${k}: ${v}`).join(', ')}}\n` +
    `  network: {policy: http-only}\n  sandbox: {readOnlyRootfs: true, noNewPrivileges: true, capDrop: [ALL], user: "${USER}"}\n`;
  writeBenchWorld(
    dir,
    env,
    Array.from({ length: COUNT }, (_, i) => ({ name: platformName(i), spec })),
  );
}

async function timeApply(root: string, env: string, only: string[] | undefined, concurrency: number): Promise<number> {
  const { ecosystem } = await loadEcosystem(root, { cacheDir: false });
  const provider = createDockerProvider();
  const desired = await desiredState(ecosystem, env, { env: {}, root, digestKey: digestKeyFor(provider, env, true) }, only);
  const p = plan(env, desired, await provider.list(env));
  const t0 = performance.now();
  const results = await applyPlan(p, provider, { concurrency, healthTimeoutMs: 60_000 });
  const ms = performance.now() - t0;
  const failed = results.filter((r) => r.status !== 'done');
  if (failed.length) throw new Error(`apply failed: ${failed.map((f) => `${f.platform}: ${f.error}`).join('; ')}`);
  return ms;
}

// ---------------------------------------------------------------------------------------
// The engine's floor: the same 20 containers without mnops, by the docker CLI in parallel.

const exec = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The lower median: of three runs, the middle one. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
}

async function docker(args: string[]): Promise<string> {
  return (await exec('docker', args, { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
}

/**
 * `docker run` flags for what createBody (provider/docker/container-spec.ts) asks of the
 * engine for these workloads. One difference the CLI forces: `--health-cmd` writes a
 * shell-form check (CMD-SHELL, `sh -c` around the same wget), the provider an exec-form one.
 */
function floorRunArgs(tag: string, i: number, network: string): string[] {
  const r = RESOURCES;
  return [
    'run', '-d', '--name', `${FLOOR_LABEL}-${tag}-${i}`, '--label', `${FLOOR_LABEL}=${tag}`,
    // http-only without host ports: only the environment's internal network, aliased by platform name.
    '--network', network, '--network-alias', platformName(i),
    // A read-only root leaves a /tmp tmpfs of diskMb as the only writable place.
    '--read-only', '--tmpfs', `/tmp:rw,nosuid,nodev,noexec,size=${r.diskMb}m`,
    '--security-opt', 'no-new-privileges:true', '--cap-drop', 'ALL', '--user', USER,
    '--cpus', String(r.cpuCores), '--memory', `${r.memoryMb}m`, '--memory-swap', `${r.memoryMb}m`,
    '--pids-limit', String(Math.min(r.maxProcesses, r.maxThreads)), '--ulimit', `nofile=${r.maxOpenFds}:${r.maxOpenFds}`,
    '--restart', 'no', '--stop-timeout', '3', '--log-driver', 'json-file', '--log-opt', 'max-size=10m', '--log-opt', 'max-file=3',
    '--health-cmd', HEALTH.join(' '), '--health-interval', '1s', '--health-timeout', '1s', '--health-retries', '3', '--health-start-period', '0s',
    IMAGE, ...COMMAND,
  ];
}

/** Polls `docker inspect` until every container is healthy; throws when one exits or turns unhealthy. */
async function floorHealthy(ids: string[], deadline: number): Promise<void> {
  const pending = new Set(ids);
  for (;;) {
    const out = await docker(['inspect', '--format', '{{.Id}} {{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', ...pending]);
    const waiting: string[] = [];
    for (const line of out.split('\n')) {
      const [id = '', name = '', status = '', health = 'no health check'] = line.trim().split(' ');
      if (status === 'exited' || status === 'dead' || health === 'unhealthy') throw new Error(`floor container ${name} is ${health === 'unhealthy' ? health : status}`);
      if (health === 'healthy') pending.delete(id);
      else waiting.push(`${name} (${status}, ${health})`);
    }
    if (pending.size === 0) return;
    if (performance.now() > deadline) throw new Error(`floor containers not healthy within ${FLOOR_TIMEOUT_MS / 1000} s: ${waiting.join(', ')}`);
    await sleep(FLOOR_POLL_MS);
  }
}

/** Everything a floor run created, found by its label: containers first, then the network. */
async function removeFloor(tag: string): Promise<void> {
  const filter = `label=${FLOOR_LABEL}=${tag}`;
  const containers = (await docker(['ps', '-aq', '--filter', filter])).split('\n').filter(Boolean);
  if (containers.length) await docker(['rm', '-f', '-v', ...containers]);
  const networks = (await docker(['network', 'ls', '-q', '--filter', filter])).split('\n').filter(Boolean);
  if (networks.length) await docker(['network', 'rm', ...networks]);
}

/** One floor run: from the first `docker run` to all healthy, and (untimed) the network create. */
async function floorOnce(tag: string): Promise<{ ms: number; networkMs: number }> {
  try {
    const network = `${FLOOR_LABEL}-${tag}-internal`;
    const n0 = performance.now();
    await docker(['network', 'create', '--driver', 'bridge', '--internal', '--label', `${FLOOR_LABEL}=${tag}`, network]);
    const networkMs = performance.now() - n0;
    const t0 = performance.now();
    // allSettled: cleanup must not start while a `docker run` is still creating its container.
    const started = await Promise.allSettled(Array.from({ length: COUNT }, (_, i) => docker(floorRunArgs(tag, i, network))));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    await floorHealthy(started.map((r) => (r as PromiseFulfilledResult<string>).value), t0 + FLOOR_TIMEOUT_MS);
    return { ms: performance.now() - t0, networkMs };
  } finally {
    await removeFloor(tag);
  }
}

async function measureFloor(): Promise<{ ms: number; runs: number[]; networkMs: number }> {
  const tag = Date.now().toString(36);
  const runs: { ms: number; networkMs: number }[] = [];
  for (let i = 0; i < FLOOR_RUNS; i++) {
    const r = await floorOnce(`${tag}-${i}`);
    process.stderr.write(`  engine floor: ${Math.round(r.ms)} ms (network create ${Math.round(r.networkMs)} ms, untimed)\n`);
    runs.push(r);
  }
  return { ms: median(runs.map((r) => r.ms)), runs: runs.map((r) => r.ms), networkMs: median(runs.map((r) => r.networkMs)) };
}

export const applySection: Section = {
  name: 'apply',
  title: `apply (docker provider, ${COUNT} independent platforms: one alone, then all in parallel; and the engine floor: the same ${COUNT} containers by docker run in parallel)`,
  bars: [
    'apply of independent platforms in parallel: wall time near the longest single platform, not the sum',
    `${COUNT} in parallel ≤ ${FLOOR_BAR}× the engine floor (median of ${FLOOR_RUNS})`,
  ],
  async runOnce(dir: string): Promise<Row[]> {
    const env = `bench${Date.now().toString(36).slice(-5)}`;
    writeWorld(dir, env);
    const provider = createDockerProvider();
    await provider.ping();
    let one: number;
    let all: number;
    try {
      one = await timeApply(dir, env, [platformName(0)], 1);
      await provider.teardown(env);
      all = await timeApply(dir, env, undefined, COUNT);
    } finally {
      await provider.teardown(env);
    }
    const metrics: Metric[] = [
      { key: 'one', label: 'one platform ms', value: one, unit: 'ms' },
      { key: 'all', label: `${COUNT} in parallel ms`, value: all, unit: 'ms', ratio: all / one, bar: { limit: '≈1× one (≤ 3×)', ok: all <= 3 * one } },
      { key: 'sum', label: `${COUNT} × one ms`, value: one * COUNT, unit: 'ms' },
    ];
    const notes: string[] = [];
    // After the apply's teardown, so the floor has the engine to itself.
    try {
      const floor = await measureFloor();
      metrics.push(
        { key: 'floor', label: 'engine floor ms', value: floor.ms, unit: 'ms', detail: `runs ${floor.runs.map((ms) => Math.round(ms)).join(', ')}` },
        { key: 'allVsFloor', label: `${COUNT} in parallel ms (×floor)`, value: all, unit: 'ms', ratio: all / floor.ms, bar: { limit: `≤ ${FLOOR_BAR}×`, ok: all <= FLOOR_BAR * floor.ms } },
      );
      notes.push(
        `engine floor: ${COUNT} × docker run -d at once, then docker inspect every ${FLOOR_POLL_MS} ms (apply polls every 250 ms); ` +
          `its network is created before the clock starts (median ${Math.round(floor.networkMs)} ms), apply's ${COUNT} figure includes that; ` +
          `the apply figures are one run each, the floor the median of ${FLOOR_RUNS}`,
      );
    } catch (err) {
      notes.push(`engine floor failed, no floor figures: ${err instanceof Error ? err.message : String(err)}`);
    }
    return [{ size: COUNT, metrics, notes }];
  },
};
