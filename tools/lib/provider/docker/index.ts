// The docker provider: one container per replica on the local Docker Engine,
// through dockerode. Actual state is one labelled list call per environment; every create is
// inspected and compared with what was asked; a replacement starts the new replicas beside
// the old, waits for health, then retires the old, and on failure leaves the old serving.
import Docker from 'dockerode';
import { recordedSpec } from '../labels.js';
import { redact } from '../../secrets/index.js';
import { EngineUnreachableError, ProviderError, engineMessage, isUnreachable, statusOf } from '../errors.js';
import { LABELS, type ActualWorkload, type DesiredWorkload, type Provider, type Unenforceable } from '../types.js';
import { RESTART_POLICY, createBody, deliveredSecrets, networkNames, planNetwork, secretVolumeName, shortHash, unenforceable, verifyApplied, type NetworkAttachment } from './container-spec.js';
import { secretVolumes } from './secret-volume.js';
import { secretFileOwner } from '../secret-files.js';
import { digestKeyName, environmentDigestKey } from '../../secrets/digest.js';
import { groupContainers, healthFromInspect, healthFromList, type ReplicaHealth } from './state.js';
import { NO_IMAGE_DEFAULTS, actualContainerView, desiredContainerView, imageDefaults, replicaOf, type ImageDefaults } from './view.js';
import { countReplicas, type DriftObservation, type ObservedInstance } from '../view.js';
import pLimit from 'p-limit';

export { createBody, unenforceable, verifyApplied, planNetwork, networkNames, containerName, secretVolumeName } from './container-spec.js';

export interface DockerProviderOptions {
  /** A ready client (tests wrap one); otherwise one is made for `socketPath`. */
  docker?: Docker;
  /** Default: DOCKER_HOST, else /var/run/docker.sock. */
  socketPath?: string;
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
}

export interface DockerProvider extends Provider {
  /** Removes every managed container, secret volume, network and the digest key of an environment (tear-down). */
  teardown(environment: string): Promise<void>;
}

/** A network the provider remembered is gone: recreate it and retry once. */
class NetworkGone extends ProviderError {}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createDockerProvider(options: DockerProviderOptions = {}): DockerProvider {
  const docker = options.docker ?? new Docker(options.socketPath ? { socketPath: options.socketPath } : undefined);
  const extraLabels = options.labels ?? {};
  const stopTimeout = options.stopTimeoutSeconds ?? 3;
  const pollMs = options.pollMs ?? 250;
  const settleMs = options.settleMs ?? 1000;
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number | string };
  const endpoint = options.socketPath ?? modem.socketPath ?? (modem.host ? `${modem.host}:${modem.port ?? ''}` : '/var/run/docker.sock');
  const networks = new Map<string, Promise<void>>();

  /** Every engine call goes through here: a dead endpoint becomes EngineUnreachableError. */
  async function engine<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (isUnreachable(err)) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new EngineUnreachableError(
          code === 'EACCES'
            ? `the Docker engine at ${endpoint} refuses this user (permission denied) — run as root or join the docker group`
            : `the Docker engine at ${endpoint} does not answer — start dockerd or run npm run setup`,
        );
      }
      throw err;
    }
  }

  const volumes = secretVolumes(docker, engine, extraLabels);

  /** The user an image runs as (it owns the secret files when the workload declares none). */
  async function imageUser(ref: string): Promise<string> {
    try {
      return ((await engine(() => docker.getImage(ref).inspect())).Config?.User as string | undefined) ?? '';
    } catch (err) {
      if (statusOf(err) === 404) throw new ProviderError(`image ${ref} is not on the engine (no registry is reachable, nothing is pulled)`, 'build or tag the image locally (docker tag / docker import)');
      throw err;
    }
  }

  async function listEnvironment(environment: string): Promise<Docker.ContainerInfo[]> {
    return engine(() =>
      docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.environment}=${environment}`] } }),
    );
  }

  async function ensureNetwork(environment: string, net: NetworkAttachment): Promise<void> {
    const pending = networks.get(net.name);
    if (pending) return pending;
    const created = (async () => {
      const find = async () =>
        (await engine(() => docker.listNetworks({ filters: { name: [net.name] } }))).find((n) => n.Name === net.name);
      let found = await find();
      if (!found) {
        try {
          await engine(() =>
            docker.createNetwork({
              Name: net.name,
              Driver: 'bridge',
              Internal: net.internal,
              CheckDuplicate: true,
              Labels: { ...extraLabels, [LABELS.managed]: 'true', [LABELS.environment]: environment },
            }),
          );
          return;
        } catch (err) {
          if (statusOf(err) !== 409) throw err; // 409: created meanwhile by someone else
          found = await find();
        }
      }
      if (found && found.Internal !== net.internal) {
        throw new ProviderError(
          `network ${net.name} exists with internal=${found.Internal}, but the policy needs internal=${net.internal}`,
          `remove it (docker network rm ${net.name}) and apply again`,
        );
      }
    })();
    networks.set(net.name, created);
    created.catch(() => networks.delete(net.name));
    return created;
  }

  async function removeContainer(id: string, stopFirst: boolean): Promise<void> {
    const c = docker.getContainer(id);
    try {
      if (stopFirst) await engine(() => c.stop({ t: stopTimeout }));
    } catch (err) {
      if (err instanceof EngineUnreachableError) throw err;
      // 304: already stopped; 404: already gone. Anything else: the forced remove decides.
    }
    try {
      await engine(() => c.remove({ force: true, v: true }));
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
  }

  /** Creates, connects, starts and verifies one replica; on any failure it is removed. */
  async function startReplica(d: DesiredWorkload, replica: number, generation: string | undefined): Promise<string> {
    try {
      return await createAndStart(d, replica, generation);
    } catch (err) {
      // A network removed behind our back (another process tore the environment down) shows
      // at create or at start: forget what we knew, recreate the networks, try once more.
      if (!(err instanceof NetworkGone)) throw err;
      const plan = planNetwork(d);
      for (const net of plan.networks) networks.delete(net.name);
      for (const net of plan.networks) await ensureNetwork(d.environment, net);
      return createAndStart(d, replica, generation).catch((again: unknown) => {
        throw again instanceof NetworkGone ? new ProviderError(again.message) : again;
      });
    }
  }

  async function createAndStart(d: DesiredWorkload, replica: number, generation: string | undefined): Promise<string> {
    const body = createBody(d, replica, { labels: extraLabels, stopTimeoutSeconds: stopTimeout, ...(generation ? { generation } : {}) });
    const plan = planNetwork(d);
    const failed = (step: string, err: unknown) => {
      if (err instanceof EngineUnreachableError) return err;
      const message = `cannot ${step} ${body.name}: ${engineMessage(err)}`;
      return /network \S+ not found/i.test(engineMessage(err)) ? new NetworkGone(message) : new ProviderError(message);
    };
    let container: Docker.Container;
    try {
      container = await engine(() => docker.createContainer(body));
    } catch (err) {
      if (statusOf(err) === 404 && /no such image/i.test(engineMessage(err))) {
        throw new ProviderError(
          `image ${d.image} is not on the engine (no registry is reachable, nothing is pulled)`,
          'build or tag the image locally (docker tag / docker import)',
        );
      }
      throw failed('create', err);
    }
    try {
      for (const extra of plan.networks.slice(1)) {
        await engine(() => docker.getNetwork(extra.name).connect({ Container: container.id, EndpointConfig: { Aliases: [d.platform] } })).catch(
          (err: unknown) => {
            throw failed(`connect ${extra.name} to`, err);
          },
        );
      }
      await engine(() => container.start()).catch((err: unknown) => {
        throw failed('start', err);
      });
      const info = await engine(() => container.inspect());
      const expectedNetworks = plan.mode === 'none' ? ['none'] : plan.networks.map((n) => n.name);
      const wrong = verifyApplied(body, info, expectedNetworks);
      const first = wrong[0];
      if (first) {
        throw new ProviderError(
          `the engine applied ${first.field}=${JSON.stringify(first.applied)} to ${body.name}, not the ${JSON.stringify(first.asked)} asked` +
            (wrong.length > 1 ? ` (also wrong: ${wrong.slice(1).map((m) => m.field).join(', ')})` : ''),
          'check the engine version and its cgroup controllers (docker info)',
        );
      }
      return container.id;
    } catch (err) {
      await removeContainer(container.id, false).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Polls every new replica until all are healthy (without a check: running for settleMs)
   * or one fails (exits, restarts, turns unhealthy) or the time is up.
   */
  async function waitHealthy(ids: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = new Set(ids);
    let last = new Map<string, string>();
    for (;;) {
      const infos = await Promise.all([...pending].map((id) => engine(() => docker.getContainer(id).inspect())));
      last = new Map();
      for (const info of infos) {
        const name = info.Name.replace(/^\//, '');
        const st = info.State;
        if (st.Status === 'exited' || st.Status === 'dead') {
          throw new ProviderError(`replica ${name} exited with code ${st.ExitCode}${st.Error ? ` (${st.Error})` : ''}`);
        }
        const health = healthFromInspect(info);
        if (health === 'unhealthy') {
          const log = st.Health?.Log.at(-1);
          // The manifest controls what the check prints: redacted whole, before one line of it
          // is cut out (a multi-line secret, or one across the cut, would otherwise show in part).
          const output = redact(log?.Output ?? '').trim().split('\n').slice(-1)[0] ?? '';
          throw new ProviderError(
            `replica ${name} is unhealthy: the health check failed ${st.Health?.FailingStreak ?? 0} time(s)` +
              (log ? `, last exit code ${log.ExitCode}${output ? `: ${output.slice(0, 200)}` : ''}` : ''),
          );
        }
        const startedAt = Date.parse(st.StartedAt);
        const settled = Number.isNaN(startedAt) || Date.now() - startedAt >= settleMs;
        if (health === 'healthy' || (health === 'none' && settled)) pending.delete(info.Id);
        else last.set(name, `${st.Status}${st.Health ? `, health: ${st.Health.Status}` : ''}`);
      }
      if (!pending.size) return;
      if (Date.now() >= deadline) {
        const states = [...last].map(([n, s]) => `${n} (${s})`).join(', ');
        throw new ProviderError(`not healthy within ${Math.round(timeoutMs / 1000)} s: ${states}`);
      }
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
    }
  }

  /** Container ids of a workload: the ones it names, else the ones its labels find. */
  async function instancesOf(w: ActualWorkload, listed?: Docker.ContainerInfo[]): Promise<string[]> {
    if (w.instances) return w.instances;
    const all = listed ?? (await listEnvironment(w.environment));
    return all.filter((c) => c.Labels[LABELS.platform] === w.platform && c.Labels[LABELS.specHash] === w.specHash).map((c) => c.Id);
  }

  async function replace(d: DesiredWorkload, old: ActualWorkload | undefined, timeoutMs: number): Promise<ActualWorkload> {
    const secrets = d.secrets.map((s) => s.value);
    const what = `${d.platform}@${d.version} in ${d.environment}`;
    let oldRestored = true;
    try {
      const plan = planNetwork(d);
      for (const net of plan.networks) await ensureNetwork(d.environment, net);
      const listed = await listEnvironment(d.environment);
      const mine = listed.filter((c) => c.Labels[LABELS.platform] === d.platform);
      const oldIds = old ? await instancesOf(old, listed) : [];
      // Same spec hash replaced in place (drift heal, a half-finished rollout): new names.
      const taken = new Set(mine.flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))));
      const clash = Array.from({ length: d.replicas }, (_, i) => `mnops-${d.environment}-${d.platform}-${shortHash(d.specHash)}-${i}`).some((n) =>
        taken.has(n),
      );
      const generation = clash ? Date.now().toString(36) : undefined;
      // The secret files first: the replicas mount them, read-only, from their first moment.
      const volume = deliveredSecrets(d).length ? secretVolumeName(d, generation) : undefined;
      if (volume) {
        try {
          await volumes.deliver(d, volume, secretFileOwner(d, d.sandbox.user ? '' : await imageUser(d.image)));
        } catch (err) {
          await volumes.remove(volume).catch(() => undefined);
          throw err;
        }
      }
      // A host port can be bound once: the old replicas step aside and come back on failure.
      const sequential = d.ports.some((p) => p.hostPort !== undefined) && plan.publish && oldIds.length > 0;
      if (sequential) await Promise.all(oldIds.map((id) => engine(() => docker.getContainer(id).stop({ t: stopTimeout })).catch(ignoreGone)));

      const started = await Promise.allSettled(Array.from({ length: d.replicas }, (_, i) => startReplica(d, i, generation)));
      const ids = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      try {
        const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        await waitHealthy(ids, timeoutMs);
        await Promise.all(ids.map((id) => engine(() => docker.getContainer(id).update({ RestartPolicy: { ...RESTART_POLICY } }))));
      } catch (err) {
        await Promise.all(ids.map((id) => removeContainer(id, false).catch(() => undefined)));
        if (volume) await volumes.remove(volume).catch(() => undefined);
        if (sequential) {
          const restarts = await Promise.allSettled(oldIds.map((id) => engine(() => docker.getContainer(id).start()).catch(ignoreGone)));
          oldRestored = restarts.every((r) => r.status === 'fulfilled');
          // Report only once the old version serves again, not while it is still starting.
          if (oldRestored) await waitHealthy(oldIds, Math.max(timeoutMs, 15_000)).catch(() => (oldRestored = false));
        }
        throw err;
      }
      // Retire the old replicas, and leftovers of this platform from an interrupted rollout.
      const retire = new Set([...oldIds, ...mine.map((c) => c.Id)]);
      for (const id of ids) retire.delete(id);
      await Promise.all([...retire].map((id) => removeContainer(id, !sequential)));
      // The retired replicas' secret volumes (and any an interrupted rollout left behind).
      await volumes.sweep(d.environment, d.platform, volume);
      return {
        id: `mnops-${d.environment}-${d.platform}-${shortHash(d.specHash)}`,
        platform: d.platform,
        environment: d.environment,
        version: d.version,
        specHash: d.specHash,
        running: ids.length,
        replicas: d.replicas,
        healthy: true,
        since: new Date().toISOString(),
        spec: recordedSpec(d),
        instances: ids,
      };
    } catch (err) {
      if (err instanceof EngineUnreachableError) throw err;
      const reason = redact(err instanceof ProviderError ? err.message : engineMessage(err), secrets);
      const kept = !old
        ? 'nothing ran before'
        : oldRestored
          ? `${old.platform}@${old.version} keeps running`
          : `${old.platform}@${old.version} could not be restarted (docker start it by hand)`;
      throw new ProviderError(`${what} failed: ${reason}; the new replicas were removed and ${kept}`, (err as ProviderError).hint);
    }
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
    const [listed, secretLabels] = await Promise.all([call(() => listEnvironment(environment)), call(() => volumes.labelsOf(environment))]);
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
      const d = byPlatform.get(platform);
      instances.push({
        name: info.Name.replace(/^\//, ''),
        platform,
        replica: replicaOf(info.Config.Labels),
        state: info.State.Status,
        health: healthFromInspect(info),
        view: actualContainerView(info, await defaultsOf(info.Config.Image), d, secretLabels),
      });
    }
    const desiredViews = new Map<string, ReturnType<typeof desiredContainerView>[]>();
    for (const d of desired) {
      const defaults = await defaultsOf(d.image);
      desiredViews.set(
        d.platform,
        Array.from({ length: Math.max(1, d.replicas) }, (_, i) => desiredContainerView(d, i, defaults, extraLabels)),
      );
    }
    instances.sort((a, b) => a.platform.localeCompare(b.platform) || a.replica - b.replica || a.name.localeCompare(b.name));
    return { desired: desiredViews, instances, replicas: countReplicas(instances), calls };
  }

  return {
    name: 'docker',

    observe,

    async ping() {
      await engine(() => docker.ping());
    },

    unenforceable(desired: DesiredWorkload): Unenforceable[] {
      return unenforceable(desired);
    },

    async list(environment: string): Promise<ActualWorkload[]> {
      const containers = await listEnvironment(environment);
      const health = new Map<string, ReplicaHealth>();
      await Promise.all(
        containers.map(async (c) => {
          const h = healthFromList(c.State, c.Status) ?? healthFromInspect(await engine(() => docker.getContainer(c.Id).inspect()));
          health.set(c.Id, h);
        }),
      );
      return groupContainers(environment, containers, health);
    },

    replace,

    async remove(actual: ActualWorkload): Promise<void> {
      const ids = await instancesOf(actual);
      await Promise.all(ids.map((id) => removeContainer(id, true)));
      await volumes.sweep(actual.environment, actual.platform);
    },

    digestKey(environment, { create }) {
      return environmentDigestKey(volumes.keyStore, environment, create, `the volume ${digestKeyName(environment)}`);
    },

    async teardown(environment: string): Promise<void> {
      const containers = await listEnvironment(environment);
      await Promise.all(containers.map((c) => removeContainer(c.Id, true)));
      await volumes.removeAll(environment);
      const nets = await engine(() =>
        docker.listNetworks({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.environment}=${environment}`] } }),
      );
      for (const n of nets) {
        networks.delete(n.Name);
        await engine(() => docker.getNetwork(n.Id).remove()).catch((err: unknown) => {
          if (statusOf(err) !== 404) throw err;
        });
      }
      const names = networkNames(environment);
      networks.delete(names.egress);
      networks.delete(names.internal);
    },
  };
}

function ignoreGone(err: unknown): void {
  if (err instanceof EngineUnreachableError) throw err;
  const code = statusOf(err);
  if (code !== 304 && code !== 404) throw err;
}
