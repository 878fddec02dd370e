// What both engines' clients share: connecting to the engine and where it is, the one wording
// of "it does not answer", waiting between polls, and removing a network whose endpoints are
// still going away.
import Docker from 'dockerode';
import { EngineUnreachableError, ProviderError, isUnreachable, statusOf } from './errors.js';

/**
 * A client for the engine at `socketPath`, else where DOCKER_HOST says (unix://, tcp:// with
 * DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, or ssh://). An explicit socket wins over DOCKER_HOST:
 * docker-modem would otherwise keep a tcp:// host from the environment and ignore the socket.
 */
export function connectEngine(socketPath?: string): Docker {
  try {
    return new Docker(socketPath ? { socketPath, host: undefined, port: undefined, protocol: 'http' } : undefined);
  } catch (err) {
    // docker-modem reads the TLS files while it is built: a wrong DOCKER_CERT_PATH throws here.
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') {
      throw new ProviderError(
        `cannot read the engine's TLS file ${e.path ?? '(unknown)'} (${e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : 'a folder'})`,
        'point DOCKER_CERT_PATH at the folder holding ca.pem, cert.pem and key.pem for DOCKER_HOST',
      );
    }
    if (err instanceof Error && /DOCKER_HOST/.test(err.message)) {
      throw new ProviderError(`DOCKER_HOST=${process.env.DOCKER_HOST ?? ''} is not an engine address`, 'use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://USER@HOST');
    }
    throw err;
  }
}

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

/** How long a teardown waits for a network's endpoints to go: the engine can count a removed
 * container's endpoint for seconds, longer when it is busy. An endpoint it never releases
 * (no container holds it; only a daemon restart clears it) is reported after this. */
export const NETWORK_RELEASE_MS = 60_000;

/** What keeps a network that refused to go, for teardown's report: the containers still on
 * it (mnops removed its own, so these are someone else's), or, when none is, the endpoint
 * the engine never released, which only a restart of the daemon clears. */
export async function networkHolders(inspect: () => Promise<{ Containers?: Record<string, { Name?: string }> | null }>): Promise<string> {
  let info: { Containers?: Record<string, { Name?: string }> | null };
  try {
    info = await inspect();
  } catch {
    return 'the engine would not say what holds it';
  }
  // An overlay lists its load balancer as `lb-<network>`: the network's own, not a holder.
  const names = Object.entries(info.Containers ?? {}).flatMap(([id, c]) => (c.Name && !id.startsWith('lb-') ? [c.Name] : []));
  return names.length
    ? `held by container ${names.sort().join(', ')}, which mnops does not manage`
    : 'no container holds it: the engine kept a stale endpoint, which only a restart of dockerd releases';
}

/** Removes a network, trying again every `pollMs` while the engine still counts endpoints of
 * containers or tasks that were just removed (they linger after the remove returns). Returns
 * the engine's last refusal once `withinMs` has passed, or undefined once the network is
 * gone; an engine that does not answer throws at once. */
export async function removeNetworkOnceFree(remove: () => Promise<unknown>, pollMs: number, withinMs = NETWORK_RELEASE_MS): Promise<unknown> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      await remove();
      return undefined;
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      if (err instanceof EngineUnreachableError || isUnreachable(err)) throw err;
      if (Date.now() + pollMs >= deadline) return err;
      await sleep(pollMs);
    }
  }
}
