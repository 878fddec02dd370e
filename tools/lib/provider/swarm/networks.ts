// The swarm provider's overlay networks: created once however many platforms ask at the same
// time, refused when one of the same name is not what the policy needs, removed once the
// endpoints of stopped tasks are gone.
import { networkHolders, removeNetworkOnceFree, sleep } from '../engine.js';
import { ProviderError, statusOf, engineMessage } from '../errors.js';
import { nameTakenError, otherOwner } from '../project.js';
import { LABELS, type DesiredWorkload } from '../types.js';
import type { SwarmClient } from './client.js';
import { planNetwork, type SwarmNetwork } from './service-spec.js';

export function swarmNetworks(client: SwarmClient) {
  const { docker, engine, engineError, pollMs, networkReleaseMs } = client;
  const extraLabels = client.labels;
  /** Network ensures in flight, so parallel platforms of one environment create it once. */
  const networks = new Map<string, Promise<string>>();

  async function ensureNetwork(environment: string, net: SwarmNetwork): Promise<string> {
    const find = async () => {
      const found = await engine(`list networks named ${net.name}`, () => docker.listNetworks({ filters: { name: [net.name] } }));
      return found.find((n) => n.Name === net.name);
    };
    let existing = await find();
    if (!existing) {
      try {
        await docker.createNetwork({
          Name: net.name,
          Driver: 'overlay',
          Attachable: true,
          Internal: net.internal,
          CheckDuplicate: true,
          Labels: {
            ...extraLabels,
            [LABELS.managed]: 'true',
            [LABELS.environment]: environment,
            ...(net.platform ? { [LABELS.platform]: net.platform } : {}),
          },
        });
      } catch (err) {
        if (statusOf(err) !== 409) throw engineError(`create network ${net.name}`, err);
      }
      existing = await find();
      if (!existing) throw new ProviderError(`network ${net.name} was created but cannot be found`);
    }
    const owner = otherOwner(client.project, environment, existing.Labels);
    if (owner) throw nameTakenError(`network ${net.name}`, owner);
    // A just-created overlay lists with an empty Driver until the manager allocated it.
    if ((existing.Driver && existing.Driver !== 'overlay') || existing.Scope !== 'swarm') {
      throw new ProviderError(`network ${net.name} exists as a ${existing.Scope} ${existing.Driver} network, not a swarm overlay`, `remove it (docker network rm ${net.name}) or deploy this environment with the docker provider`);
    }
    if (existing.Internal !== net.internal) {
      throw new ProviderError(`network ${net.name} exists but is ${existing.Internal ? '' : 'not '}internal`, `remove it (docker network rm ${net.name}); apply creates it again`);
    }
    return existing.Id;
  }

  async function ensureNetworks(d: DesiredWorkload): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const net of planNetwork(d, client.project).networks) {
      let pending = networks.get(net.name);
      if (!pending) {
        pending = ensureNetwork(d.environment, net);
        networks.set(net.name, pending);
        // Forget it once settled: a later apply checks again (the network may have been removed).
        pending.then(
          () => networks.delete(net.name),
          () => networks.delete(net.name),
        );
      }
      ids.set(net.name, await pending);
    }
    return ids;
  }

  /** Removes the managed networks matching `filter` (the environment's, or a platform's
   * private one), once the endpoints of stopped tasks are gone; returns what it could not remove. */
  async function removeNetworks(filter: { label: string[] }): Promise<string[]> {
    const found = (await engine('list networks', () => docker.listNetworks({ filters: filter }))).filter((n) => client.owns(n.Labels));
    const left: string[] = [];
    for (const n of found) {
      let last: unknown;
      try {
        last = await removeNetworkOnceFree(() => docker.getNetwork(n.Id).remove(), pollMs, networkReleaseMs);
      } catch (err) {
        throw engineError('remove network', err);
      }
      if (last !== undefined) left.push(`network ${n.Name} (${engineMessage(last)}; ${await networkHolders(() => docker.getNetwork(n.Id).inspect())})`);
    }
    // The manager removes an overlay after answering: until it has, the network still lists
    // and an apply right after would attach a service to it and fail. Removed means gone.
    const removed = found.filter((n) => !left.some((l) => l.startsWith(`network ${n.Name} (`)));
    for (let attempt = 0; removed.length > 0; attempt++) {
      const still = await engine('list networks', () => docker.listNetworks({ filters: { id: removed.map((n) => n.Id) } }));
      const ids = new Set(still.map((n) => n.Id));
      if (!removed.some((n) => ids.has(n.Id))) break;
      if (attempt === 20) {
        for (const n of removed.filter((r) => ids.has(r.Id))) left.push(`network ${n.Name} (removed, but the engine still lists it)`);
        break;
      }
      await sleep(pollMs);
    }
    return left;
  }

  return { ensureNetworks, removeNetworks };
}
