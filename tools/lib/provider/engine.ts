// What both engines' clients share: where the engine is, the one wording of "it does not
// answer", and waiting between polls.
import type Docker from 'dockerode';
import { EngineUnreachableError } from './errors.js';

/** The engine's address as a person would type it: a socket path or host:port. */
export function endpointOf(docker: Docker, socketPath?: string): string {
  // docker-modem keeps its default socket as a function until it connects: only a string is an address.
  const modem = docker.modem as { socketPath?: unknown; host?: string; port?: number | string };
  if (socketPath) return socketPath;
  if (modem.host) return `${modem.host}:${modem.port ?? ''}`;
  return typeof modem.socketPath === 'string' ? modem.socketPath : '/var/run/docker.sock';
}

/** The error for an endpoint that does not answer (see isUnreachable). */
export function unreachableError(endpoint: string, err: NodeJS.ErrnoException): EngineUnreachableError {
  return new EngineUnreachableError(
    err.code === 'EACCES'
      ? `the Docker engine at ${endpoint} refuses this user (permission denied) — run as root or join the docker group`
      : `the Docker engine at ${endpoint} does not answer — start dockerd or run npm run setup`,
  );
}

export const sleep = (ms: number): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, ms));
