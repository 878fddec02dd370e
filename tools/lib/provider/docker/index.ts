// The docker provider: one container per replica on the local Docker Engine, through
// dockerode. This file only wires the parts: the client (client.ts), the networks
// (networks.ts), the secret volumes and the digest key (secret-volume.ts), the rollout
// (rollout.ts) and what the engine runs (observe.ts, state.ts); the create body, the network
// plan and the unenforceable report are pure (container-spec.ts).
import type Docker from 'dockerode';
import { digestKeyName, environmentDigestKey } from '../../secrets/digest.js';
import { TeardownError } from '../errors.js';
import { LABELS, instancesOf, type ActualWorkload, type Provider } from '../types.js';
import { dockerClient } from './client.js';
import { unenforceable } from './container-spec.js';
import { dockerNetworks } from './networks.js';
import { dockerObserver } from './observe.js';
import { dockerRollout } from './rollout.js';
import { secretVolumes } from './secret-volume.js';

export { createBody, unenforceable, verifyApplied, planNetwork, networkNames, containerName, secretVolumeName } from './container-spec.js';

export interface DockerProviderOptions {
  /** A ready client (tests wrap one); otherwise one is made for `socketPath`. */
  docker?: Docker;
  /** Default: DOCKER_HOST, else /var/run/docker.sock. */
  socketPath?: string;
  /**
   * The project: its id is in every object's name and its `mnops.project` label on every
   * object, so this provider never sees or touches another project's (default '': the plain
   * `mnops-…` names of before projects, objects without the label).
   */
  project?: string;
  /** Extra labels on every container and network created (e.g. a CI or test run id). */
  labels?: Record<string, string>;
  /** Seconds a stop waits before SIGKILL (default 3). */
  stopTimeoutSeconds?: number;
  /** Health poll interval during a replacement (default 250 ms). */
  pollMs?: number;
  /**
   * Without a health check, how long a replica must have been running to count as up (default 1000 ms): a process that exits at once must not pass.
   */
  settleMs?: number;
  /** How long teardown keeps trying to remove a network the engine still counts endpoints on (default 60 s: the engine can take seconds to release a removed container's endpoint). */
  networkReleaseMs?: number;
}

export type DockerProvider = Provider;

export function createDockerProvider(options: DockerProviderOptions = {}): DockerProvider {
  const client = dockerClient(options);
  const volumes = secretVolumes(client);
  const networks = dockerNetworks(client);
  const { replace } = dockerRollout(client, networks, volumes);
  const { list, observe } = dockerObserver(client, volumes);

  return {
    name: 'docker',
    ping: async () => {
      await client.engine(() => client.docker.ping());
    },
    unenforceable,
    list,
    replace,
    observe,

    async remove(actual: ActualWorkload): Promise<void> {
      // Every container of the platform, found by its labels: also one started since the list.
      const mine = (await client.listEnvironment(actual.environment)).filter((c) => c.Labels[LABELS.platform] === actual.platform);
      const ids = new Set([...instancesOf(actual), ...mine.map((c) => c.Id)]);
      await Promise.all([...ids].map((id) => client.removeContainer(id, true)));
      await volumes.sweep(actual.environment, actual.platform);
    },

    digestKey(environment, { create }) {
      return environmentDigestKey(volumes.keyStore, environment, create, `the volume ${digestKeyName(environment, client.project)}`);
    },

    async teardown(environment: string): Promise<void> {
      const left: string[] = [];
      const containers = await client.listEnvironment(environment);
      const removed = await Promise.allSettled(containers.map((c) => client.removeContainer(c.Id, true)));
      removed.forEach((r, i) => {
        if (r.status === 'rejected') left.push(`container ${containers[i]!.Names[0]?.replace(/^\//, '') ?? containers[i]!.Id} (${(r.reason as Error).message})`);
      });
      left.push(...(await volumes.removeAll(environment)), ...(await networks.removeAll(environment)));
      if (left.length) throw new TeardownError(environment, left);
    },
  };
}
