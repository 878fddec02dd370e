// How the docker provider delivers secrets as files, and where it keeps the digest key.
//
// Secrets: one named volume per rollout of a workload (its spec hash), labelled as ours, filled
// through the archive endpoint of a helper container that is created with the volume mounted
// and never started, then mounted read-only at /run/secrets in every replica. Why this way:
// - the archive endpoint writes into a named volume of a created container (not into a tmpfs,
//   which exists only while a container runs, nor through a read-only root), so the replicas
//   can keep a read-only root and need nothing started to receive their files;
// - it goes through the Engine API alone, so it works as well on a remote engine (DOCKER_HOST
//   tcp://…) as on the local socket, where a host bind mount would not;
// - the tar headers give each file its owner and mode 0400 exactly as Swarm does
//   (secret-files.ts), and no value appears in Env, labels, the image or `docker inspect`.
// The volume is removed with the replicas that mount it (the engine refuses to remove one a
// container still mounts, which guards every sweep), and by teardown.
//
// Key: a volume `mnops[-<project>]-key-<env>` whose label holds the key, read with one inspect.
import type Docker from 'dockerode';
import { canonicalJson } from '../../json/canonical.js';
import { digestKeyName, type DigestKeyStore } from '../../secrets/digest.js';
import { statusOf } from '../errors.js';
import { SECRET_FILE_MODE, SECRETS_DIR, type FileOwner } from '../secret-files.js';
import { LABELS, type DesiredWorkload } from '../types.js';
import { DOCKER_LABELS, deliveredSecrets } from './container-spec.js';
import type { DockerClient } from './client.js';
import { tarOf } from './tar.js';
import { secretDigests } from './view.js';

const ROLE = { secrets: 'secrets', loader: 'secrets-loader', key: 'digest-key' } as const;

export interface SecretVolumes {
  /** Creates and fills the volume of a rollout. */
  deliver(d: DesiredWorkload, volume: string, owner: FileOwner): Promise<void>;
  /** Removes one volume (gone or still mounted: left alone). */
  remove(volume: string): Promise<void>;
  /** Removes the platform's secret volumes no container mounts, except `keep`. */
  sweep(environment: string, platform: string, keep?: string): Promise<void>;
  /** Label sets of the environment's secret volumes, by name (drift reads their digests). */
  labelsOf(environment: string): Promise<Map<string, Record<string, string>>>;
  /** Teardown: helpers, every secret volume and the key of the environment; returns what is still there. */
  removeAll(environment: string): Promise<string[]>;
  keyStore: DigestKeyStore;
}

export function secretVolumes(client: DockerClient): SecretVolumes {
  const { docker, engine, labels: extraLabels } = client;
  const envLabels = (environment: string, role: string) => ({ ...extraLabels, [LABELS.managed]: 'true', [LABELS.environment]: environment, [DOCKER_LABELS.role]: role });
  const filter = (environment: string, role: string, platform?: string) => ({
    label: client.scoped([`${LABELS.managed}=true`, `${LABELS.environment}=${environment}`, `${DOCKER_LABELS.role}=${role}`, ...(platform ? [`${LABELS.platform}=${platform}`] : [])]),
  });
  const keyName = (environment: string) => digestKeyName(environment, client.project);

  async function remove(volume: string): Promise<void> {
    await engine(() => docker.getVolume(volume).remove()).catch((err: unknown) => {
      // 404: gone; 409: still mounted by a container (removed with it later).
      if (statusOf(err) !== 404 && statusOf(err) !== 409) throw err;
    });
  }

  async function listVolumes(f: { label: string[] }): Promise<Docker.VolumeInspectInfo[]> {
    return ((await engine(() => docker.listVolumes({ filters: f }))).Volumes ?? []).filter((v) => client.owns(v.Labels));
  }

  return {
    async deliver(d, volume, owner) {
      const secrets = deliveredSecrets(d);
      await engine(() =>
        docker.createVolume({
          Name: volume,
          Labels: { ...envLabels(d.environment, ROLE.secrets), [LABELS.platform]: d.platform, [LABELS.specHash]: d.specHash, [LABELS.secrets]: canonicalJson(secretDigests(secrets)) },
        }),
      );
      const archive = tarOf(secrets.map((s) => ({ name: s.name, data: Buffer.from(s.value, 'utf8'), uid: owner.uid, gid: owner.gid, mode: SECRET_FILE_MODE })));
      // Never started: it exists only so that the archive endpoint can write into the volume.
      const loader = await engine(() =>
        docker.createContainer({
          Image: d.image,
          Cmd: ['true'],
          Labels: { ...extraLabels, [LABELS.environment]: d.environment, [LABELS.platform]: d.platform, [DOCKER_LABELS.role]: ROLE.loader },
          HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: SECRETS_DIR, VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'] }] },
        }),
      );
      try {
        await engine(() => loader.putArchive(archive, { path: SECRETS_DIR }));
      } finally {
        archive.fill(0);
        await client.removeContainer(loader.id, false);
      }
    },

    remove,

    async sweep(environment, platform, keep) {
      for (const v of await listVolumes(filter(environment, ROLE.secrets, platform))) if (v.Name !== keep) await remove(v.Name);
    },

    async labelsOf(environment) {
      return new Map((await listVolumes(filter(environment, ROLE.secrets))).map((v) => [v.Name, v.Labels ?? {}]));
    },

    async removeAll(environment) {
      const loaders = await engine(() =>
        docker.listContainers({ all: true, filters: { label: client.scoped([`${LABELS.environment}=${environment}`, `${DOCKER_LABELS.role}=${ROLE.loader}`]) } }),
      ).then((found) => found.filter((c) => client.owns(c.Labels)));
      await Promise.all(loaders.map((c) => client.removeContainer(c.Id, false)));
      for (const v of await listVolumes(filter(environment, ROLE.secrets))) await remove(v.Name);
      await remove(keyName(environment));
      // remove() leaves a volume a container still mounts: teardown says so.
      const left = [...(await listVolumes(filter(environment, ROLE.secrets))), ...(await listVolumes(filter(environment, ROLE.key)))];
      return left.map((v) => `volume ${v.Name} (still mounted by a container)`);
    },

    keyStore: {
      async read(environment) {
        try {
          const v = await engine(() => docker.getVolume(keyName(environment)).inspect());
          return v.Labels?.[DOCKER_LABELS.digestKey];
        } catch (err) {
          if (statusOf(err) === 404) return undefined;
          throw err;
        }
      },
      async create(environment, key) {
        // Creating an existing volume returns it unchanged: the first key stored stays.
        await engine(() => docker.createVolume({ Name: keyName(environment), Labels: { ...envLabels(environment, ROLE.key), [DOCKER_LABELS.digestKey]: key } }));
      },
    },
  };
}
