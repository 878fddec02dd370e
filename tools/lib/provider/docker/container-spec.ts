// Pure mapping of a DesiredWorkload onto Docker Engine objects (API 1.41): container names,
// labels, the create body, the network plan, what the engine cannot enforce, and the
// comparison of what was asked with what `inspect` says the engine applied. No I/O here.
import type Docker from 'dockerode';
import { managedLabels } from '../labels.js';
import { namePrefix } from '../project.js';
import { SECRETS_DIR } from '../secret-files.js';
import type { DesiredWorkload, ResolvedSecret, Unenforceable } from '../types.js';
import { caps, health, list, mismatches, num, ulimits, type Mismatch } from '../workload/compare.js';
import { healthConfig } from '../workload/health.js';
import { pidsLimit } from '../workload/limits.js';
import { hasHostPort, policyOf, type NetworkPolicy } from '../workload/network.js';
import { inReportOrder, sharedReport } from '../workload/unenforceable.js';
import { MB, NS } from '../workload/units.js';

export type { Mismatch } from '../workload/compare.js';

/**
 * Docker-only labels beside LABELS: the replica index and the desired replica count; what an
 * object holding secrets or the digest key is for (secret-volume.ts), and the key itself.
 */
export const DOCKER_LABELS = { replica: 'mnops.replica', replicas: 'mnops.replicas', role: 'mnops.role', digestKey: 'mnops.digest-key' } as const;

/** The restart policy of a replica that passed its rollout (survives an engine restart). */
export const RESTART_POLICY = { Name: 'unless-stopped', MaximumRetryCount: 0 } as const;

/** The per-environment networks: `mnops[-<project>]-<env>` routes out (NAT), `…-<env>-internal` does not. */
export function networkNames(environment: string, project = ''): { egress: string; internal: string } {
  const base = `${namePrefix(project)}-${environment}`;
  return { egress: base, internal: `${base}-internal` };
}

export interface NetworkAttachment {
  name: string;
  /** Docker `Internal`: no gateway, no NAT, no published ports. */
  internal: boolean;
}

export interface NetworkPlan {
  policy: NetworkPolicy;
  /** HostConfig.NetworkMode: `none` or the primary network. */
  mode: string;
  /** Every network the container joins, primary first (the others are connected before start). */
  networks: NetworkAttachment[];
  /** Declared ports are exposed (ExposedPorts) to peers. */
  expose: boolean;
  /** Declared host ports are published (PortBindings). */
  publish: boolean;
}

/**
 * no-network → `none`. http-only → the internal network (peers reach it by platform name, it
 * has no route out); when it publishes a host port it must sit on the routed network too,
 * because Docker publishes nothing from an internal network (reported by unenforceable()).
 * egress-only → the routed network, nothing published; allow-all → the routed network, host
 * ports published. Both also join the internal network so they can call http-only peers.
 */
export function planNetwork(d: DesiredWorkload, project = ''): NetworkPlan {
  const policy = policyOf(d);
  const names = networkNames(d.environment, project);
  const egress = { name: names.egress, internal: false };
  const internal = { name: names.internal, internal: true };
  switch (policy) {
    case 'no-network':
      return { policy, mode: 'none', networks: [], expose: false, publish: false };
    case 'egress-only':
      return { policy, mode: egress.name, networks: [egress, internal], expose: false, publish: false };
    case 'allow-all':
      return { policy, mode: egress.name, networks: [egress, internal], expose: true, publish: true };
    case 'http-only':
      return hasHostPort(d)
        ? { policy, mode: egress.name, networks: [egress, internal], expose: true, publish: true }
        : { policy, mode: internal.name, networks: [internal], expose: true, publish: false };
  }
}

/** The first 12 alphanumerics of the spec hash (a `sha256:` prefix is skipped). */
export function shortHash(specHash: string): string {
  return specHash.replace(/^[a-z0-9]+:/i, '').replace(/[^a-z0-9]/gi, '').slice(0, 12).toLowerCase();
}

/** A docker workload's opaque id: its replicas are found by their labels, not by it. */
export function workloadId(environment: string, platform: string): string {
  return `mnops-${environment}-${platform}`;
}

/** `mnops[-<project>]-<environment>-<platform>-<short spec hash>-<replica>[-<generation>]`. */
export function containerName(d: DesiredWorkload, replica: number, generation?: string, project = ''): string {
  const base = `${namePrefix(project)}-${d.environment}-${d.platform}-${shortHash(d.specHash)}-${replica}`;
  return generation ? `${base}-${generation}` : base;
}

export function containerLabels(d: DesiredWorkload, replica: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    ...managedLabels(d),
    [DOCKER_LABELS.replica]: String(replica),
    [DOCKER_LABELS.replicas]: String(d.replicas),
  };
}


/** `NAME=value` of the plain env. Secrets are files (secretsMount), never variables. */
export function environment(d: DesiredWorkload): string[] {
  return Object.entries(d.env).map(([k, v]) => `${k}=${v}`);
}

/** The secrets a docker workload receives: `from: swarm` ones exist only on swarm. */
export function deliveredSecrets(d: Pick<DesiredWorkload, 'secrets'>): ResolvedSecret[] {
  return d.secrets.filter((s) => s.from !== 'swarm');
}

/** `mnops[-<project>]-<env>-<platform>-<short spec hash>[-<generation>]-secrets`: one per rollout. */
export function secretVolumeName(d: Pick<DesiredWorkload, 'environment' | 'platform' | 'specHash'>, generation?: string, project = ''): string {
  return `${namePrefix(project)}-${d.environment}-${d.platform}-${shortHash(d.specHash)}${generation ? `-${generation}` : ''}-secrets`;
}

/** The read-only mount of the rollout's secrets volume at /run/secrets, or undefined without secrets. */
export function secretsMount(d: DesiredWorkload, generation?: string, project = ''): Docker.MountSettings | undefined {
  if (deliveredSecrets(d).length === 0) return undefined;
  return {
    Type: 'volume',
    Source: secretVolumeName(d, generation, project),
    Target: SECRETS_DIR,
    ReadOnly: true,
    VolumeOptions: { NoCopy: true } as Docker.MountSettings['VolumeOptions'],
  };
}

export interface SpecOptions {
  /** Extra labels on everything created (e.g. a CI run id). */
  labels?: Record<string, string>;
  /** Seconds `docker stop` waits before SIGKILL. */
  stopTimeoutSeconds?: number;
  /** Appended to the name when the plain name is taken (same spec hash replaced in place). */
  generation?: string;
  /** The project whose names the objects get (empty: the plain `mnops-…` names). */
  project?: string;
}

export function createBody(d: DesiredWorkload, replica: number, opts: SpecOptions = {}): Docker.ContainerCreateOptions {
  const net = planNetwork(d, opts.project);
  const r = d.resources;
  const readOnly = d.sandbox.readOnlyRootfs === true;
  const host: Docker.HostConfig = {
    NetworkMode: net.mode,
    ReadonlyRootfs: readOnly,
    SecurityOpt: d.sandbox.noNewPrivileges ? ['no-new-privileges:true'] : [],
    CapDrop: [...(d.sandbox.capDrop ?? [])],
    // No restarts while a rollout watches it (an exit is final, with its code); the provider
    // switches to RESTART_POLICY once the replica is healthy.
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
    LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
  };
  if (r.cpuCores !== undefined) host.NanoCpus = Math.round(r.cpuCores * NS);
  if (r.memoryMb !== undefined) {
    host.Memory = r.memoryMb * MB;
    host.MemorySwap = r.memoryMb * MB; // equal to Memory: no swap
  }
  const pids = pidsLimit(d);
  if (pids !== undefined) host.PidsLimit = pids;
  if (r.maxOpenFds !== undefined) host.Ulimits = [{ Name: 'nofile', Soft: r.maxOpenFds, Hard: r.maxOpenFds }];
  // A read-only root leaves /tmp as the only writable place; its size bounds the disk used.
  if (readOnly) host.Tmpfs = { '/tmp': `rw,nosuid,nodev,noexec${r.diskMb !== undefined ? `,size=${r.diskMb}m` : ''}` };
  const secrets = secretsMount(d, opts.generation, opts.project);
  if (secrets) host.Mounts = [secrets];

  const body: Docker.ContainerCreateOptions = {
    name: containerName(d, replica, opts.generation, opts.project),
    Image: d.image,
    Env: environment(d),
    Labels: containerLabels(d, replica, opts.labels),
    HostConfig: host,
  };
  if (d.command?.length) body.Cmd = [...d.command];
  if (d.sandbox.user) body.User = d.sandbox.user;
  if (opts.stopTimeoutSeconds !== undefined) body.StopTimeout = opts.stopTimeoutSeconds;
  if (net.expose && d.ports.length) {
    body.ExposedPorts = Object.fromEntries(d.ports.map((p) => [portKey(p), {}]));
  }
  // Only replica 0 can bind a host port: the others would collide on the same host.
  if (net.publish && replica === 0 && hasHostPort(d)) {
    host.PortBindings = Object.fromEntries(
      d.ports.filter((p) => p.hostPort !== undefined).map((p) => [portKey(p), [{ HostPort: String(p.hostPort) }]]),
    );
  }
  if (net.mode !== 'none') body.NetworkingConfig = { EndpointsConfig: { [net.mode]: { Aliases: [d.platform] } } };
  const check = healthConfig(d);
  if (check) body.Healthcheck = check;
  return body;
}

function portKey(p: DesiredWorkload['ports'][number]): string {
  return `${p.containerPort}/${p.protocol ?? 'tcp'}`;
}

/** Every declared setting the docker provider cannot enforce as declared. */
export function unenforceable(d: DesiredWorkload): Unenforceable[] {
  const net = planNetwork(d);
  const out = sharedReport(d, net, {
    diskQuota: 'overlay2 has no per-container disk quota without xfs project quotas',
    publishRoutesOut: 'Docker publishes only from a routed network, which the container then joins',
  });
  const add = (field: string, reason: string) => out.push({ platform: d.platform, field, reason });
  for (const p of d.ports) {
    if (p.hostPort !== undefined && d.replicas > 1 && net.publish) add(`ports.${p.name}.hostPort`, `host port ${p.hostPort} can be bound once per host: only replica 0 publishes it`);
  }
  for (const s of d.secrets) {
    if (s.from === 'swarm') add(`secrets.${s.name}`, `refers to the swarm secret ${s.key}, which only swarm services can mount: not injected`);
  }
  return inReportOrder(out);
}

// ---- what the engine applied -------------------------------------------------------------

/**
 * Compares the asked body with `inspect` output, field by field. Env is never compared (nor
 * returned), so a mismatch report cannot leak a secret.
 */
export function verifyApplied(
  body: Docker.ContainerCreateOptions,
  info: Docker.ContainerInspectInfo,
  /** Networks the container must be attached to (`none` for no network). */
  networks?: string[],
): Mismatch[] {
  const asked = body.HostConfig ?? {};
  const got = info.HostConfig;
  const { check, found } = mismatches();
  check('NanoCpus', num(asked.NanoCpus), num(got.NanoCpus));
  check('Memory', num(asked.Memory), num(got.Memory));
  check('MemorySwap', num(asked.MemorySwap), num(got.MemorySwap));
  check('PidsLimit', num(asked.PidsLimit), num(got.PidsLimit));
  check('Ulimits', ulimits(asked.Ulimits), ulimits(got.Ulimits));
  check('ReadonlyRootfs', asked.ReadonlyRootfs === true, got.ReadonlyRootfs === true);
  check('Tmpfs', asked.Tmpfs ?? {}, got.Tmpfs ?? {});
  const mounts = (v: unknown) => (list(v) as Docker.MountSettings[]).map((m) => ({ Type: m.Type, Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly === true }));
  check('Mounts', mounts(asked.Mounts), mounts(got.Mounts));
  check('SecurityOpt', [...list(asked.SecurityOpt)].sort(), [...list(got.SecurityOpt)].sort());
  check('CapDrop', caps(asked.CapDrop), caps(got.CapDrop));
  check('User', body.User ?? '', info.Config.User ?? '');
  check('NetworkMode', asked.NetworkMode ?? 'default', got.NetworkMode);
  if (networks) check('Networks', [...networks].sort(), Object.keys(info.NetworkSettings.Networks ?? {}).sort());
  check('Healthcheck', health(body.Healthcheck), health((info.Config as { Healthcheck?: Docker.HealthConfig }).Healthcheck));
  return found;
}
