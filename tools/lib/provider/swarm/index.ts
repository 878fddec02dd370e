// The swarm provider: one Docker Swarm service per platform per environment, through
// dockerode. This file only wires the parts: the client and the services (client.ts), the
// overlay networks (networks.ts), the secrets and the digest key (secrets.ts), the rollout
// (rollout.ts) and what swarm runs (observe.ts); the service spec, the network plan and the
// unenforceable report are pure (service-spec.ts).
import { digestKeyName, environmentDigestKey } from '../../secrets/digest.js';
import { ProviderError, TeardownError } from '../errors.js';
import type { Provider } from '../types.js';
import { swarmClient, type SwarmSettings } from './client.js';
import { swarmNetworks } from './networks.js';
import { swarmObserver } from './observe.js';
import { swarmRollout } from './rollout.js';
import { swarmSecrets } from './secrets.js';
import { serviceName, unenforceable } from './service-spec.js';

export { buildServiceSpec, healthOf, networkNames, planNetwork, secretName, serviceName, unenforceable, verifyApplied } from './service-spec.js';
export { SwarmConflictError, updateService } from './rollout.js';

export type { SwarmSettings as SwarmProviderOptions } from './client.js';

export type SwarmProvider = Provider;

export function createSwarmProvider(options: SwarmSettings = {}): SwarmProvider {
  const client = swarmClient(options);
  const networks = swarmNetworks(client);
  const secrets = swarmSecrets(client);
  const { replace, resolveImage } = swarmRollout(client, networks, secrets);
  const { list, observe } = swarmObserver(client, resolveImage);

  return {
    name: 'swarm',

    async ping() {
      await client.engine('ping the engine', () => client.docker.ping());
      const info = (await client.engine('read the engine info', () => client.docker.info())) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
      const state = info.Swarm?.LocalNodeState ?? 'inactive';
      if (state !== 'active') {
        throw new ProviderError(`the Docker engine at ${client.endpoint} is not part of a swarm (state ${state})`, 'run docker swarm init --advertise-addr 127.0.0.1 (npm run setup does)');
      }
      if (!info.Swarm?.ControlAvailable) {
        throw new ProviderError(`the Docker engine at ${client.endpoint} is a swarm worker: services are managed through a manager`, 'point DOCKER_HOST at a manager node');
      }
    },

    unenforceable,
    list,
    replace,
    observe,

    async remove(actual) {
      const svc = (await client.inspectService(actual.id)) ?? (await client.findService(serviceName(actual.environment, actual.platform, client.project)));
      if (svc) await client.removeService(svc.ID);
      await secrets.pruneSecrets(actual.environment, actual.platform);
      const left = await networks.removeNetworks(client.managedFilter(actual.environment, actual.platform));
      if (left.length) throw new ProviderError(`${actual.platform} was removed from ${actual.environment}, but not its ${left.join('; ')}`, 'remove it by hand (docker network rm), or run teardown');
    },

    async teardown(environment) {
      const left: string[] = [];
      const services = await client.listServices(environment);
      const removed = await Promise.allSettled(services.map((s) => client.removeService(s.ID)));
      removed.forEach((r, i) => {
        if (r.status === 'rejected') left.push(`service ${services[i]!.Spec?.Name ?? services[i]!.ID} (${(r.reason as Error).message})`);
      });
      left.push(...(await secrets.removeAll(environment)), ...(await networks.removeNetworks(client.managedFilter(environment))));
      if (left.length) throw new TeardownError(environment, left);
    },

    digestKey(environment, { create }) {
      return environmentDigestKey(secrets.keyStore, environment, create, `the swarm config ${digestKeyName(environment, client.project)}`);
    },
  };
}
