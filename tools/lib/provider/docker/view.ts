// Drift views of docker containers: the desired side from the create body the provider would
// send, the actual side from `inspect`, through one extractor. What the image supplies on its
// own (its command, env, user, health check) is normalised away on both sides.
import type Docker from 'dockerode';
import { shownDigest } from '../../secrets/digest.js';
import { SECRETS_DIR } from '../secret-files.js';
import { LABELS, type DesiredWorkload, type ResolvedSecret } from '../types.js';
import { bytesToMb, envView, healthView, identityLabels, nanoToCores, nofile, positive, sortedCaps, sortKeys, type WorkloadView } from '../view.js';
import { DOCKER_LABELS, RESTART_POLICY, createBody, deliveredSecrets, planNetwork } from './container-spec.js';
import { fromLabels } from '../labels.js';

/** What an image gives a container when the create body leaves it out. */
export interface ImageDefaults {
  cmd: string[] | null;
  env: string[];
  user: string;
  healthcheck: Docker.HealthConfig | null;
}

export const NO_IMAGE_DEFAULTS: ImageDefaults = { cmd: null, env: [], user: '', healthcheck: null };

export function imageDefaults(info: Docker.ImageInspectInfo | undefined): ImageDefaults {
  const c = info?.Config;
  return { cmd: c?.Cmd ?? null, env: c?.Env ?? [], user: c?.User ?? '', healthcheck: c?.Healthcheck ?? null };
}

/** The parts of a container drift reads: a create body and an inspect answer both fit. */
interface ContainerShape {
  image: string;
  cmd: string[] | null | undefined;
  env: string[] | null | undefined;
  user: string | undefined;
  healthcheck: Docker.HealthConfig | null | undefined;
  labels: Record<string, string> | undefined;
  host: Docker.HostConfig;
  networks: string[];
  /** Secret name → keyed digest of the files at /run/secrets. */
  secrets: Record<string, string>;
}

/** Secret name → shown keyed digest: the label of a secrets volume, and what drift compares. */
export function secretDigests(secrets: readonly ResolvedSecret[]): Record<string, string> {
  return sortKeys(Object.fromEntries(secrets.map((s) => [s.name, shownDigest(s.digest)])));
}

/** The digests recorded on the volume a container mounts at /run/secrets ({} when none). */
export function mountedSecretDigests(
  mounts: readonly { Type?: string; Name?: string; Destination?: string }[] | undefined,
  volumes: ReadonlyMap<string, Record<string, string>>,
): Record<string, string> {
  const m = (mounts ?? []).find((x) => x.Type === 'volume' && x.Destination === SECRETS_DIR);
  if (!m) return {};
  const label = m.Name ? volumes.get(m.Name)?.[LABELS.secrets] : undefined;
  try {
    if (label) return JSON.parse(label) as Record<string, string>;
  } catch {
    // shown as unknown below
  }
  return { '(unknown)': `volume ${m.Name ?? '?'} records no secrets` };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function tmpfsMb(tmpfs: Record<string, string> | undefined): number | null {
  const m = /(?:^|,)size=(\d+)([kmg]?)/i.exec(tmpfs?.['/tmp'] ?? '');
  if (!m) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const n = Number(m[1]);
  return unit === 'g' ? n * 1024 : unit === 'k' ? n / 1024 : unit === 'm' ? n : n / (1024 * 1024);
}

function published(bindings: Docker.PortMap | undefined): string[] {
  return Object.entries(bindings ?? {})
    .flatMap(([port, hosts]) => (hosts ?? []).map((h) => `${port}:${h.HostPort}`))
    .sort();
}

function view(c: ContainerShape, image: ImageDefaults, declared: ReadonlySet<string>): WorkloadView {
  const h = c.host;
  const imageEnv = new Set(image.env);
  const env = (c.env ?? []).filter((e) => !imageEnv.has(e));
  const memory = positive(h.Memory);
  const swap = memory === null ? null : h.MemorySwap === -1 ? -1 : ((positive(h.MemorySwap) ?? memory * 2) - memory) / (1024 * 1024);
  const health = c.healthcheck && !same(c.healthcheck, image.healthcheck) ? healthView(c.healthcheck) : null;
  const cmd = c.cmd?.length && !same(c.cmd, image.cmd) ? [...c.cmd] : null;
  return {
    image: c.image,
    command: cmd,
    env: envView(env, declared),
    secrets: c.secrets,
    resources: {
      cpuCores: nanoToCores(h.NanoCpus),
      memoryMb: bytesToMb(h.Memory),
      swapMb: swap,
      pids: positive(h.PidsLimit),
      maxOpenFds: nofile(h.Ulimits),
      diskMb: tmpfsMb(h.Tmpfs),
      cpuShares: positive(h.CpuShares),
      cpusetCpus: h.CpusetCpus || null,
    },
    network: { mode: h.NetworkMode ?? 'default', networks: [...c.networks].sort(), published: published(h.PortBindings as Docker.PortMap | undefined) },
    sandbox: {
      readOnlyRootfs: h.ReadonlyRootfs === true,
      noNewPrivileges: ((h.SecurityOpt as string[] | undefined) ?? []).some((o) => /^no-new-privileges(:true|=true)?$/.test(o)),
      capDrop: sortedCaps(h.CapDrop),
      capAdd: sortedCaps(h.CapAdd),
      privileged: h.Privileged === true,
      user: c.user && c.user !== image.user ? c.user : '',
    },
    healthCheck: health,
    restart: h.RestartPolicy?.Name || 'no',
    labels: identityLabels(c.labels, LABELS.spec),
  };
}

/**
 * The names whose values a view may show: git's plain env, minus every name that is a secret
 * in git or was one when the container was created (its recorded spec), so a name moved
 * between secrets and env never shows the value the engine holds.
 */
function declaredOf(d: DesiredWorkload | undefined, wasSecret: readonly string[] = []): Set<string> {
  const secret = new Set([...(d?.secrets ?? []).map((s) => s.name), ...wasSecret]);
  return new Set(Object.keys(d?.env ?? {}).filter((k) => !secret.has(k)));
}

/** The secret names a container's mnops.spec label records: a secret stays one in its view, whatever git says now. */
function recordedSecrets(labels: Record<string, string> | undefined): string[] {
  const secrets = fromLabels(labels)?.spec?.secrets;
  return Array.isArray(secrets) ? secrets.flatMap((s: { name?: unknown }) => (typeof s?.name === 'string' ? [s.name] : [])) : [];
}

/** The view of replica `replica` as the provider would create it, once it passed its rollout. */
export function desiredContainerView(d: DesiredWorkload, replica: number, image: ImageDefaults, extraLabels: Record<string, string> = {}, project = ''): WorkloadView {
  const body = createBody(d, replica, { labels: extraLabels, project });
  const plan = planNetwork(d, project);
  const v = view(
    {
      image: body.Image ?? d.image,
      cmd: body.Cmd,
      env: body.Env,
      user: body.User,
      healthcheck: body.Healthcheck,
      labels: body.Labels,
      host: body.HostConfig ?? {},
      networks: plan.mode === 'none' ? ['none'] : plan.networks.map((n) => n.name),
      secrets: secretDigests(deliveredSecrets(d)),
    },
    image,
    declaredOf(d),
  );
  return { ...v, restart: RESTART_POLICY.Name };
}

/**
 * The view of a running (or stopped) container, as `inspect` reports it; its secrets as the
 * digests recorded on the volume it mounts (`volumes`: labels by volume name).
 */
export function actualContainerView(
  info: Docker.ContainerInspectInfo,
  image: ImageDefaults,
  d: DesiredWorkload | undefined,
  volumes: ReadonlyMap<string, Record<string, string>> = new Map(),
): WorkloadView {
  const config = info.Config as Docker.ContainerInspectInfo['Config'] & { Healthcheck?: Docker.HealthConfig };
  return view(
    {
      image: config.Image,
      cmd: config.Cmd,
      env: config.Env,
      user: config.User,
      healthcheck: config.Healthcheck,
      labels: config.Labels,
      host: info.HostConfig,
      networks: Object.keys(info.NetworkSettings?.Networks ?? {}),
      secrets: mountedSecretDigests(info.Mounts, volumes),
    },
    image,
    declaredOf(d, recordedSecrets(config.Labels)),
  );
}

/** The replica index a container carries (0 when started by hand without one). */
export function replicaOf(labels: Record<string, string> | undefined): number {
  const n = Number(labels?.[DOCKER_LABELS.replica] ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
