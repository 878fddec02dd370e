// The swarm provider's hold on the engine: the client, the settings every part shares, the one
// wrapper every engine call goes through, and the services: found, inspected, removed.
import type Docker from 'dockerode';
import { MnopsError } from '../../repo/errors.js';
import { connectEngine, endpointOf, NETWORK_RELEASE_MS, sleep, unreachableError } from '../engine.js';
import { ProviderError, engineMessage, isUnreachable, statusOf } from '../errors.js';
import { ownedBy, projectFilters, projectLabels } from '../project.js';
import { LABELS } from '../types.js';

/** The fields of a swarm task this provider reads (dockerode types tasks as any). */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  DesiredState?: string;
  Status?: { State?: string; Err?: string; Timestamp?: string };
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
}

export interface SwarmSettings {
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
  /** How long teardown keeps trying to remove a network the engine still counts endpoints on (default 60 s: the engine can take seconds to release a removed container's endpoint). */
  networkReleaseMs?: number;
}

export type SwarmClient = ReturnType<typeof swarmClient>;

export function swarmClient(options: SwarmSettings) {
  const docker = options.docker ?? connectEngine(options.socketPath);
  const endpoint = endpointOf(docker, options.socketPath);
  const stopGraceSeconds = options.stopGraceSeconds ?? 10;
  const pollMs = options.pollMs ?? 500;
  const project = options.project ?? '';
  /** True when an object with these labels is the project's: what a label filter cannot say for ''. */
  const owns = (labels: Record<string, string> | undefined | null) => ownedBy(project, labels);

  /** The error an engine failure becomes: a dead endpoint is EngineUnreachableError, anything
   * else a ProviderError saying what was being done. */
  function engineError(what: string, err: unknown): Error {
    if (err instanceof MnopsError) return err;
    if (isUnreachable(err)) return unreachableError(endpoint, err);
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
    label: [`${LABELS.managed}=true`, `${LABELS.environment}=${environment}`, ...(platform ? [`${LABELS.platform}=${platform}`] : []), ...projectFilters(project)],
  });

  /** The project's managed services of an environment. */
  async function listServices(environment: string): Promise<Docker.Service[]> {
    const found = await engine(`list the services of ${environment}`, () => docker.listServices({ filters: managedFilter(environment) }));
    return found.filter((s) => owns(s.Spec?.Labels));
  }

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
    if (svc && !owns(svc.Spec?.Labels)) {
      const theirs = svc.Spec?.Labels?.[LABELS.project];
      throw new ProviderError(
        `a service named ${name} belongs to ${theirs ? `project ${theirs}` : 'the unnamed project (made before projects)'}, not to ${project ? `project ${project}` : 'the unnamed project'}`,
        'give one of the two a different project id (settings spec.project, or MNOPS_PROJECT), then apply again',
      );
    }
    return svc;
  }

  async function tasksOf(serviceIds: string[]): Promise<SwarmTask[]> {
    if (serviceIds.length === 0) return [];
    return (await engine('list tasks', () => docker.listTasks({ filters: { service: serviceIds, 'desired-state': ['running'] } }))) as SwarmTask[];
  }

  /** Removes a service and waits (bounded) until its containers are gone; throws when they are not. */
  async function removeService(id: string): Promise<void> {
    try {
      await docker.getService(id).remove();
    } catch (err) {
      if (statusOf(err) !== 404) throw engineError(`remove service ${id}`, err);
    }
    const waitMs = Math.max(30_000, stopGraceSeconds * 1000 + 15_000);
    const until = Date.now() + waitMs;
    for (;;) {
      const left = await engine('list task containers', () => docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${id}`] } }));
      if (left.length === 0) return;
      if (Date.now() >= until) {
        throw new ProviderError(
          `service ${id} was removed, but ${left.length} of its container(s) were still there after ${Math.round(waitMs / 1000)} s`,
          `look at them: docker ps -a --filter label=com.docker.swarm.service.id=${id}`,
        );
      }
      await sleep(pollMs);
    }
  }

  return {
    docker,
    endpoint,
    project,
    owns,
    labels: { ...options.labels, ...projectLabels(project) },
    monitorSeconds: options.monitorSeconds ?? 5,
    stopGraceSeconds,
    pollMs,
    rollbackGraceMs: options.rollbackGraceMs ?? 60_000,
    networkReleaseMs: options.networkReleaseMs ?? NETWORK_RELEASE_MS,
    engine,
    engineError,
    managedFilter,
    listServices,
    inspectService,
    findService,
    tasksOf,
    removeService,
  };
}
