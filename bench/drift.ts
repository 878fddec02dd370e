// The drift section of `npm run bench` (bars: README, "Benchmarks and their bars"): a drift check over 50 and 200 managed
// containers on the real engine, in process and as the CLI, bar 200 in under 2 s. The
// containers are applied once per size (platforms of 10 replicas each) and torn down after.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { detectDrift } from '../tools/lib/drift/index.js';
import { createDockerProvider } from '../tools/lib/provider/docker/index.js';
import { applyPlan } from '../tools/lib/reconcile/apply.js';
import { desiredState } from '../tools/lib/reconcile/desired.js';
import { digestKeyFor } from '../tools/lib/secrets/digest.js';
import { plan } from '../tools/lib/reconcile/plan.js';
import { loadEcosystem } from '../tools/lib/ecosystem-load/load-ecosystem.js';
import type { Row, Section } from './bench.js';
import { writeBenchWorld } from './world.js';

const SIZES = [50, 200];
const REPLICAS = 10;
const REPS = 5;
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../tools/mnops.js');

function writeWorld(dir: string, env: string, containers: number): void {
  const spec =
    '  image: mnops/base:busybox\n  command: ["sleep", "86400"]\n  env: {LOG_LEVEL: info}\n' +
    '  resources: {cpuCores: 0.1, memoryMb: 16, diskMb: 8, maxOpenFds: 64, maxProcesses: 8, maxThreads: 8}\n' +
    `  network: {policy: http-only}\n  sandbox: {readOnlyRootfs: true, noNewPrivileges: true, capDrop: [ALL], user: "1000:1000"}\n  replicas: ${REPLICAS}\n`;
  const platforms = Array.from({ length: containers / REPLICAS }, (_, i) => ({ name: `d${String(i).padStart(2, '0')}-platform`, spec }));
  writeBenchWorld(dir, env, platforms, { commit: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export const driftSection: Section = {
  name: 'drift',
  title: `drift (docker provider, ${SIZES.join(' and ')} managed containers)`,
  bars: ['drift over 200 managed containers in under 2 s'],
  async runOnce(dir: string): Promise<Row[]> {
    const rows: Row[] = [];
    const provider = createDockerProvider();
    await provider.ping();
    for (const size of SIZES) {
      const env = `bd${size}${Date.now().toString(36).slice(-4)}`;
      const root = path.join(dir, env);
      writeWorld(root, env, size);
      try {
        process.stderr.write(`  drift: starting ${size} containers…\n`);
        const { ecosystem } = await loadEcosystem(root, { cacheDir: false });
        const desired = await desiredState(ecosystem, env, { env: {}, root, digestKey: digestKeyFor(provider, env, true) });
        const results = await applyPlan(plan(env, desired, []), provider, { concurrency: 8, healthTimeoutMs: 120_000 });
        const failed = results.filter((r) => r.status !== 'done');
        if (failed.length) throw new Error(`apply failed: ${failed.map((f) => `${f.platform}: ${f.error}`).join('; ')}`);

        const inProcess: number[] = [];
        let calls = 0;
        let clean = true;
        for (let i = 0; i < REPS; i++) {
          const t0 = performance.now();
          const report = await detectDrift({ root, environments: [env], actor: 'bench', record: false });
          inProcess.push(performance.now() - t0);
          const e = report.environments[0]!;
          calls = e.calls;
          clean &&= !e.error && e.items.length === 0 && e.instances === size;
        }
        if (!clean) throw new Error(`drift over ${size} containers was not clean`);
        const cli: number[] = [];
        for (let i = 0; i < REPS; i++) {
          const t0 = performance.now();
          const r = spawnSync(process.execPath, [CLI, 'drift', '--env', env, '--root', root, '--format', 'json'], { encoding: 'utf8' });
          cli.push(performance.now() - t0);
          if (r.status !== 0) throw new Error(`mnops drift exited ${r.status}: ${r.stderr}`);
        }
        const ms = median(inProcess);
        const cliMs = median(cli);
        rows.push({
          size,
          metrics: [
            { key: 'check', label: 'check ms (median, in process)', value: ms, unit: 'ms', ...(size === 200 ? { bar: { limit: '< 2000 ms', ok: ms < 2000 } } : {}) },
            { key: 'cli', label: 'mnops drift ms (median, CLI)', value: cliMs, unit: 'ms', ...(size === 200 ? { bar: { limit: '< 2000 ms', ok: cliMs < 2000 } } : {}) },
            { key: 'calls', label: 'engine calls', value: calls, unit: '' },
          ],
        });
      } finally {
        await provider.teardown(env);
      }
    }
    return rows;
  },
};
