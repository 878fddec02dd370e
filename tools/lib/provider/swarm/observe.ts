// What swarm runs for an environment: one workload per service (its running tasks grouped into
// generations by spec hash, the service's own spec serving), and for drift every service's
// view. One listServices and one listTasks per environment; nothing per service.
import type Docker from 'dockerode';
import { fromLabels } from '../labels.js';
import { LABELS, type ActualWorkload, type DesiredWorkload, type WorkloadGeneration } from '../types.js';
import type { DriftObservation, ObservedInstance, WorkloadView } from '../view.js';
import type { SwarmClient, SwarmTask } from './client.js';
import { desiredServiceView, serviceView, type SwarmNames } from './view.js';

/**
 * A service as a workload. Swarm holds a task in `starting` until its health check passes and
 * fails it when it turns unhealthy, so a running task of a service with a health check is a
 * healthy one. The tasks of another spec (a rollout in flight) are generations of their own.
 */
export function toActual(svc: Docker.Service, tasks: SwarmTask[]): ActualWorkload | undefined {
  const identity = fromLabels(svc.Spec?.Labels);
  if (!identity) return undefined;
  const running = tasks.filter((t) => t.ServiceID === svc.ID && t.DesiredState === 'running' && t.Status?.State === 'running');
  const replicas = svc.Spec?.Mode?.Replicated?.Replicas ?? 0;
  const bySpec = new Map<string, SwarmTask[]>();
  for (const t of running) {
    const spec = t.Spec?.ContainerSpec?.Labels?.[LABELS.specHash] ?? identity.specHash;
    bySpec.set(spec, [...(bySpec.get(spec) ?? []), t]);
  }
  const generation = (specHash: string, members: SwarmTask[], version: string): WorkloadGeneration => {
    const started = members.map((t) => t.Status?.Timestamp).filter((s): s is string => !!s).sort();
    return { version, specHash, instances: members.map((t) => t.ID), running: members.length, healthy: true, ...(started[0] ? { since: started[0] } : {}) };
  };
  const serving = generation(identity.specHash, bySpec.get(identity.specHash) ?? [], identity.version);
  serving.healthy = serving.running >= replicas;
  const others = [...bySpec]
    .filter(([spec]) => spec !== identity.specHash)
    .map(([spec, members]) => generation(spec, members, members[0]?.Spec?.ContainerSpec?.Labels?.[LABELS.version] ?? ''));
  return {
    ...identity,
    id: svc.ID,
    running: serving.running,
    replicas,
    healthy: serving.healthy,
    ...(serving.since ? { since: serving.since } : {}),
    generations: [serving, ...others],
  };
}

export function swarmObserver(client: SwarmClient, resolveImage: (ref: string) => Promise<{ id: string; user: string }>) {
  const { docker, engine, listServices, tasksOf } = client;

  async function list(environment: string): Promise<ActualWorkload[]> {
    const services = await listServices(environment);
    const tasks = await tasksOf(services.map((s) => s.ID));
    return services
      .map((s) => toActual(s, tasks))
      .filter((a): a is ActualWorkload => a !== undefined)
      .sort((a, b) => a.platform.localeCompare(b.platform));
  }

  /** Drift: one listServices (it carries every spec), one listTasks, one listNetworks, and one
   * image inspect per distinct desired image. Nothing per service. */
  async function observe(environment: string, desired: DesiredWorkload[]): Promise<DriftObservation> {
    let calls = 3;
    const [services, nets] = await Promise.all([
      listServices(environment),
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
    const options = { labels: client.labels, project: client.project, monitorSeconds: client.monitorSeconds, stopGraceSeconds: client.stopGraceSeconds };
    const desiredViews = new Map<string, WorkloadView[]>(
      desired.map((d) => [d.platform, [desiredServiceView(d, images.get(d.image) ?? { id: d.image, user: '' }, names, options)]]),
    );
    return { desired: desiredViews, instances: instances.sort((a, b) => a.platform.localeCompare(b.platform)), replicas, calls };
  }

  return { list, observe };
}
