// One delivery of secrets on both engines, on the real daemon: the same platform, applied to
// a docker and a swarm environment, reads its runner-variable and file secrets from
// /run/secrets/<name> (0400, owned by its uid), while nothing `docker inspect` shows holds a
// value; the spec-hash label is keyed with the environment's key on the engine, stable
// across plans and processes; a rotation redeploys; teardown leaves nothing behind.
import { createHash, randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { canonicalJson } from '../../tools/lib/json/canonical.js';
import { detectDrift } from '../../tools/lib/drift/index.js';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { recordedSpec } from '../../tools/lib/provider/labels.js';
import { providerFor } from '../../tools/lib/provider/registry.js';
import { LABELS, type DesiredWorkload } from '../../tools/lib/provider/types.js';
import { desiredState, hashWorkload, type UnhashedWorkload } from '../../tools/lib/reconcile/desired.js';
import { applyEnvironment, planEnvironment } from '../../tools/lib/reconcile/environment.js';
import { mnops, removeDir } from '../helpers/repo.js';
import { docker as cli, ensureImages, uniqueName } from '../promotion/world.js';
import { tearDown } from '../reconcile/fleet.js';
import { PLATFORM, SECRET_VAR, engineLeftovers, writeSecret, writeSecretsRepo, type SecretsEnv } from './world.js';

const id = uniqueName('sd');
const ENVS: SecretsEnv[] = [
  { name: `${id}d`, adapter: 'docker' },
  { name: `${id}s`, adapter: 'swarm' },
];
const SIGNING = `signing-${randomBytes(12).toString('hex')}`;
const TLS = `tls-${randomBytes(12).toString('hex')}`;
const engine = new Docker();
let root = '';

/** The running containers of the platform: docker's replicas, or swarm's task containers. */
async function workloadContainers(e: SecretsEnv): Promise<Docker.ContainerInspectInfo[]> {
  const label = e.adapter === 'docker' ? [`${LABELS.environment}=${e.name}`, `${LABELS.platform}=${PLATFORM}`] : [`com.docker.swarm.service.name=mnops-${e.name}-${PLATFORM}`];
  const listed = await engine.listContainers({ filters: { label, status: ['running'] } });
  return Promise.all(listed.map((c) => engine.getContainer(c.Id).inspect()));
}

function exec(container: string, script: string, user?: string): string {
  return cli('exec', ...(user ? ['--user', user] : []), container, 'sh', '-c', script);
}

/** The spec hash as it was computed before digests were keyed: what an offline guesser can recompute. */
function unkeyedSpecHash(d: DesiredWorkload): string {
  const sha = (v: string) => createHash('sha256').update(v).digest('hex');
  return sha(canonicalJson({ ...recordedSpec(d), secretDigests: d.secrets.map((s) => [s.name, sha(s.value)]) })).slice(0, 16);
}

async function desiredOf(e: SecretsEnv): Promise<DesiredWorkload> {
  const { ecosystem } = await loadEcosystem(root, { cacheDir: false });
  const provider = providerFor(ecosystem, e.name);
  const key = await provider.digestKey(e.name, { create: false });
  expect(key, 'apply stored the key on the engine').toBeDefined();
  const [d] = await desiredState(ecosystem, e.name, { env: { [SECRET_VAR]: SIGNING }, root, digestKey: () => Promise.resolve(key!) });
  return d!;
}

beforeAll(async () => {
  ensureImages();
  root = writeSecretsRepo(ENVS, TLS);
  vi.stubEnv(SECRET_VAR, SIGNING); // drift reads the runner's variables
  for (const e of ENVS) {
    const out = await applyEnvironment({ root, environment: e.name, actor: 'test', env: { [SECRET_VAR]: SIGNING }, healthTimeoutMs: 60_000 });
    expect(out.results.map((r) => `${r.platform} ${r.status} ${r.error ?? ''}`)).toEqual([`${PLATFORM} done `]);
  }
}, 240_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  if (!root) return;
  for (const e of ENVS) {
    await tearDown(root, e.name);
    expect(engineLeftovers(e.name), `${e.adapter} left something behind`).toEqual([]);
  }
  removeDir(root);
}, 180_000);

describe.each(ENVS)('secrets on $adapter', (e) => {
  it('the workload reads each secret from /run/secrets/<name>, 0400 and owned by its uid', async () => {
    const containers = await workloadContainers(e);
    expect(containers).toHaveLength(1);
    const c = containers[0]!.Id;
    expect(exec(c, 'ls /run/secrets').split('\n')).toEqual(['SIGNING_SECRET', 'TLS_KEY']);
    expect(exec(c, 'cat /run/secrets/SIGNING_SECRET')).toBe(SIGNING);
    expect(exec(c, 'cat /run/secrets/TLS_KEY')).toBe(TLS);
    expect(exec(c, 'stat -c "%u:%g %a" /run/secrets/SIGNING_SECRET /run/secrets/TLS_KEY').split('\n')).toEqual(['1000:1000 400', '1000:1000 400']);
    // 0400: another uid in the same container cannot read them; nor can anyone write them.
    expect(() => exec(c, 'cat /run/secrets/SIGNING_SECRET', '1001:1001')).toThrow(/Permission denied/);
    expect(() => exec(c, 'echo x > /run/secrets/SIGNING_SECRET')).toThrow(/Read-only file system|Permission denied/);
    expect(exec(c, 'env')).not.toContain(SIGNING);
  });

  it('no value in anything docker inspect shows: Env, Labels, Mounts, Config, the service, the volumes', async () => {
    const shown: unknown[] = [];
    for (const info of await workloadContainers(e)) shown.push(info, info.Config.Env, info.Config.Labels, info.Mounts);
    if (e.adapter === 'swarm') {
      for (const s of await engine.listServices({ filters: { label: [`${LABELS.environment}=${e.name}`] } })) shown.push(s);
      for (const s of await engine.listSecrets({ filters: { label: [`${LABELS.environment}=${e.name}`] } })) shown.push(await engine.getSecret(s.ID).inspect());
    }
    shown.push(await engine.listVolumes({ filters: { label: [`${LABELS.environment}=${e.name}`] } }));
    const text = JSON.stringify(shown);
    expect(text).toContain(PLATFORM);
    expect(text).not.toContain(SIGNING);
    expect(text).not.toContain(TLS);
  });

  it('the spec-hash label is keyed: not the unkeyed hash of the same material, another key gives another, stable across plans and processes', async () => {
    const [info] = await workloadContainers(e);
    const label = info!.Config.Labels[LABELS.specHash]; // a swarm task carries its service's identity labels
    const d = await desiredOf(e);
    expect(label).toBe(d.specHash);
    expect(label).not.toBe(unkeyedSpecHash(d));
    const unhashed: UnhashedWorkload = { ...d, secrets: d.secrets.map(({ digest: _d, ...s }) => s) };
    expect(hashWorkload(unhashed, randomBytes(32)).specHash).not.toBe(label);

    const first = await planEnvironment({ root, environment: e.name, env: { [SECRET_VAR]: SIGNING } });
    const second = await planEnvironment({ root, environment: e.name, env: { [SECRET_VAR]: SIGNING } });
    for (const p of [first, second]) expect(p.plan.actions.map((a) => [a.kind, 'desired' in a ? a.desired.specHash : ''])).toEqual([['noop', label]]);
    // Another process reads the same key from the engine: nothing to do.
    const cliPlan = await mnops(['plan', '--env', e.name, '--root', root], { env: { [SECRET_VAR]: SIGNING } });
    expect(cliPlan.status, cliPlan.stdout + cliPlan.stderr).toBe(0);
    expect(cliPlan.stdout + cliPlan.stderr).not.toContain(SIGNING);
  }, 120_000);

  it('a fresh apply shows no drift: drift compares the keyed digests recorded at delivery', async () => {
    const report = await detectDrift({ root, environments: [e.name], actor: 'test', record: false });
    const mine = report.environments.find((x) => x.environment === e.name);
    expect(mine?.error).toBeUndefined();
    expect(mine?.items).toEqual([]);
    expect(JSON.stringify(report)).not.toContain(SIGNING);
  }, 60_000);

  it('a rotated secret redeploys with the new value; the old rollout’s secrets go with it', async () => {
    const rotated = `${TLS}-rotated`;
    writeSecret(root, rotated);
    try {
      const planned = await planEnvironment({ root, environment: e.name, env: { [SECRET_VAR]: SIGNING } });
      expect(planned.plan.actions.map((a) => [a.kind, a.changes.map((c) => c.field)])).toEqual([['update', ['/secrets']]]);
      expect(JSON.stringify(planned.plan.actions[0]!.changes)).not.toContain(rotated);
      const out = await applyEnvironment({ root, environment: e.name, actor: 'test', env: { [SECRET_VAR]: SIGNING }, healthTimeoutMs: 60_000 });
      expect(out.results.map((r) => r.status)).toEqual(['done']);
      // The new rollout's replicas (swarm may still be stopping the old task).
      const hash = (planned.plan.actions[0] as { desired: DesiredWorkload }).desired.specHash;
      const containers = (await workloadContainers(e)).filter((c) => c.Config.Labels[LABELS.specHash] === hash);
      expect(containers.map((c) => exec(c.Id, 'cat /run/secrets/TLS_KEY'))).toEqual([rotated]);
      if (e.adapter === 'docker') {
        const { Volumes } = await engine.listVolumes({ filters: { label: [`${LABELS.environment}=${e.name}`, `${LABELS.platform}=${PLATFORM}`] } });
        expect((Volumes ?? []).map((v) => v.Name)).toEqual([containers[0]!.Mounts.find((m) => m.Destination === '/run/secrets')!.Name]);
      }
    } finally {
      writeSecret(root, TLS);
    }
  }, 120_000);
});
