// The docker provider's hold on the engine: the client, the settings every part shares, and
// the one wrapper every engine call goes through (a dead endpoint becomes EngineUnreachableError).
import type Docker from 'dockerode';
import { connectEngine, endpointOf, NETWORK_RELEASE_MS, unreachableError } from '../engine.js';
import { EngineUnreachableError, isUnreachable, statusOf } from '../errors.js';
import { ownedBy, projectFilters, projectLabels } from '../project.js';
import { LABELS } from '../types.js';

export interface DockerClient {
  docker: Docker;
  /** The project whose objects this client creates and lists ('' : the unnamed one). */
  project: string;
  /** Extra labels on every container, network and volume created, the project's among them. */
  labels: Record<string, string>;
  /** `filters` narrowed to the project's objects (an engine-side label filter). */
  scoped: (filters: string[]) => string[];
  /** True when an object with these labels is the project's (what `scoped` cannot say for ''). */
  owns: (labels: Record<string, string> | undefined | null) => boolean;
  stopTimeoutSeconds: number;
  pollMs: number;
  settleMs: number;
  networkReleaseMs: number;
  engine: <T>(call: () => Promise<T>) => Promise<T>;
  /** Every managed container of an environment, stopped ones included: one list call. */
  listEnvironment: (environment: string) => Promise<Docker.ContainerInfo[]>;
  /** Stops (optionally) and removes a container with its anonymous volumes; gone already is fine. */
  removeContainer: (id: string, stopFirst: boolean) => Promise<void>;
}

export function dockerClient(options: { docker?: Docker; socketPath?: string; project?: string; labels?: Record<string, string>; stopTimeoutSeconds?: number; pollMs?: number; settleMs?: number; networkReleaseMs?: number }): DockerClient {
  const project = options.project ?? '';
  const scoped = (filters: string[]) => [...filters, ...projectFilters(project)];
  const owns = (labels: Record<string, string> | undefined | null) => ownedBy(project, labels);
  const docker = options.docker ?? connectEngine(options.socketPath);
  const endpoint = endpointOf(docker, options.socketPath);
  const stopTimeoutSeconds = options.stopTimeoutSeconds ?? 3;

  async function engine<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (isUnreachable(err)) throw unreachableError(endpoint, err);
      throw err;
    }
  }

  async function removeContainer(id: string, stopFirst: boolean): Promise<void> {
    const c = docker.getContainer(id);
    try {
      if (stopFirst) await engine(() => c.stop({ t: stopTimeoutSeconds }));
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

  return {
    docker,
    project,
    labels: { ...options.labels, ...projectLabels(project) },
    scoped,
    owns,
    stopTimeoutSeconds,
    pollMs: options.pollMs ?? 250,
    settleMs: options.settleMs ?? 1000,
    networkReleaseMs: options.networkReleaseMs ?? NETWORK_RELEASE_MS,
    engine,
    listEnvironment: async (environment) =>
      (await engine(() => docker.listContainers({ all: true, filters: { label: scoped([`${LABELS.managed}=true`, `${LABELS.environment}=${environment}`]) } }))).filter((c) => owns(c.Labels)),
    removeContainer,
  };
}
