// The docker provider's hold on the engine: the client, the settings every part shares, and
// the one wrapper every engine call goes through (a dead endpoint becomes EngineUnreachableError).
import Docker from 'dockerode';
import { endpointOf, unreachableError } from '../engine.js';
import { EngineUnreachableError, isUnreachable, statusOf } from '../errors.js';
import { LABELS } from '../types.js';

export interface DockerClient {
  docker: Docker;
  /** Extra labels on every container and network created. */
  labels: Record<string, string>;
  stopTimeoutSeconds: number;
  pollMs: number;
  settleMs: number;
  engine: <T>(call: () => Promise<T>) => Promise<T>;
  /** Every managed container of an environment, stopped ones included: one list call. */
  listEnvironment: (environment: string) => Promise<Docker.ContainerInfo[]>;
  /** Stops (optionally) and removes a container with its anonymous volumes; gone already is fine. */
  removeContainer: (id: string, stopFirst: boolean) => Promise<void>;
}

export function dockerClient(options: { docker?: Docker; socketPath?: string; labels?: Record<string, string>; stopTimeoutSeconds?: number; pollMs?: number; settleMs?: number }): DockerClient {
  const docker = options.docker ?? new Docker(options.socketPath ? { socketPath: options.socketPath } : undefined);
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
    labels: options.labels ?? {},
    stopTimeoutSeconds,
    pollMs: options.pollMs ?? 250,
    settleMs: options.settleMs ?? 1000,
    engine,
    listEnvironment: (environment) =>
      engine(() => docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.environment}=${environment}`] } })),
    removeContainer,
  };
}
