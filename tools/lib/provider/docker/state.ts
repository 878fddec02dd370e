// Actual state from one `listContainers` answer: health is read from the list's Status text;
// only a running container whose Status the list cannot decide needs an inspect. Pure.
import type Docker from 'dockerode';
import { fromLabels } from '../labels.js';
import { LABELS, type ActualWorkload, type WorkloadGeneration } from '../types.js';
import { DOCKER_LABELS, workloadId } from './container-spec.js';

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

/**
 * One ActualWorkload per platform. Its containers are grouped into generations by spec hash
 * (old and new replicas of a rollout that did not finish are apart); the generation that
 * serves — most healthy replicas, then the newest — comes first and gives the fields.
 */
export function groupContainers(
  environment: string,
  containers: Docker.ContainerInfo[],
  health: ReadonlyMap<string, ReplicaHealth>,
): ActualWorkload[] {
  const platforms = new Map<string, Map<string, Docker.ContainerInfo[]>>();
  for (const c of containers) {
    if (!fromLabels(c.Labels)) continue;
    const platform = c.Labels[LABELS.platform]!;
    const bySpec = platforms.get(platform) ?? new Map<string, Docker.ContainerInfo[]>();
    const spec = c.Labels[LABELS.specHash] ?? '';
    bySpec.set(spec, [...(bySpec.get(spec) ?? []), c]);
    platforms.set(platform, bySpec);
  }
  const out: ActualWorkload[] = [];
  for (const [platform, bySpec] of platforms) {
    const generations = [...bySpec.values()].map((members) => generationOf(members, health));
    generations.sort((a, b) => b.up - a.up || b.newest - a.newest);
    const serving = generations[0]!;
    out.push({
      ...serving.identity,
      environment,
      id: workloadId(environment, platform),
      running: serving.generation.running,
      replicas: serving.replicas,
      healthy: serving.generation.healthy,
      ...(serving.generation.since ? { since: serving.generation.since } : {}),
      generations: generations.map((g) => g.generation),
    });
  }
  return out.sort((a, b) => a.platform.localeCompare(b.platform));
}

function generationOf(members: Docker.ContainerInfo[], health: ReadonlyMap<string, ReplicaHealth>) {
  members.sort((a, b) => Number(a.Labels[DOCKER_LABELS.replica] ?? 0) - Number(b.Labels[DOCKER_LABELS.replica] ?? 0));
  const identity = fromLabels(members[0]!.Labels)!;
  const states = members.map((c) => health.get(c.Id) ?? 'down');
  const running = states.filter((s) => s !== 'down').length;
  const declared = Math.max(...members.map((c) => Number(c.Labels[DOCKER_LABELS.replicas] ?? members.length)));
  const replicas = Number.isFinite(declared) ? declared : members.length;
  const up = members.filter((_, i) => states[i] !== 'down').map((c) => c.Created);
  const generation: WorkloadGeneration = {
    version: identity.version,
    specHash: identity.specHash,
    instances: members.map((c) => c.Id),
    running,
    healthy: running >= replicas && states.every((s) => s === 'healthy' || s === 'none'),
    ...(up.length ? { since: new Date(Math.min(...up) * 1000).toISOString() } : {}),
  };
  return {
    identity,
    replicas,
    generation,
    up: states.filter((s) => s === 'healthy' || s === 'none').length,
    newest: Math.max(...members.map((c) => c.Created)),
  };
}
