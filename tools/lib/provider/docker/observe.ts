// What the docker engine runs for an environment: the workloads (one labelled list call, an
// inspect only for a container whose health the list cannot tell) and, for drift, every
// container inspected with the defaults its image gives.
import pLimit from 'p-limit';
import { EngineUnreachableError, statusOf } from '../errors.js';
import { LABELS, type ActualWorkload, type DesiredWorkload } from '../types.js';
import { countReplicas, type DriftObservation, type ObservedInstance } from '../view.js';
import type { DockerClient } from './client.js';
import type { SecretVolumes } from './secret-volume.js';
import { groupContainers, healthFromInspect, healthFromList, type ReplicaHealth } from './state.js';
import { NO_IMAGE_DEFAULTS, actualContainerView, desiredContainerView, imageDefaults, replicaOf, type ImageDefaults } from './view.js';

export function dockerObserver(client: DockerClient, volumes: SecretVolumes) {
  const { docker, engine } = client;

  async function list(environment: string): Promise<ActualWorkload[]> {
    const containers = await client.listEnvironment(environment);
    const health = new Map<string, ReplicaHealth>();
    await Promise.all(
      containers.map(async (c) => {
        const h = healthFromList(c.State, c.Status) ?? healthFromInspect(await engine(() => docker.getContainer(c.Id).inspect()));
        health.set(c.Id, h);
      }),
    );
    return groupContainers(environment, containers, health);
  }

  /**
   * Drift: one list call finds the environment's containers; the limits, hardening and
   * networks are not in the list, so each container is inspected (in parallel), and each
   * distinct image once, for the defaults it gives a container.
   */
  async function observe(environment: string, desired: DesiredWorkload[]): Promise<DriftObservation> {
    let calls = 0;
    const call = <T>(f: () => Promise<T>) => {
      calls++;
      return engine(f);
    };
    const limit = pLimit(32);
    const images = new Map<string, Promise<ImageDefaults>>();
    const defaultsOf = (ref: string) => {
      let p = images.get(ref);
      if (!p) {
        p = limit(() => call(() => docker.getImage(ref).inspect()))
          .then(imageDefaults)
          .catch((err: unknown) => {
            if (err instanceof EngineUnreachableError) throw err;
            return NO_IMAGE_DEFAULTS; // not on the engine: nothing to normalise
          });
        images.set(ref, p);
      }
      return p;
    };
    const [listed, secretLabels] = await Promise.all([call(() => client.listEnvironment(environment)), call(() => volumes.labelsOf(environment))]);
    const byPlatform = new Map(desired.map((d) => [d.platform, d]));
    const inspected = await Promise.all(
      listed.map((c) =>
        limit(() => call(() => docker.getContainer(c.Id).inspect())).catch((err: unknown) => {
          if (statusOf(err) === 404) return undefined; // removed since the list
          throw err;
        }),
      ),
    );
    const instances: ObservedInstance[] = [];
    for (const info of inspected) {
      if (!info) continue;
      const platform = info.Config.Labels?.[LABELS.platform] ?? '';
      instances.push({
        name: info.Name.replace(/^\//, ''),
        platform,
        replica: replicaOf(info.Config.Labels),
        state: info.State.Status,
        health: healthFromInspect(info),
        view: actualContainerView(info, await defaultsOf(info.Config.Image), byPlatform.get(platform), secretLabels),
      });
    }
    const desiredViews = new Map<string, ReturnType<typeof desiredContainerView>[]>();
    for (const d of desired) {
      const defaults = await defaultsOf(d.image);
      desiredViews.set(
        d.platform,
        Array.from({ length: Math.max(1, d.replicas) }, (_, i) => desiredContainerView(d, i, defaults, client.labels, client.project)),
      );
    }
    instances.sort((a, b) => a.platform.localeCompare(b.platform) || a.replica - b.replica || a.name.localeCompare(b.name));
    return { desired: desiredViews, instances, replicas: countReplicas(instances), calls };
  }

  return { list, observe };
}
