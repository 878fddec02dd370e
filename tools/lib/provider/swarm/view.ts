// Drift views of swarm services: the desired side from the ServiceSpec the provider would
// send, the actual side from the spec the engine stores (listServices returns it whole), both
// through one extractor, with network ids and image ids read back as names.
import type Docker from 'dockerode';
import { LABELS, type DesiredWorkload } from '../types.js';
import { bytesToMb, envView, healthView, identityLabels, nanoToCores, nofile, positive, sortedCaps, type WorkloadView } from '../view.js';
import { buildServiceSpec, healthOf, planNetwork, secretFileView, secretName } from './service-spec.js';

/** Engine ids read back as the names a person knows them by. */
export interface SwarmNames {
  network(id: string): string;
  image(id: string): string;
}

export function serviceView(spec: Docker.ServiceSpec | undefined, names: SwarmNames, d: DesiredWorkload | undefined): WorkloadView {
  const task = (spec?.TaskTemplate ?? {}) as Docker.ContainerTaskSpec;
  const c = task.ContainerSpec ?? {};
  const limits = task.Resources?.Limits ?? {};
  const tmp = (c.Mounts ?? []).find((m) => m.Type === 'tmpfs' && m.Target === '/tmp');
  const size = tmp?.TmpfsOptions?.SizeBytes;
  const caps = c as Docker.ContainerSpec & { CapabilityAdd?: string[]; CapabilityDrop?: string[] };
  return {
    image: names.image(c.Image ?? ''),
    command: commandOf(c),
    env: envView(c.Env ?? [], new Set(Object.keys(d?.env ?? {}))),
    secrets: Object.fromEntries((c.Secrets ?? []).map((s): [string, string] => [String(s.File?.Name ?? s.SecretName ?? ''), secretFileView(s)]).sort()),
    resources: {
      cpuCores: nanoToCores(limits.NanoCPUs),
      memoryMb: bytesToMb(limits.MemoryBytes),
      swapMb: null,
      pids: positive((limits as { Pids?: number }).Pids),
      maxOpenFds: nofile((c as { Ulimits?: unknown }).Ulimits),
      diskMb: tmp ? (size ? bytesToMb(size) : 0) : null,
      cpuShares: null,
      cpusetCpus: null,
    },
    network: {
      mode: 'overlay',
      networks: (task.Networks ?? []).map((n) => names.network(n.Target ?? '')).sort(),
      published: (spec?.EndpointSpec?.Ports ?? []).map((p) => `${p.TargetPort}/${p.Protocol ?? 'tcp'}:${p.PublishedPort ?? ''}`).sort(),
    },
    sandbox: {
      readOnlyRootfs: c.ReadOnly === true,
      // Swarm 20.10 stores no NoNewPrivileges (reported as unenforceable): false on both sides.
      noNewPrivileges: false,
      capDrop: sortedCaps(caps.CapabilityDrop),
      capAdd: sortedCaps(caps.CapabilityAdd),
      privileged: false,
      user: c.User ?? '',
    },
    healthCheck: healthView(healthOf(c)),
    restart: task.RestartPolicy?.Condition ?? 'any',
    labels: identityLabels(spec?.Labels, LABELS.spec),
  };
}

/** The desired view: the spec buildServiceSpec would send, with names where it sends ids. */
export function desiredServiceView(
  d: DesiredWorkload,
  image: { id: string; user: string },
  names: SwarmNames,
  options: { labels: Record<string, string>; project?: string; monitorSeconds: number; stopGraceSeconds: number },
): WorkloadView {
  const plan = planNetwork(d, options.project);
  const spec = buildServiceSpec(d, {
    image: image.id,
    imageUser: image.user,
    networks: new Map(plan.networks.map((n) => [n.name, n.name])),
    secrets: new Map(d.secrets.map((s) => [s.name, { id: '', name: s.from === 'swarm' ? s.key : secretName(d, s, options.project) }])),
    labels: options.labels,
    ...(options.project ? { project: options.project } : {}),
    monitorSeconds: options.monitorSeconds,
    stopGraceSeconds: options.stopGraceSeconds,
  });
  return serviceView(spec, names, d);
}

/** The command a task runs: Command then Args, as the engine joins them (null: the image's own). */
function commandOf(c: Docker.ContainerSpec): string[] | null {
  const command = (c.Command as string[] | undefined) ?? [];
  const args = (c.Args as string[] | undefined) ?? [];
  return command.length || args.length ? [...command, ...args] : null;
}
