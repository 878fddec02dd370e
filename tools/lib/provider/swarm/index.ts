// The swarm provider: one Docker Swarm service per platform per environment,
// through dockerode. Actual state is one labelled listServices plus one listTasks per
// environment. A replacement creates the service or updates it in place at the version it
// was read at (optimistic concurrency); swarm rolls the tasks start-first and, when a new
// task fails, rolls the service back by itself, so the old version keeps serving.
import Docker from 'dockerode';
import { MnopsError } from '../../repo/errors.js';
import { EngineUnreachableError, ProviderError, engineMessage, isUnreachable, statusOf } from '../errors.js';
import { fromLabels } from '../labels.js';
import { LABELS, type ActualWorkload, type DesiredWorkload, type Provider } from '../types.js';
import { buildServiceSpec, planNetwork, secretName, serviceName, unenforceable, verifyApplied, type SwarmNetwork } from './service-spec.js';
import { desiredServiceView, serviceView, type SwarmNames } from './view.js';
import { digestKeyName, environmentDigestKey, type DigestKeyStore } from '../../secrets/digest.js';
import type { DriftObservation, ObservedInstance, WorkloadView } from '../view.js';

export { buildServiceSpec, healthOf, networkNames, planNetwork, secretName, serviceName, unenforceable, verifyApplied } from './service-spec.js';

export interface SwarmProviderOptions {
  /** A ready client (tests wrap one); otherwise one is made for `socketPath`. */
  docker?: Docker;
  /** Default: DOCKER_HOST, else /var/run/docker.sock. */
  socketPath?: string;
  /** Extra labels on every service, secret and network created (e.g. a CI or test run id). */
  labels?: Record<string, string>;
  /** How long swarm watches an updated task for failure (UpdateConfig.Monitor, default 5 s). */
  monitorSeconds?: number;
  /** Seconds a stopping task gets between SIGTERM and SIGKILL (default 10). */
  stopGraceSeconds?: number;
  /** Poll interval while waiting for a rollout (default 500 ms). */
  pollMs?: number;
  /** How long past the health timeout a rollback may take to finish (default 60 s). */
  rollbackGraceMs?: number;
}

export interface SwarmProvider extends Provider {
  /** Removes every managed service, secret and network of an environment (tear-down). */
  teardown(environment: string): Promise<void>;
}

/** A service update refused because the service changed after its version was read. */
export class SwarmConflictError extends ProviderError {}

/** The fields of a swarm task this provider reads (dockerode types tasks as any). */
interface SwarmTask {
  ID: string;
  ServiceID: string;
  DesiredState?: string;
  Status?: { State?: string; Err?: string; Timestamp?: string };
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

export function createSwarmProvider(options: SwarmProviderOptions = {}): SwarmProvider {
  const docker = options.docker ?? new Docker(options.socketPath ? { socketPath: options.socketPath } : undefined);
  const extraLabels = options.labels ?? {};
  const monitorSeconds = options.monitorSeconds ?? 5;
  const stopGraceSeconds = options.stopGraceSeconds ?? 10;
  const pollMs = options.pollMs ?? 500;
  const rollbackGraceMs = options.rollbackGraceMs ?? 60_000;
  const modem = docker.modem as { socketPath?: string; host?: string; port?: number | string };
  const endpoint = options.socketPath ?? modem.socketPath ?? (modem.host ? `${modem.host}:${modem.port ?? ''}` : '/var/run/docker.sock');
  /** Network ensures in flight, so parallel platforms of one environment create it once. */
  const networks = new Map<string, Promise<string>>();

  /** The error an engine failure becomes: a dead endpoint is EngineUnreachableError, anything
   * else a ProviderError saying what was being done. */
  function engineError(what: string, err: unknown): Error {
    if (err instanceof MnopsError) return err;
    if (isUnreachable(err)) {
      return new EngineUnreachableError(
        err.code === 'EACCES'
          ? `the Docker engine at ${endpoint} refuses this user (permission denied) — run as root or join the docker group`
          : `the Docker engine at ${endpoint} does not answer — start dockerd or run npm run setup`,
      );
    }
    return new ProviderError(`${what}: ${engineMessage(err)}`);
  }

  /** Every engine call goes through here. */
  async function engine<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw engineError(what, err);
    }
  }

  const managedFilter = (environment: string, platform?: string) => ({
    label: [`${LABELS.managed}=true`, `${LABELS.environment}=${environment}`, ...(platform ? [`${LABELS.platform}=${platform}`] : [])],
  });

  async function inspectService(id: string): Promise<Docker.Service | undefined> {
    try {
      return (await docker.getService(id).inspect()) as Docker.Service;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw engineError(`inspect service ${id}`, err);
    }
  }

  async function findService(name: string): Promise<Docker.Service | undefined> {
    const found = await engine(`list services named ${name}`, () => docker.listServices({ filters: { name: [name] } }));
    const svc = found.find((s) => s.Spec?.Name === name);
    if (svc && svc.Spec?.Labels?.[LABELS.managed] !== 'true') {
      throw new ProviderError(`a service named ${name} exists but is not managed by mnops`, 'remove or rename it (docker service rm), then apply again');
    }
    return svc;
  }

  async function tasksOf(serviceIds: string[]): Promise<SwarmTask[]> {
    if (serviceIds.length === 0) return [];
    return (await engine('list tasks', () => docker.listTasks({ filters: { service: serviceIds, 'desired-state': ['running'] } }))) as SwarmTask[];
  }

  function toActual(svc: Docker.Service, tasks: SwarmTask[]): ActualWorkload | undefined {
    const identity = fromLabels(svc.Spec?.Labels);
    if (!identity) return undefined;
    // Swarm holds a task in `starting` until its health check passes and fails it when it turns
    // unhealthy, so a running task of a service with a health check is a healthy one.
    const running = tasks.filter((t) => t.ServiceID === svc.ID && t.DesiredState === 'running' && t.Status?.State === 'running');
    const replicas = svc.Spec?.Mode?.Replicated?.Replicas ?? 0;
    const started = running.map((t) => t.Status?.Timestamp).filter((s): s is string => !!s).sort();
    return {
      ...identity,
      id: svc.ID,
      running: running.length,
      replicas,
      healthy: running.length >= replicas,
      ...(started[0] ? { since: started[0] } : {}),
      instances: running.map((t) => t.ID),
    };
  }

  async function list(environment: string): Promise<ActualWorkload[]> {
    const services = await engine(`list the services of ${environment}`, () => docker.listServices({ filters: managedFilter(environment) }));
    const tasks = await tasksOf(services.map((s) => s.ID));
    return services
      .map((s) => toActual(s, tasks))
      .filter((a): a is ActualWorkload => a !== undefined)
      .sort((a, b) => a.platform.localeCompare(b.platform));
  }

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
    for (const net of planNetwork(d).networks) {
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

  /** One swarm secret per (platform, name, value); `from: swarm` refers to an existing one. */
  async function ensureSecrets(d: DesiredWorkload): Promise<Map<string, { id: string; name: string }>> {
    const out = new Map<string, { id: string; name: string }>();
    if (d.secrets.length === 0) return out;
    const listMine = () => engine('list secrets', () => docker.listSecrets({ filters: managedFilter(d.environment, d.platform) }));
    let mine = await listMine();
    for (const s of d.secrets) {
      if (s.from === 'swarm') {
        const found = await engine(`find swarm secret ${s.key}`, () => docker.listSecrets({ filters: { name: [s.key] } }));
        const hit = found.find((x) => x.Spec?.Name === s.key);
        if (!hit) throw new ProviderError(`secret ${s.name} of ${d.platform} refers to the swarm secret ${s.key}, which does not exist`, `create it: printf %s "$VALUE" | docker secret create ${s.key} -`);
        out.set(s.name, { id: hit.ID, name: s.key });
        continue;
      }
      const name = secretName(d, s);
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
    const secrets = await engine('list secrets', () => docker.listSecrets({ filters: managedFilter(environment, platform) }));
    if (secrets.length === 0) return;
    const services = await engine(`list the services of ${environment}`, () => docker.listServices({ filters: managedFilter(environment) }));
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

  /** Removes a service and waits (bounded) until its containers are gone. */
  async function removeService(id: string): Promise<void> {
    try {
      await docker.getService(id).remove();
    } catch (err) {
      if (statusOf(err) !== 404) throw engineError(`remove service ${id}`, err);
    }
    const until = Date.now() + Math.max(30_000, stopGraceSeconds * 1000 + 15_000);
    while (Date.now() < until) {
      const left = await engine('list task containers', () =>
        docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${id}`] } }),
      );
      if (left.length === 0) return;
      await sleep(pollMs);
    }
  }

  /** Removes the managed networks matching `filter` (the environment's, or a platform's
   * private one), once the endpoints of stopped tasks are gone. */
  async function removeNetworks(filter: { label: string[] }): Promise<void> {
    const found = await engine('list networks', () => docker.listNetworks({ filters: filter }));
    for (const n of found) {
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          await docker.getNetwork(n.Id).remove();
          break;
        } catch (err) {
          if (statusOf(err) === 404) break;
          if (isUnreachable(err)) throw engineError('remove network', err);
          await sleep(pollMs); // endpoints of stopped tasks linger a moment
        }
      }
    }
  }

  /** Asserts the engine stored what was asked (skipped once swarm has already rolled it back). */
  async function verify(id: string, d: DesiredWorkload, asked: Docker.ServiceSpec): Promise<void> {
    const svc = await inspectService(id);
    if (!svc) throw new ProviderError(`service ${asked.Name ?? id} disappeared right after it was written`);
    if (svc.Spec?.Labels?.[LABELS.specHash] !== d.specHash) return;
    const mismatches = verifyApplied(asked, svc.Spec);
    if (mismatches.length) {
      const what = mismatches.map((m) => `${m.field} (asked ${JSON.stringify(m.asked)}, stored ${JSON.stringify(m.applied)})`).join('; ');
      throw new ProviderError(`the engine did not store what was asked for service ${asked.Name ?? id}: ${what}`, 'upgrade the engine or report the setting as unenforceable');
    }
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
      if (!svc) throw new ProviderError(`service ${serviceName(d.environment, d.platform)} was removed during the rollout`);
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

  /**
   * The digest key lives in a Swarm config: cluster-wide, so every manager answers the same
   * key, and readable through the API only by those who could read the secrets anyway.
   */
  async function findKeyConfig(environment: string): Promise<Docker.ConfigInfo | undefined> {
    const name = digestKeyName(environment);
    const found = await engine(`list configs named ${name}`, () => docker.listConfigs({ filters: { name: [name] } }));
    return found.find((c) => c.Spec?.Name === name);
  }

  const keyStore: DigestKeyStore = {
    async read(environment) {
      const hit = await findKeyConfig(environment);
      if (!hit) return undefined;
      const config = await engine(`read config ${digestKeyName(environment)}`, () => docker.getConfig(hit.ID).inspect());
      const data = config.Spec?.Data;
      return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
    },
    async create(environment, key) {
      try {
        await docker.createConfig({
          Name: digestKeyName(environment),
          Labels: { ...extraLabels, [LABELS.managed]: 'true', [LABELS.environment]: environment },
          Data: Buffer.from(key, 'utf8').toString('base64'),
        });
      } catch (err) {
        // 409: another run created it first; its key is the one read back.
        if (statusOf(err) !== 409) throw engineError(`create config ${digestKeyName(environment)}`, err);
      }
    },
  };

  async function removeDigestKey(environment: string): Promise<void> {
    const hit = await findKeyConfig(environment);
    if (!hit) return;
    try {
      await docker.getConfig(hit.ID).remove();
    } catch (err) {
      if (statusOf(err) !== 404) throw engineError(`remove config ${digestKeyName(environment)}`, err);
    }
  }

  async function replace(d: DesiredWorkload, old: ActualWorkload | undefined, timeoutMs: number): Promise<ActualWorkload> {
    const deadline = Date.now() + timeoutMs;
    const name = serviceName(d.environment, d.platform);
    const image = await resolveImage(d.image);
    const spec = buildServiceSpec(d, {
      image: image.id,
      imageUser: image.user,
      networks: await ensureNetworks(d),
      secrets: await ensureSecrets(d),
      labels: extraLabels,
      monitorSeconds,
      stopGraceSeconds,
    });
    const existing = await findService(name);
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
    if (!actual) throw new ProviderError(`service ${serviceName(d.environment, d.platform)} cannot be read back`);
    return actual;
  }

  return {
    name: 'swarm',

    async ping() {
      await engine('ping the engine', () => docker.ping());
      const info = (await engine('read the engine info', () => docker.info())) as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
      const state = info.Swarm?.LocalNodeState ?? 'inactive';
      if (state !== 'active') {
        throw new ProviderError(`the Docker engine at ${endpoint} is not part of a swarm (state ${state})`, 'run docker swarm init --advertise-addr 127.0.0.1 (npm run setup does)');
      }
      if (!info.Swarm?.ControlAvailable) {
        throw new ProviderError(`the Docker engine at ${endpoint} is a swarm worker: services are managed through a manager`, 'point DOCKER_HOST at a manager node');
      }
    },

    unenforceable,
    list,
    replace,

    /** Drift: one listServices (it carries every spec), one listTasks, one listNetworks, and one
     * image inspect per distinct desired image. Nothing per service. */
    async observe(environment: string, desired: DesiredWorkload[]): Promise<DriftObservation> {
      let calls = 3;
      const [services, nets] = await Promise.all([
        engine(`list the services of ${environment}`, () => docker.listServices({ filters: managedFilter(environment) })),
        engine('list networks', () => docker.listNetworks()),
      ]);
      const tasks = await tasksOf(services.map((s) => s.ID));
      const images = new Map<string, { id: string; user: string }>();
      await Promise.all(
        [...new Set(desired.map((d) => d.image))].map(async (ref) => {
          calls++;
          images.set(ref, await resolveImage(ref));
        }),
      );
      const netNames = new Map(nets.map((n) => [n.Id, n.Name]));
      const imageNames = new Map([...images].map(([ref, image]) => [image.id, ref]));
      const names: SwarmNames = { network: (id) => netNames.get(id) ?? id, image: (id) => imageNames.get(id) ?? id };
      const byPlatform = new Map(desired.map((d) => [d.platform, d]));
      const instances: ObservedInstance[] = [];
      const replicas = new Map<string, { declared: number; running: number }>();
      for (const svc of services) {
        const actual = toActual(svc, tasks);
        if (!actual) continue;
        const declared = svc.Spec?.Mode?.Replicated?.Replicas ?? 0;
        replicas.set(actual.platform, { declared, running: actual.running });
        instances.push({
          name: svc.Spec?.Name ?? svc.ID,
          platform: actual.platform,
          replica: 0,
          // Swarm restarts a task that exits or turns unhealthy: what shows is tasks not running.
          state: actual.running >= declared ? 'running' : `${actual.running}/${declared} tasks running`,
          health: actual.running >= declared ? 'healthy' : 'down',
          view: serviceView(svc.Spec, names, byPlatform.get(actual.platform)),
        });
      }
      const options = { labels: extraLabels, monitorSeconds, stopGraceSeconds };
      const desiredViews = new Map<string, WorkloadView[]>(
        desired.map((d) => [d.platform, [desiredServiceView(d, images.get(d.image) ?? { id: d.image, user: '' }, names, options)]]),
      );
      return { desired: desiredViews, instances: instances.sort((a, b) => a.platform.localeCompare(b.platform)), replicas, calls };
    },

    async remove(actual) {
      const svc = (await inspectService(actual.id)) ?? (await findService(serviceName(actual.environment, actual.platform)));
      if (svc) await removeService(svc.ID);
      await pruneSecrets(actual.environment, actual.platform);
      await removeNetworks(managedFilter(actual.environment, actual.platform));
    },

    async teardown(environment) {
      const services = await engine(`list the services of ${environment}`, () => docker.listServices({ filters: managedFilter(environment) }));
      await Promise.all(services.map((s) => removeService(s.ID)));
      const secrets = await engine('list secrets', () => docker.listSecrets({ filters: managedFilter(environment) }));
      for (const s of secrets) {
        try {
          await docker.getSecret(s.ID).remove();
        } catch (err) {
          if (statusOf(err) !== 404) throw engineError(`remove secret ${s.Spec?.Name ?? s.ID}`, err);
        }
      }
      await removeNetworks(managedFilter(environment));
      await removeDigestKey(environment);
    },

    digestKey(environment, { create }) {
      return environmentDigestKey(keyStore, environment, create, `the swarm config ${digestKeyName(environment)}`);
    },
  };
}
