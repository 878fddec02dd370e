// Two projects on the setup's one-node swarm, one environment name: each runs its service with
// its secret, networks and digest key; neither lists nor observes the other's; tearing one
// down leaves every object of the other in place; a service of another project that happens to
// have the same name is refused, never taken over.
import { createHash, randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { createSwarmProvider } from '../../tools/lib/provider/swarm/index.js';
import type { DesiredWorkload } from '../../tools/lib/provider/types.js';
import { keyedDigest } from '../../tools/lib/secrets/digest.js';

const RUN = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const ENV = `sp${RUN}`;
const P1 = `p1-${RUN}`;
const P2 = `p2-${RUN}`;
const docker = new Docker();
const labels = { 'mnops.test': RUN };
const settings = { docker, labels, monitorSeconds: 1, stopGraceSeconds: 1, pollMs: 250 };
const providers = { [P1]: createSwarmProvider({ ...settings, project: P1 }), [P2]: createSwarmProvider({ ...settings, project: P2 }) };

function webOf(project: string): DesiredWorkload {
  const value = `secret-of-${project}`;
  const w: Omit<DesiredWorkload, 'specHash'> = {
    platform: 'web',
    environment: ENV,
    version: '1.0.0',
    image: 'mnops/base:busybox',
    command: ['sh', '-c', 'trap "exit 0" TERM; httpd -f -p 8080 -h /srv/www & wait'],
    env: {},
    secrets: [{ name: 'API_TOKEN', from: 'env', key: 'APP_API_TOKEN', value, digest: keyedDigest(randomBytes(32), [ENV, 'web', value]) }],
    resources: {},
    network: { policy: 'egress-only' },
    sandbox: {},
    healthCheck: { command: ['wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/health'], intervalSeconds: 1, timeoutSeconds: 2, retries: 2, startPeriodSeconds: 0 },
    replicas: 1,
    ports: [],
    dependsOn: [],
  };
  return { ...w, specHash: createHash('sha256').update(JSON.stringify(w)).digest('hex').slice(0, 16) };
}

const desired = new Map([P1, P2].map((p) => [p, webOf(p)]));
const web = (project: string) => desired.get(project)!;

/** Names of the project's services, networks, secrets and configs, by the project's label. */
async function objectsOf(project: string): Promise<Record<string, string[]>> {
  const filters = { label: [`mnops.project=${project}`] };
  const [services, networks, secrets, configs] = await Promise.all([
    docker.listServices({ filters }),
    docker.listNetworks({ filters }),
    docker.listSecrets({ filters }),
    docker.listConfigs({ filters }),
  ]);
  const names = (xs: { Spec?: { Name?: string }; Name?: string }[]) => xs.map((x) => x.Spec?.Name ?? x.Name ?? '').sort();
  return { services: names(services), networks: names(networks), secrets: names(secrets).map((s) => s.replace(/-[0-9a-f]{8}$/, '')), configs: names(configs) };
}

afterAll(async () => {
  for (const p of Object.values(providers)) await p.teardown(ENV).catch(() => undefined);
  const filters = { label: [`mnops.test=${RUN}`] };
  for (const s of await docker.listServices({ filters })) await docker.getService(s.ID).remove().catch(() => undefined);
  for (const s of await docker.listSecrets({ filters })) await docker.getSecret(s.ID).remove().catch(() => undefined);
  for (const c of await docker.listConfigs({ filters })) await docker.getConfig(c.ID).remove().catch(() => undefined);
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
}, 120_000);

describe('swarm projects', () => {
  it('run side by side in one environment; tearing one down leaves the other', async () => {
    for (const [project, provider] of Object.entries(providers)) {
      await provider.digestKey(ENV, { create: true });
      await provider.replace(web(project), undefined, 60_000);
    }
    for (const project of [P1, P2]) {
      expect(await objectsOf(project)).toEqual({
        services: [`mnops-${project}-${ENV}-web`],
        networks: [`mnops-${project}-${ENV}`, `mnops-${project}-${ENV}-internal`],
        secrets: [`mnops-${project}-${ENV}-web-API_TOKEN`],
        configs: [`mnops-${project}-key-${ENV}`],
      });
      const listed = await providers[project]!.list(ENV);
      expect(listed.map((w) => [w.platform, w.specHash, w.healthy])).toEqual([['web', web(project).specHash, true]]);
      const seen = await providers[project]!.observe(ENV, [web(project)]);
      expect(seen.instances.map((i) => i.name)).toEqual([`mnops-${project}-${ENV}-web`]);
    }

    // Names can meet across projects (project p1-x, env y and no project, env p1-x-y): the
    // service of the other project is refused by name, never updated.
    const unnamed = createSwarmProvider(settings);
    const clash = { ...web(P1), environment: `${P1}-${ENV}` };
    await expect(unnamed.replace(clash, undefined, 30_000)).rejects.toThrow(`a service named mnops-${P1}-${ENV}-web belongs to project ${P1}, not to the unnamed project`);
    // Another platform there has a service name of its own, but the networks' names are P1's.
    const api = { ...clash, platform: 'api', secrets: [] };
    await expect(unnamed.replace(api, undefined, 30_000)).rejects.toThrow(`network mnops-${P1}-${ENV} belongs to project ${P1}, environment ${ENV}: the name is taken`);
    await unnamed.teardown(clash.environment);
    expect((await providers[P1]!.list(ENV)).map((w) => w.healthy)).toEqual([true]);

    await providers[P1]!.teardown(ENV);
    expect(await objectsOf(P1)).toEqual({ services: [], networks: [], secrets: [], configs: [] });
    expect(await objectsOf(P2)).toEqual({
      services: [`mnops-${P2}-${ENV}-web`],
      networks: [`mnops-${P2}-${ENV}`, `mnops-${P2}-${ENV}-internal`],
      secrets: [`mnops-${P2}-${ENV}-web-API_TOKEN`],
      configs: [`mnops-${P2}-key-${ENV}`],
    });
    expect((await providers[P2]!.list(ENV)).map((w) => w.healthy)).toEqual([true]);
  }, 240_000);
});
