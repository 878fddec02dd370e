// Actual state from one `listContainers` answer: health is read from the list's Status text;
// only a running container whose Status the list cannot decide needs an inspect. Pure.
import type Docker from 'dockerode';
import { fromLabels } from '../labels.js';
import { LABELS, type ActualWorkload } from '../types.js';
import { DOCKER_LABELS, shortHash } from './container-spec.js';

/** `none`: running without a health check. `down`: not running (created, exited, dead, paused, …). */
export type ReplicaHealth = 'healthy' | 'unhealthy' | 'starting' | 'none' | 'down';

/** Health as `docker ps` shows it, or undefined when the list cannot tell (inspect then). */
export function healthFromList(state: string, status: string): ReplicaHealth | undefined {
  if (state !== 'running') return 'down';
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  if (/^Up\b/.test(status) && !status.includes('(')) return 'none';
  return undefined;
}

/** Health from `inspect` (State.Health.Status when a check is declared). */
export function healthFromInspect(info: Docker.ContainerInspectInfo): ReplicaHealth {
  if (!info.State.Running) return 'down';
  const h = info.State.Health?.Status;
  if (h === 'healthy' || h === 'unhealthy' || h === 'starting') return h;
  return 'none';
}

/** One ActualWorkload per (platform, spec hash): old and new replicas of a rollout are apart. */
export function groupContainers(
  environment: string,
  containers: Docker.ContainerInfo[],
  health: ReadonlyMap<string, ReplicaHealth>,
): ActualWorkload[] {
  const groups = new Map<string, Docker.ContainerInfo[]>();
  for (const c of containers) {
    if (!fromLabels(c.Labels)) continue;
    const key = `${c.Labels[LABELS.platform] ?? ''}\0${c.Labels[LABELS.specHash] ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const out: ActualWorkload[] = [];
  for (const members of groups.values()) {
    members.sort((a, b) => Number(a.Labels[DOCKER_LABELS.replica] ?? 0) - Number(b.Labels[DOCKER_LABELS.replica] ?? 0));
    const first = members[0];
    const identity = fromLabels(first?.Labels);
    if (!first || !identity) continue;
    const states = members.map((c) => health.get(c.Id) ?? 'down');
    const running = states.filter((s) => s !== 'down').length;
    const declared = Math.max(...members.map((c) => Number(c.Labels[DOCKER_LABELS.replicas] ?? members.length)));
    const replicas = Number.isFinite(declared) ? declared : members.length;
    const up = members.filter((_, i) => states[i] !== 'down').map((c) => c.Created);
    out.push({
      ...identity,
      environment,
      id: `mnops-${environment}-${identity.platform}-${shortHash(identity.specHash)}`,
      running,
      replicas,
      healthy: running >= replicas && states.every((s) => s === 'healthy' || s === 'none'),
      ...(up.length ? { since: new Date(Math.min(...up) * 1000).toISOString() } : {}),
      instances: members.map((c) => c.Id),
    });
  }
  return out.sort((a, b) => a.platform.localeCompare(b.platform) || a.version.localeCompare(b.version));
}
