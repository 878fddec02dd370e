// A docker rollout: the new replicas start beside the old, each created, connected, started
// and inspected against what was asked; once all are healthy the old ones retire. On any
// failure the new replicas and their secret volume are removed and the old keep serving.
import type Docker from 'dockerode';
import { redact } from '../../secrets/index.js';
import { sleep } from '../engine.js';
import { EngineUnreachableError, ProviderError, engineMessage, statusOf } from '../errors.js';
import { recordedSpec } from '../labels.js';
import { secretFileOwner } from '../secret-files.js';
import { LABELS, instancesOf, type ActualWorkload, type DesiredWorkload } from '../types.js';
import { notAppliedError } from '../workload/compare.js';
import type { DockerClient } from './client.js';
import { RESTART_POLICY, containerName, createBody, deliveredSecrets, planNetwork, secretVolumeName, verifyApplied, workloadId } from './container-spec.js';
import type { DockerNetworks } from './networks.js';
import type { SecretVolumes } from './secret-volume.js';
import { healthFromInspect } from './state.js';

/** A network the provider remembered is gone: recreate it and retry once. */
class NetworkGone extends ProviderError {}

function imageMissing(image: string): ProviderError {
  // The example's images are tags of one local base image, made by the setup for every version
  // the manifests name: a version added since needs the setup once more.
  const example = /^mnops\/base:/.test(image) ? `; the example's images are tagged by npm run setup for every version the manifests name — run it again, or docker tag mnops/base:busybox ${image}` : '';
  return new ProviderError(`image ${image} is not on the engine (no registry is reachable, nothing is pulled)`, `build or tag the image locally (docker build -t ${image} / docker tag / docker import)${example}`);
}

function ignoreGone(err: unknown): void {
  if (err instanceof EngineUnreachableError) throw err;
  const code = statusOf(err);
  if (code !== 304 && code !== 404) throw err;
}

export function dockerRollout(client: DockerClient, networks: DockerNetworks, volumes: SecretVolumes) {
  const { docker, engine } = client;

  /** The user an image runs as (it owns the secret files when the workload declares none). */
  async function imageUser(ref: string): Promise<string> {
    try {
      return ((await engine(() => docker.getImage(ref).inspect())).Config?.User) ?? '';
    } catch (err) {
      if (statusOf(err) === 404) throw imageMissing(ref);
      throw err;
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
      const plan = planNetwork(d, client.project);
      networks.forget(plan.networks.map((n) => n.name));
      for (const net of plan.networks) await networks.ensure(d.environment, net);
      return createAndStart(d, replica, generation).catch((again: unknown) => {
        throw again instanceof NetworkGone ? new ProviderError(again.message) : again;
      });
    }
  }

  async function createAndStart(d: DesiredWorkload, replica: number, generation: string | undefined): Promise<string> {
    const body = createBody(d, replica, { labels: client.labels, project: client.project, stopTimeoutSeconds: client.stopTimeoutSeconds, ...(generation ? { generation } : {}) });
    const plan = planNetwork(d, client.project);
    const failed = (step: string, err: unknown) => {
      if (err instanceof EngineUnreachableError) return err;
      const message = `cannot ${step} ${body.name}: ${engineMessage(err)}`;
      return /network \S+ not found/i.test(engineMessage(err)) ? new NetworkGone(message) : new ProviderError(message);
    };
    let container: Docker.Container;
    try {
      container = await engine(() => docker.createContainer(body));
    } catch (err) {
      if (statusOf(err) === 404 && /no such image/i.test(engineMessage(err))) throw imageMissing(d.image);
      throw failed('create', err);
    }
    try {
      for (const extra of plan.networks.slice(1)) {
        await engine(() => docker.getNetwork(extra.name).connect({ Container: container.id, EndpointConfig: { Aliases: [d.platform] } })).catch((err: unknown) => {
          throw failed(`connect ${extra.name} to`, err);
        });
      }
      await engine(() => container.start()).catch((err: unknown) => {
        throw failed('start', err);
      });
      const info = await engine(() => container.inspect());
      const wrong = verifyApplied(body, info, plan.mode === 'none' ? ['none'] : plan.networks.map((n) => n.name));
      if (wrong.length) throw notAppliedError(body.name ?? d.platform, wrong);
      return container.id;
    } catch (err) {
      await client.removeContainer(container.id, false).catch(() => undefined);
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
    for (;;) {
      const infos = await Promise.all([...pending].map((id) => engine(() => docker.getContainer(id).inspect())));
      const last = new Map<string, string>();
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
        const settled = Number.isNaN(startedAt) || Date.now() - startedAt >= client.settleMs;
        if (health === 'healthy' || (health === 'none' && settled)) pending.delete(info.Id);
        else last.set(name, `${st.Status}${st.Health ? `, health: ${st.Health.Status}` : ''}`);
      }
      if (!pending.size) return;
      if (Date.now() >= deadline) {
        const states = [...last].map(([n, s]) => `${n} (${s})`).join(', ');
        throw new ProviderError(`not healthy within ${Math.round(timeoutMs / 1000)} s: ${states}`);
      }
      await sleep(Math.min(client.pollMs, Math.max(0, deadline - Date.now())));
    }
  }

  async function replace(d: DesiredWorkload, old: ActualWorkload | undefined, timeoutMs: number): Promise<ActualWorkload> {
    const secrets = d.secrets.map((s) => s.value);
    const what = `${d.platform}@${d.version} in ${d.environment}`;
    let oldRestored = true;
    try {
      const plan = planNetwork(d, client.project);
      for (const net of plan.networks) await networks.ensure(d.environment, net);
      const listed = await client.listEnvironment(d.environment);
      const mine = listed.filter((c) => c.Labels[LABELS.platform] === d.platform);
      const oldIds = old ? instancesOf(old) : [];
      // Same spec hash replaced in place (drift heal, a half-finished rollout): new names.
      const taken = new Set(mine.flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))));
      const clash = Array.from({ length: d.replicas }, (_, i) => containerName(d, i, undefined, client.project)).some((n) => taken.has(n));
      const generation = clash ? Date.now().toString(36) : undefined;
      // The secret files first: the replicas mount them, read-only, from their first moment.
      const volume = deliveredSecrets(d).length ? secretVolumeName(d, generation, client.project) : undefined;
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
      if (sequential) await Promise.all(oldIds.map((id) => engine(() => docker.getContainer(id).stop({ t: client.stopTimeoutSeconds })).catch(ignoreGone)));

      const started = await Promise.allSettled(Array.from({ length: d.replicas }, (_, i) => startReplica(d, i, generation)));
      const ids = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      try {
        const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        await waitHealthy(ids, timeoutMs);
        await Promise.all(ids.map((id) => engine(() => docker.getContainer(id).update({ RestartPolicy: { ...RESTART_POLICY } }))));
      } catch (err) {
        await Promise.all(ids.map((id) => client.removeContainer(id, false).catch(() => undefined)));
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
      await Promise.all([...retire].map((id) => client.removeContainer(id, !sequential)));
      // The retired replicas' secret volumes (and any an interrupted rollout left behind).
      await volumes.sweep(d.environment, d.platform, volume);
      const since = new Date().toISOString();
      return {
        id: workloadId(d.environment, d.platform),
        platform: d.platform,
        environment: d.environment,
        version: d.version,
        specHash: d.specHash,
        running: ids.length,
        replicas: d.replicas,
        healthy: true,
        since,
        spec: recordedSpec(d),
        generations: [{ version: d.version, specHash: d.specHash, instances: ids, running: ids.length, healthy: true, since }],
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

  return { replace };
}
