// The swarm provider's secrets: one swarm secret per (platform, name, value), pruned once no
// service (nor the previous spec a rollback restores) refers to it; and the environment's
// digest key, kept in a swarm config.
import { digestKeyName, type DigestKeyStore } from '../../secrets/digest.js';
import { ProviderError, isUnreachable, statusOf } from '../errors.js';
import { LABELS, type DesiredWorkload } from '../types.js';
import type { SwarmClient } from './client.js';
import { secretName } from './service-spec.js';
import type Docker from 'dockerode';

export function swarmSecrets(client: SwarmClient) {
  const { docker, engine, engineError, managedFilter, owns } = client;
  const keyName = (environment: string) => digestKeyName(environment, client.project);
  /** The project's managed secrets of an environment (of one platform). */
  const listManaged = async (environment: string, platform?: string) =>
    (await engine('list secrets', () => docker.listSecrets({ filters: managedFilter(environment, platform) }))).filter((s) => owns(s.Spec?.Labels));
  const extraLabels = client.labels;

  /** One swarm secret per (platform, name, value); `from: swarm` refers to an existing one. */
  async function ensureSecrets(d: DesiredWorkload): Promise<Map<string, { id: string; name: string }>> {
    const out = new Map<string, { id: string; name: string }>();
    if (d.secrets.length === 0) return out;
    const listMine = () => listManaged(d.environment, d.platform);
    let mine = await listMine();
    for (const s of d.secrets) {
      if (s.from === 'swarm') {
        const found = await engine(`find swarm secret ${s.key}`, () => docker.listSecrets({ filters: { name: [s.key] } }));
        const hit = found.find((x) => x.Spec?.Name === s.key);
        if (!hit) throw new ProviderError(`secret ${s.name} of ${d.platform} refers to the swarm secret ${s.key}, which does not exist`, `create it: printf %s "$VALUE" | docker secret create ${s.key} -`);
        out.set(s.name, { id: hit.ID, name: s.key });
        continue;
      }
      const name = secretName(d, s, client.project);
      let hit = mine.find((x) => x.Spec?.Name === name);
      if (!hit) {
        try {
          // _query/_body keep the value out of the request line; the value is never logged.
          await docker.createSecret({
            _query: {},
            _body: {
              Name: name,
              Labels: { ...extraLabels, [LABELS.managed]: 'true', [LABELS.environment]: d.environment, [LABELS.platform]: d.platform, 'mnops.secret': s.name },
              Data: Buffer.from(s.value, 'utf8').toString('base64'),
            },
          });
        } catch (err) {
          // 409: created meanwhile with the same name, hence the same value.
          if (statusOf(err) !== 409) throw engineError(`create swarm secret ${name} for ${s.name}`, err);
        }
        mine = await listMine();
        hit = mine.find((x) => x.Spec?.Name === name);
        if (!hit) throw new ProviderError(`swarm secret ${name} was created but cannot be found`);
      }
      out.set(s.name, { id: hit.ID, name });
    }
    return out;
  }

  /**
   * Removes the platform's managed secrets no managed service of the environment refers to,
   * in its spec or its previous spec (which a swarm rollback restores).
   */
  async function pruneSecrets(environment: string, platform: string): Promise<void> {
    const secrets = await listManaged(environment, platform);
    if (secrets.length === 0) return;
    const services = await client.listServices(environment);
    const used = new Set<string>();
    for (const svc of services) {
      for (const spec of [svc.Spec, svc.PreviousSpec]) {
        const c = (spec?.TaskTemplate as Docker.ContainerTaskSpec | undefined)?.ContainerSpec;
        for (const ref of c?.Secrets ?? []) if (ref.SecretID) used.add(ref.SecretID);
      }
    }
    for (const s of secrets) {
      if (used.has(s.ID)) continue;
      try {
        await docker.getSecret(s.ID).remove();
      } catch (err) {
        // 404: gone already; 400/500 "in use": a concurrent rollout took it; both are fine.
        if (isUnreachable(err)) throw engineError('remove secret', err);
      }
    }
  }

  /**
   * The digest key lives in a Swarm config: cluster-wide, so every manager answers the same
   * key, and readable through the API only by those who could read the secrets anyway.
   */
  async function findKeyConfig(environment: string): Promise<Docker.ConfigInfo | undefined> {
    const name = keyName(environment);
    const found = await engine(`list configs named ${name}`, () => docker.listConfigs({ filters: { name: [name] } }));
    return found.find((c) => c.Spec?.Name === name);
  }

  const keyStore: DigestKeyStore = {
    async read(environment) {
      const hit = await findKeyConfig(environment);
      if (!hit) return undefined;
      const config = await engine(`read config ${keyName(environment)}`, () => docker.getConfig(hit.ID).inspect());
      const data = config.Spec?.Data;
      return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
    },
    async create(environment, key) {
      try {
        await docker.createConfig({
          Name: keyName(environment),
          Labels: { ...extraLabels, [LABELS.managed]: 'true', [LABELS.environment]: environment },
          Data: Buffer.from(key, 'utf8').toString('base64'),
        });
      } catch (err) {
        // 409: another run created it first; its key is the one read back.
        if (statusOf(err) !== 409) throw engineError(`create config ${keyName(environment)}`, err);
      }
    },
  };

  async function removeDigestKey(environment: string): Promise<void> {
    const hit = await findKeyConfig(environment);
    if (!hit) return;
    try {
      await docker.getConfig(hit.ID).remove();
    } catch (err) {
      if (statusOf(err) !== 404) throw engineError(`remove config ${keyName(environment)}`, err);
    }
  }

  /** Teardown: every managed secret of the environment and its digest key; returns what it could not remove. */
  async function removeAll(environment: string): Promise<string[]> {
    const left: string[] = [];
    const found = await listManaged(environment);
    for (const s of found) {
      try {
        await docker.getSecret(s.ID).remove();
      } catch (err) {
        if (statusOf(err) !== 404) left.push(`secret ${s.Spec?.Name ?? s.ID} (${engineError('remove secret', err).message})`);
      }
    }
    try {
      await removeDigestKey(environment);
    } catch (err) {
      left.push(`config ${keyName(environment)} (${(err as Error).message})`);
    }
    return left;
  }

  return { ensureSecrets, pruneSecrets, keyStore, removeAll };
}
