// The docker provider's networks: per environment a routed bridge and an internal one,
// created once however many platforms ask at the same time, removed by teardown.
import { networkHolders, removeNetworkOnceFree } from '../engine.js';
import { ProviderError, engineMessage, statusOf } from '../errors.js';
import { nameTakenError, otherOwner } from '../project.js';
import { LABELS } from '../types.js';
import type { DockerClient } from './client.js';
import { networkNames, type NetworkAttachment } from './container-spec.js';

export interface DockerNetworks {
  /** Creates the network if missing; refuses one of the same name with the wrong `Internal`. */
  ensure(environment: string, net: NetworkAttachment): Promise<void>;
  /** Forgets what is known of these networks (removed behind our back). */
  forget(names: readonly string[]): void;
  /** Removes the environment's managed networks; returns what could not be removed, and why. */
  removeAll(environment: string): Promise<string[]>;
}

export function dockerNetworks(client: DockerClient): DockerNetworks {
  const { docker, engine } = client;
  /** Ensures in flight or done, so parallel platforms of one environment create a network once. */
  const known = new Map<string, Promise<void>>();

  async function create(environment: string, net: NetworkAttachment): Promise<void> {
    const find = async () => (await engine(() => docker.listNetworks({ filters: { name: [net.name] } }))).find((n) => n.Name === net.name);
    let found = await find();
    if (!found) {
      try {
        await engine(() =>
          docker.createNetwork({
            Name: net.name,
            Driver: 'bridge',
            Internal: net.internal,
            CheckDuplicate: true,
            Labels: { ...client.labels, [LABELS.managed]: 'true', [LABELS.environment]: environment },
          }),
        );
        return;
      } catch (err) {
        if (statusOf(err) !== 409) throw err; // 409: created meanwhile by someone else
        found = await find();
      }
    }
    const owner = otherOwner(client.project, environment, found?.Labels);
    if (owner) throw nameTakenError(`network ${net.name}`, owner);
    if (found && found.Internal !== net.internal) {
      throw new ProviderError(
        `network ${net.name} exists with internal=${found.Internal}, but the policy needs internal=${net.internal}`,
        `remove it (docker network rm ${net.name}) and apply again`,
      );
    }
  }

  return {
    ensure(environment, net) {
      const pending = known.get(net.name);
      if (pending) return pending;
      const created = create(environment, net);
      known.set(net.name, created);
      created.catch(() => known.delete(net.name));
      return created;
    },
    forget(names) {
      for (const n of names) known.delete(n);
    },
    async removeAll(environment) {
      const listed = await engine(() => docker.listNetworks({ filters: { label: client.scoped([`${LABELS.managed}=true`, `${LABELS.environment}=${environment}`]) } }));
      const nets = listed.filter((n) => client.owns(n.Labels));
      const left: string[] = [];
      for (const n of nets) {
        known.delete(n.Name);
        const last = await removeNetworkOnceFree(() => engine(() => docker.getNetwork(n.Id).remove()), client.pollMs, client.networkReleaseMs);
        if (last !== undefined) left.push(`network ${n.Name} (${engineMessage(last)}; ${await networkHolders(() => docker.getNetwork(n.Id).inspect())})`);
      }
      const names = networkNames(environment, client.project);
      known.delete(names.egress);
      known.delete(names.internal);
      return left;
    },
  };
}
