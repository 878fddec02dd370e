// mnops drift against the real Docker engine: a clean apply shows no drift; each kind of
// out-of-band change (docker update, a stopped container, a container started by hand with
// the managed labels, a removed one, a rotated secret) is reported with its field and
// values; first-seen times survive between runs and each drift is recorded once; driftIgnore
// silences a field; --heal restores through the apply path and audits it; no engine is exit 2.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mnops, removeDir } from '../helpers/repo.js';
import { PLATFORM, containersOf, docker, ensureImages, uniqueName, writeRepo } from '../promotion/world.js';

const env = uniqueName('d');
const TOKEN_VAR = `MNOPS_TEST_TOKEN_${env.toUpperCase()}`;
let root = '';
const handStarted: string[] = [];
const run = (args: string[], extraEnv: Record<string, string> = {}) => mnops([...args, '--root', root], { env: { [TOKEN_VAR]: 'first-secret-value', ...extraEnv } });

interface Item {
  platform: string;
  kind: string;
  field: string;
  desired: unknown;
  actual: unknown;
  instances: string[];
  fingerprint: string;
  firstSeen: string;
}
interface Report {
  environments: { environment: string; items: Item[]; error?: string; healed?: { platform: string; status: string }[]; remaining?: Item[] }[];
}

async function drift(extra: string[] = [], extraEnv: Record<string, string> = {}): Promise<{ status: number | null; report: Report; stderr: string }> {
  const r = await run(['drift', '--env', env, '--format', 'json', ...extra], extraEnv);
  return { status: r.status, report: JSON.parse(r.stdout || '{}') as Report, stderr: r.stderr };
}
const items = (r: Report) => r.environments[0]?.items ?? [];
const field = (r: Report, f: string) => items(r).filter((i) => i.field === f);
const container = () => containersOf(env)[0]!;
const auditRecords = async (action: string) =>
  (JSON.parse((await run(['audit', 'log', '--env', env, '--format', 'json'])).stdout) as { action: string; platform?: string; reason?: string; fingerprints?: string[] }[]).filter(
    (r) => r.action === action,
  );

beforeAll(async () => {
  ensureImages();
  root = writeRepo([{ name: env, version: '1.0.0' }]);
  // One plain env entry and one secret from the runner (listed by the environment): the secret is compared by keyed digest.
  const file = path.join(root, `platforms/${PLATFORM}/platform.yaml`);
  writeFileSync(file, readFileSync(file, 'utf8') + `  env:\n    LOG_LEVEL: info\n  secrets:\n    - name: API_TOKEN\n      from: env\n      key: ${TOKEN_VAR}\n`);
  const envFile = path.join(root, `ecosystem/platform-cloud/${env}/environment.yaml`);
  writeFileSync(envFile, readFileSync(envFile, 'utf8') + `  secretSources:\n    env: [${TOKEN_VAR}]\n`);
  const a = await run(['apply', '--env', env, '--timeout', '30']);
  expect(a.status, a.stdout + a.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  for (const id of handStarted) {
    try {
      docker('rm', '-f', id);
    } catch {
      /* gone already */
    }
  }
  if (!root) return;
  const r = await run(['teardown', '--env', env]);
  removeDir(root);
  expect(r.status, r.stderr).toBe(0);
  expect(containersOf(env)).toEqual([]);
});

describe('mnops drift on the real docker engine', () => {
  it('reports no drift right after an apply (exit 0)', async () => {
    const d = await drift();
    expect(d.status, d.stderr).toBe(0);
    expect(items(d.report)).toEqual([]);
    const text = await run(['drift', '--env', env]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`${env} (docker): no drift (1 platform(s), 1 workload(s) read)`);
  });

  it('reports docker update of memory, cpus and pids field by field, records it once, and keeps its first-seen time', async () => {
    docker('update', '--memory', '32m', '--cpus', '0.5', '--pids-limit', '100', container());
    const first = await drift();
    expect(first.status, first.stderr).toBe(1);
    expect(field(first.report, '/resources/memoryMb')).toMatchObject([{ platform: PLATFORM, kind: 'changed', desired: 64, actual: 32, instances: [expect.stringContaining(`mnops-${env}-${PLATFORM}`)] }]);
    expect(field(first.report, '/resources/swapMb')).toMatchObject([{ desired: 0, actual: 32 }]);
    expect(field(first.report, '/resources/cpuCores')).toMatchObject([{ desired: 0.25, actual: 0.5 }]);
    expect(field(first.report, '/resources/pids')).toMatchObject([{ desired: 32, actual: 100 }]);
    expect(items(first.report)).toHaveLength(4);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await drift();
    expect(second.status).toBe(1);
    const memory = field(second.report, '/resources/memoryMb')[0]!;
    expect(memory.firstSeen).toBe(field(first.report, '/resources/memoryMb')[0]!.firstSeen);
    const recorded = await auditRecords('drift-detected');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.fingerprints?.sort()).toEqual(items(first.report).map((i) => i.fingerprint).sort());
    expect(recorded[0]!.reason).toContain('/resources/memoryMb: 64 → 32');

    const text = await run(['drift', '--env', env]);
    expect(text.stdout).toMatch(/~ \/resources\/memoryMb: 64 → 32/);
    expect(text.stdout).toContain('Drift: 4 difference(s) in 1 of 1 environment(s).');
    const md = await run(['drift', '--env', env, '--format', 'markdown']);
    expect(md.stdout).toContain(`| ${PLATFORM} | \`/resources/memoryMb\` | \`64\` | \`32\` |`);
  }, 60_000);

  it('heals through the apply path, audits the heal and clears the drift', async () => {
    const h = await drift(['--heal', '--timeout', '30']);
    expect(h.status, h.stderr).toBe(0);
    const e = h.report.environments[0]!;
    expect(e.items.length).toBe(4);
    expect(e.healed).toEqual([expect.objectContaining({ platform: PLATFORM, status: 'done' })]);
    expect(e.remaining).toEqual([]);
    expect(docker('inspect', '--format', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}', container())).toBe(`${64 * 1024 * 1024} 250000000 32`);
    expect(containersOf(env)).toHaveLength(1);
    expect(await auditRecords('heal')).toMatchObject([{ platform: PLATFORM, reason: expect.stringContaining('/resources/memoryMb') }]);
    expect(await auditRecords('drift-cleared')).toHaveLength(1);
    expect((await drift()).status).toBe(0);
  }, 120_000);

  it('reports a stopped container', async () => {
    docker('stop', '-t', '1', container());
    const d = await drift(['--no-record']);
    expect(d.status).toBe(1);
    expect(field(d.report, '/state')).toMatchObject([{ kind: 'stopped', desired: 'running', actual: 'exited' }]);
    docker('start', container());
    docker('pause', container());
    try {
      expect(field((await drift(['--no-record'])).report, '/state')).toMatchObject([{ kind: 'stopped', desired: 'running', actual: 'paused' }]);
    } finally {
      docker('unpause', container());
    }
  }, 30_000);

  it('compares secrets by keyed digest and never prints a value', async () => {
    const d = await run(['drift', '--env', env, '--format', 'json', '--no-record'], { [TOKEN_VAR]: 'rotated-secret-value' });
    expect(d.status).toBe(1);
    const report = JSON.parse(d.stdout) as Report;
    const secret = field(report, '/secrets/API_TOKEN');
    expect(secret).toMatchObject([{ desired: expect.stringMatching(/^hmac:[0-9a-f]{16}$/), actual: expect.stringMatching(/^hmac:[0-9a-f]{16}$/) }]);
    expect(secret[0]!.desired).not.toBe(secret[0]!.actual);
    for (const format of ['text', 'markdown', 'json']) {
      const out = await run(['drift', '--env', env, '--format', format, '--no-record'], { [TOKEN_VAR]: 'rotated-secret-value' });
      expect(out.stdout).not.toContain('secret-value');
    }
  }, 30_000);

  it('reports containers started by hand with the managed labels: an undeclared platform and an extra replica', async () => {
    const labels = (platform: string) => ['--label', 'mnops.managed=true', '--label', `mnops.environment=${env}`, '--label', `mnops.platform=${platform}`];
    handStarted.push(docker('run', '-d', ...labels('stray'), 'mnops/base:1.0.0', 'sleep', '300'));
    handStarted.push(docker('run', '-d', ...labels(PLATFORM), 'mnops/base:1.0.0', 'sleep', '300'));
    const d = await drift(['--no-record']);
    expect(d.status).toBe(1);
    expect(items(d.report).filter((i) => i.kind === 'undeclared')).toMatchObject([{ platform: 'stray', desired: null, actual: expect.stringContaining('mnops/base:1.0.0') }]);
    expect(field(d.report, '/replicas')).toMatchObject([{ platform: PLATFORM, desired: 1, actual: 2 }]);
    expect(field(d.report, '/command').find((i) => i.actual && JSON.stringify(i.actual).includes('sleep'))).toBeTruthy();
  }, 30_000);

  it('heals undeclared workloads away (with --prune) and reports a removed one as missing', async () => {
    // Without --prune a heal deletes nothing: the stray is reported and stays.
    const kept = await drift(['--heal', '--timeout', '30']);
    expect(kept.status, kept.stderr).toBe(1);
    expect(containersOf(env)).toHaveLength(2);
    const h = await drift(['--heal', '--prune', '--timeout', '30']);
    expect(h.status, h.stderr).toBe(0);
    expect(containersOf(env)).toHaveLength(1);
    docker('rm', '-f', container());
    const d = await drift(['--no-record']);
    expect(d.status).toBe(1);
    expect(items(d.report)).toMatchObject([{ platform: PLATFORM, kind: 'missing', field: '/', desired: '1.0.0 × 1', actual: null }]);
    expect((await drift(['--heal', '--timeout', '30'])).status).toBe(0);
  }, 120_000);

  it('driftIgnore silences the fields it names', async () => {
    const file = path.join(root, `platforms/${PLATFORM}/platform.yaml`);
    writeFileSync(file, readFileSync(file, 'utf8') + '  driftIgnore:\n    - /resources/memoryMb\n    - /resources/swapMb\n');
    docker('update', '--memory', '48m', container());
    const d = await drift(['--no-record']);
    expect(d.status, JSON.stringify(items(d.report))).toBe(0);
    docker('update', '--cpus', '0.75', container());
    expect(field((await drift(['--no-record'])).report, '/resources/cpuCores')).toMatchObject([{ desired: 0.25, actual: 0.75 }]);
  }, 30_000);

  it('is exit 2 with one sentence when the engine does not answer', async () => {
    const r = await run(['drift', '--env', env], { DOCKER_HOST: 'unix:///tmp/mnops-no-such-engine.sock' });
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/could not check: the Docker engine at \/tmp\/mnops-no-such-engine\.sock does not answer/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
