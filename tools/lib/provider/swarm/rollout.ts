// A swarm rollout: the service is created, or updated in place at the version it was read at
// (optimistic concurrency); swarm rolls the tasks start-first and, when a new task fails,
// rolls the service back by itself, so the old version keeps serving. What swarm stored is
// checked against what was asked, and a rollout that does not finish in time is rolled back.
import type Docker from 'dockerode';
import { sleep } from '../engine.js';
import { ProviderError, engineMessage, statusOf } from '../errors.js';
import { LABELS, type ActualWorkload, type DesiredWorkload } from '../types.js';
import { notAppliedError } from '../workload/compare.js';
import type { SwarmClient, SwarmTask } from './client.js';
import type { swarmNetworks } from './networks.js';
import { toActual } from './observe.js';
import type { swarmSecrets } from './secrets.js';
import { buildServiceSpec, serviceName, verifyApplied } from './service-spec.js';

/** A service update refused because the service changed after its version was read. */
export class SwarmConflictError extends ProviderError {}

/**
 * Updates a service at `version` (Version.Index as read). Swarm refuses the update when the
 * service changed since ("update out of sequence"): that becomes a SwarmConflictError instead
 * of a silent overwrite. `rollback` asks swarm to restore the previous spec (`docker service
 * rollback`).
 */
export async function updateService(docker: Docker, id: string, version: number, spec: Docker.ServiceSpec, rollback = false): Promise<void> {
  try {
    // _query/_body: dockerode would otherwise put the whole spec in the query string as well.
    await docker.getService(id).update({ _query: { version, ...(rollback ? { rollback: 'previous' } : {}) }, _body: spec });
  } catch (err) {
    if (/out of sequence/i.test(engineMessage(err))) {
      throw new SwarmConflictError(
        `service ${spec.Name ?? id} changed after version ${version} was read (swarm: update out of sequence): a concurrent update won and was not overwritten`,
        'run it again: the service is read afresh and the change planned against it',
      );
    }
    throw err;
  }
}

/** Thrown inside a rollout wait when swarm reports that it rolled the update back. */
class RolledBack extends Error {}
/** Thrown inside a rollout wait at the deadline (the caller removes or rolls back). */
class RolloutTimeout extends Error {}

export function swarmRollout(client: SwarmClient, networks: ReturnType<typeof swarmNetworks>, secrets: ReturnType<typeof swarmSecrets>) {
  const { docker, engine, engineError, inspectService, findService, tasksOf, removeService, pollMs, rollbackGraceMs, monitorSeconds, stopGraceSeconds } = client;
  const extraLabels = client.labels;
  const { ensureNetworks } = networks;
  const { ensureSecrets, pruneSecrets } = secrets;

  /** A local image is run by its id: workers then never try a registry (none is reachable
   * here); a reference not present locally is passed on for the workers to pull. Its user
   * owns the secret files when the workload declares none (unknown for a remote image: root). */
  async function resolveImage(ref: string): Promise<{ id: string; user: string }> {
    try {
      const info = (await docker.getImage(ref).inspect()) as { Id: string; Config?: { User?: string } };
      return { id: info.Id, user: info.Config?.User ?? '' };
    } catch (err) {
      if (statusOf(err) === 404) return { id: ref, user: '' };
      throw engineError(`inspect image ${ref}`, err);
    }
  }

  /** Asserts the engine stored what was asked (skipped once swarm has already rolled it back). */
  async function verify(id: string, d: DesiredWorkload, asked: Docker.ServiceSpec): Promise<void> {
    const svc = await inspectService(id);
    if (!svc) throw new ProviderError(`service ${asked.Name ?? id} disappeared right after it was written`);
    if (svc.Spec?.Labels?.[LABELS.specHash] !== d.specHash) return;
    const wrong = verifyApplied(asked, svc.Spec);
    if (wrong.length) throw notAppliedError(`service ${asked.Name ?? id}`, wrong);
  }

  /** The newest failure of a task of this spec, for the error message. */
  function lastTaskError(tasks: SwarmTask[]): string {
    const failed = tasks
      .filter((t) => t.Status?.Err)
      .sort((a, b) => String(b.Status?.Timestamp ?? '').localeCompare(String(a.Status?.Timestamp ?? '')));
    return failed[0]?.Status?.Err ?? '';
  }

  /** `, 1 starting, 1 preparing`: where the tasks that should run but do not are stuck. */
  function taskStates(tasks: SwarmTask[]): string {
    const counts = new Map<string, number>();
    for (const t of tasks) {
      const state = t.Status?.State ?? 'unknown';
      if (t.DesiredState === 'running' && state !== 'running') counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    return [...counts].map(([state, n]) => `, ${n} ${state}`).join('');
  }

  /**
   * Waits until `replicas` tasks of this spec hash run (= pass their health check) and any
   * update swarm started for it completed. Throws RolledBack when swarm rolled the update back,
   * and a ProviderError on a paused update or at the deadline.
   */
  async function waitForRollout(id: string, d: DesiredWorkload, deadline: number, previousUpdate: string | undefined): Promise<void> {
    let rollingBackSince: number | undefined;
    for (;;) {
      const svc = await inspectService(id);
      if (!svc) throw new ProviderError(`service ${serviceName(d.environment, d.platform, client.project)} was removed during the rollout`);
      const status = svc.UpdateStatus;
      // An update resets UpdateStatus, so a status with the old start time is not ours.
      const ours = status?.State !== undefined && !(previousUpdate !== undefined && status.StartedAt === previousUpdate);
      if (ours) {
        if (status.State === 'rollback_completed') throw new RolledBack(status.Message ?? 'rolled back');
        if (status.State === 'paused' || status.State === 'rollback_paused') {
          throw new ProviderError(`the update of ${svc.Spec?.Name ?? id} is ${status.State.replace('_', ' ')}: ${status.Message ?? ''}`, `inspect it: docker service ps ${svc.Spec?.Name ?? id} --no-trunc`);
        }
        if (status.State === 'rollback_started') rollingBackSince ??= Date.now();
      }
      const all = (await engine('list tasks', () => docker.listTasks({ filters: { service: [id] } }))) as SwarmTask[];
      const mine = all.filter((t) => t.Spec?.ContainerSpec?.Labels?.[LABELS.specHash] === d.specHash);
      const ready = mine.filter((t) => t.DesiredState === 'running' && t.Status?.State === 'running').length;
      const settled = !ours || status.State === 'completed';
      if (rollingBackSince === undefined && settled && ready >= d.replicas) return;
      const now = Date.now();
      if (rollingBackSince !== undefined) {
        if (now > Math.max(deadline, rollingBackSince) + rollbackGraceMs) {
          throw new ProviderError(`swarm started rolling back ${svc.Spec?.Name ?? id} but did not finish within ${Math.round(rollbackGraceMs / 1000)} s`);
        }
      } else if (now > deadline) {
        const why = lastTaskError(mine);
        throw new RolloutTimeout(`${ready} of ${d.replicas} tasks healthy${taskStates(mine)}${why ? `; last task error: ${why}` : ''}`);
      }
      await sleep(pollMs);
    }
  }

  /** Asks swarm to restore the previous spec (unless it is already doing so) and waits until
   * it has. Does nothing when the service no longer runs this spec. */
  async function rollBack(id: string, d: DesiredWorkload): Promise<void> {
    const svc = await inspectService(id);
    const current = svc?.Spec;
    if (!svc || !current) return;
    if (svc.UpdateStatus?.State !== 'rollback_started') {
      if (current.Labels?.[LABELS.specHash] !== d.specHash || !svc.PreviousSpec) return;
      await engine(`roll back service ${current.Name ?? id}`, () => updateService(docker, id, svc.Version?.Index ?? 0, current, true));
    }
    const until = Date.now() + rollbackGraceMs;
    for (;;) {
      const now = await inspectService(id);
      const state = now?.UpdateStatus?.State;
      if (!now || state === 'rollback_completed') return;
      if (state === 'rollback_paused' || state === 'paused') throw new ProviderError(`rolling back ${d.platform} is paused: ${now.UpdateStatus?.Message ?? ''}`);
      if (Date.now() > until) throw new ProviderError(`rolling back ${d.platform} did not finish within ${Math.round(rollbackGraceMs / 1000)} s`);
      await sleep(pollMs);
    }
  }

  async function replace(d: DesiredWorkload, old: ActualWorkload | undefined, timeoutMs: number): Promise<ActualWorkload> {
    const deadline = Date.now() + timeoutMs;
    const name = serviceName(d.environment, d.platform, client.project);
    // First: a same-named service of another project is refused before anything is created.
    const existing = await findService(name);
    const image = await resolveImage(d.image);
    const spec = buildServiceSpec(d, {
      image: image.id,
      imageUser: image.user,
      networks: await ensureNetworks(d),
      secrets: await ensureSecrets(d),
      labels: extraLabels,
      project: client.project,
      monitorSeconds,
      stopGraceSeconds,
    });
    const seconds = Math.round(timeoutMs / 1000);

    if (!existing) {
      const created = await engine(`create service ${name}`, () => docker.createService(spec));
      try {
        await verify(created.id, d, spec);
        await waitForRollout(created.id, d, deadline, undefined);
      } catch (err) {
        await removeService(created.id);
        await pruneSecrets(d.environment, d.platform);
        if (err instanceof RolloutTimeout) {
          throw new ProviderError(`${d.platform} ${d.version} did not become healthy in ${d.environment} within ${seconds} s (${err.message}); the new service was removed`);
        }
        throw err;
      }
      await pruneSecrets(d.environment, d.platform);
      return actualOf(created.id, d);
    }

    const oldVersion = existing.Spec?.Labels?.[LABELS.version] ?? old?.version ?? 'the previous version';
    try {
      await engine(`update service ${name}`, () => updateService(docker, existing.ID, existing.Version?.Index ?? 0, spec));
    } catch (err) {
      await pruneSecrets(d.environment, d.platform).catch(() => undefined); // the new value's secret, if any
      throw err;
    }
    try {
      await verify(existing.ID, d, spec);
      await waitForRollout(existing.ID, d, deadline, existing.UpdateStatus?.StartedAt);
    } catch (err) {
      if (err instanceof RolledBack) {
        await pruneSecrets(d.environment, d.platform);
        throw new ProviderError(
          `the update of ${d.platform} in ${d.environment} to ${d.version} failed and swarm rolled it back (${err.message}); ${oldVersion} keeps serving`,
          `inspect the failed tasks: docker service ps ${name} --no-trunc`,
        );
      }
      // Timed out, or the engine stored something else than asked: restore the previous spec.
      await rollBack(existing.ID, d);
      await pruneSecrets(d.environment, d.platform);
      if (err instanceof RolloutTimeout) {
        throw new ProviderError(`${d.platform} ${d.version} did not become healthy in ${d.environment} within ${seconds} s (${err.message}); rolled back, ${oldVersion} keeps serving`);
      }
      if (err instanceof ProviderError) throw new ProviderError(`${err.message}; rolled back, ${oldVersion} keeps serving`, err.hint);
      throw err;
    }
    await pruneSecrets(d.environment, d.platform);
    return actualOf(existing.ID, d);
  }

  async function actualOf(id: string, d: DesiredWorkload): Promise<ActualWorkload> {
    const svc = await inspectService(id);
    const actual = svc ? toActual(svc, await tasksOf([id])) : undefined;
    if (!actual) throw new ProviderError(`service ${serviceName(d.environment, d.platform, client.project)} cannot be read back`);
    return actual;
  }

  return { replace, resolveImage };
}
