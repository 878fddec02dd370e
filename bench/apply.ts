// The apply section of `npm run bench` (bars: README, "Benchmarks and their bars"): apply of 20 independent platforms in
// parallel should take about as long as the longest single one, not the sum. Real engine,
// real containers (the local base image), removed afterwards. Asserts nothing.
import { createDockerProvider } from '../tools/lib/provider/docker/index.js';
import { applyPlan } from '../tools/lib/reconcile/apply.js';
import { desiredState } from '../tools/lib/reconcile/desired.js';
import { digestKeyFor } from '../tools/lib/secrets/digest.js';
import { plan } from '../tools/lib/reconcile/plan.js';
import { loadEcosystem } from '../tools/lib/validate/load-ecosystem.js';
import type { Row, Section } from './bench.js';
import { writeBenchWorld } from './world.js';

const COUNT = 20;

function writeWorld(dir: string, env: string): void {
  const spec =
    '  image: mnops/base:busybox\n' +
    '  command: ["httpd", "-f", "-p", "8080", "-h", "/srv/www"]\n' +
    '  healthCheck:\n    command: ["wget", "-q", "-O-", "http://127.0.0.1:8080/health"]\n    intervalSeconds: 1\n    timeoutSeconds: 1\n    retries: 3\n    startPeriodSeconds: 0\n' +
    '  resources: {cpuCores: 0.25, memoryMb: 32, diskMb: 16, maxOpenFds: 256, maxProcesses: 16, maxThreads: 16}\n' +
    '  network: {policy: http-only}\n  sandbox: {readOnlyRootfs: true, noNewPrivileges: true, capDrop: [ALL], user: "1000:1000"}\n';
  writeBenchWorld(
    dir,
    env,
    Array.from({ length: COUNT }, (_, i) => ({ name: `p${String(i).padStart(2, '0')}-platform`, spec })),
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

export const applySection: Section = {
  name: 'apply',
  title: `apply (docker provider, ${COUNT} independent platforms: one alone, then all in parallel)`,
  bars: ['apply of independent platforms in parallel: wall time near the longest single platform, not the sum'],
  async runOnce(dir: string): Promise<Row[]> {
    const env = `bench${Date.now().toString(36).slice(-5)}`;
    writeWorld(dir, env);
    const provider = createDockerProvider();
    await provider.ping();
    try {
      const one = await timeApply(dir, env, ['p00-platform'], 1);
      await provider.teardown(env);
      const all = await timeApply(dir, env, undefined, COUNT);
      return [
        {
          size: COUNT,
          metrics: [
            { key: 'one', label: 'one platform ms', value: one, unit: 'ms' },
            { key: 'all', label: `${COUNT} in parallel ms`, value: all, unit: 'ms', ratio: all / one, bar: { limit: '≈1× one (≤ 3×)', ok: all <= 3 * one } },
            { key: 'sum', label: `${COUNT} × one ms`, value: one * COUNT, unit: 'ms' },
          ],
        },
      ];
    } finally {
      await provider.teardown(env);
    }
  },
};
