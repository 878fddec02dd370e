// Pure mapping of a DesiredWorkload onto a Docker Swarm service (Engine API 1.41, Docker
// 20.10): names, the network plan, the ServiceSpec, what swarm cannot enforce, and the
// comparison of what was asked with what the engine stored. No I/O here.
import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { managedLabels } from '../labels.js';
import { namePrefix } from '../project.js';
import { LABELS, type DesiredWorkload, type ResolvedSecret, type Unenforceable } from '../types.js';
import { caps, health, list, mismatches, num, ulimits, type Mismatch } from '../workload/compare.js';
import { healthConfig } from '../workload/health.js';
import { pidsLimit } from '../workload/limits.js';
import { hasHostPort, policyOf, type NetworkPolicy } from '../workload/network.js';
import { inReportOrder, sharedReport } from '../workload/unenforceable.js';
import { MB, NS } from '../workload/units.js';

export type { Mismatch } from '../workload/compare.js';
import { SECRET_FILE_MODE, secretFileOwner } from '../secret-files.js';

/** Swarm object names: services are DNS labels (63), secrets at most 64 characters. */
const SERVICE_NAME_MAX = 63;
const SECRET_NAME_MAX = 64;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `base`, or when it is too long its head plus a hash of the whole, so it stays unique. */
function fit(base: string, max: number): string {
  if (base.length <= max) return base;
  const tail = sha256(base).slice(0, 8);
  return `${base.slice(0, max - tail.length - 1).replace(/[-_.]+$/, '')}-${tail}`;
}

/** `mnops[-<project>]-<environment>-<platform>`: one service per platform per environment. */
export function serviceName(environment: string, platform: string, project = ''): string {
  return fit(`${namePrefix(project)}-${environment}-${platform}`, SERVICE_NAME_MAX);
}

/**
 * `mnops[-<project>]-<env>-<platform>-<name>-<digest8>`. Swarm secrets are immutable, so a new value is a
 * new secret; the digest is keyed (secrets/digest.ts) and covers the owner as well as the
 * value, so equal values of different platforms do not share a name and the name says
 * nothing about the value to whoever cannot read the environment's key.
 */
export function secretName(d: Pick<DesiredWorkload, 'environment' | 'platform'>, s: Pick<ResolvedSecret, 'name' | 'digest'>, project = ''): string {
  const digest = s.digest.slice(0, 8);
  const base = `${namePrefix(project)}-${d.environment}-${d.platform}-${s.name}`;
  return `${fit(base, SECRET_NAME_MAX - digest.length - 1)}-${digest}`;
}

/**
 * The overlay networks of an environment: `mnops[-<project>]-<env>` routes out (through
 * docker_gwbridge), `…-<env>-internal` does not. `isolated` is a platform's private internal network.
 */
export function networkNames(environment: string, project = ''): { egress: string; internal: string; isolated: (platform: string) => string } {
  const base = `${namePrefix(project)}-${environment}`;
  return {
    egress: base,
    internal: `${base}-internal`,
    isolated: (platform) => `${base}-${platform}-isolated`,
  };
}

export interface SwarmNetwork {
  name: string;
  /** Overlay `Internal`: no gateway, so no route out of the swarm. */
  internal: boolean;
  /** Set for a platform's private network (no-network); shared networks leave it out. */
  platform?: string;
}

export interface NetworkPlan {
  policy: NetworkPolicy;
  /** Every overlay network the tasks join (created attachable when missing). */
  networks: SwarmNetwork[];
  /** Declared host ports are published through the routing mesh. */
  publish: boolean;
}

/**
 * no-network → a private internal overlay of the platform alone: swarm cannot attach a
 * service to `none`, and a service with no network lands on the default bridge, which routes
 * out. http-only → the environment's internal network (host ports published through the
 * mesh). egress-only → the routed network, nothing published; allow-all → the routed network,
 * host ports published. Both also join the internal network so they can call http-only peers.
 */
export function planNetwork(d: DesiredWorkload, project = ''): NetworkPlan {
  const policy = policyOf(d);
  const names = networkNames(d.environment, project);
  const egress = { name: names.egress, internal: false };
  const internal = { name: names.internal, internal: true };
  switch (policy) {
    case 'no-network':
      return { policy, networks: [{ name: names.isolated(d.platform), internal: true, platform: d.platform }], publish: false };
    case 'egress-only':
      return { policy, networks: [egress, internal], publish: false };
    case 'allow-all':
      return { policy, networks: [egress, internal], publish: true };
    case 'http-only':
      return { policy, networks: [internal], publish: hasHostPort(d) };
  }
}


/** Labels of the containers swarm starts: identity without `mnops.managed`, so the docker
 * provider, which lists managed containers, never mistakes a swarm task for its own. */
export function taskLabels(d: DesiredWorkload): Record<string, string> {
  return {
    [LABELS.platform]: d.platform,
    [LABELS.environment]: d.environment,
    [LABELS.version]: d.version,
    [LABELS.specHash]: d.specHash,
  };
}

/** What the engine-side objects the spec refers to resolved to (found or created by index.ts). */
export interface ServiceRefs {
  /** The image as tasks run it: a local image id when the reference resolves locally. */
  image: string;
  /** Network name → id. */
  networks: ReadonlyMap<string, string>;
  /** Workload secret name → the swarm secret it is delivered from. */
  secrets: ReadonlyMap<string, { id: string; name: string }>;
  /** The image's own user (Config.User), which owns the secret files when sandbox.user is unset. */
  imageUser: string;
  /** Extra labels on the service (e.g. a test-run id). */
  labels?: Record<string, string>;
  /** The project whose names the service and its networks get ('' : the plain `mnops-…` names). */
  project?: string;
  /** UpdateConfig.Monitor and RollbackConfig.Monitor, seconds. */
  monitorSeconds: number;
  /** Seconds between SIGTERM and SIGKILL when a task stops. */
  stopGraceSeconds: number;
}

export function buildServiceSpec(d: DesiredWorkload, refs: ServiceRefs): Docker.ServiceSpec {
  const net = planNetwork(d, refs.project);
  const r = d.resources;
  const readOnly = d.sandbox.readOnlyRootfs === true;
  // Only asked when there are secrets: a named user is an error for them alone.
  const owner = d.secrets.length ? secretFileOwner(d, refs.imageUser) : { uid: 0, gid: 0 };

  const container: Docker.ContainerSpec = {
    Image: refs.image,
    Labels: taskLabels(d),
    Env: Object.entries(d.env).map(([k, v]) => `${k}=${v}`),
    ReadOnly: readOnly,
    StopGracePeriod: refs.stopGraceSeconds * NS,
    Secrets: d.secrets.map((s) => {
      const ref = refs.secrets.get(s.name);
      if (!ref) throw new Error(`no swarm secret resolved for ${s.name}`);
      return { SecretID: ref.id, SecretName: ref.name, File: { Name: s.name, UID: String(owner.uid), GID: String(owner.gid), Mode: SECRET_FILE_MODE } };
    }),
  };
  if (d.command?.length) container.Args = [...d.command];
  if (d.sandbox.user) container.User = d.sandbox.user;
  if (d.sandbox.capDrop?.length) container.CapabilityDrop = [...d.sandbox.capDrop];
  if (r.maxOpenFds !== undefined) container.Ulimits = [{ Name: 'nofile', Soft: r.maxOpenFds, Hard: r.maxOpenFds }];
  // A read-only root leaves /tmp as the only writable place; its size bounds the disk used.
  if (readOnly) {
    container.Mounts = [
      // SizeBytes 0 = the engine's default (half the memory of the host).
      { Type: 'tmpfs', Target: '/tmp', Source: '', TmpfsOptions: { Mode: 0o1777, SizeBytes: r.diskMb !== undefined ? r.diskMb * MB : 0 } },
    ];
  }
  const check = healthConfig(d);
  if (check) container.HealthCheck = check;

  const limits: Docker.ResourceLimits = {};
  if (r.cpuCores !== undefined) limits.NanoCPUs = Math.round(r.cpuCores * NS);
  if (r.memoryMb !== undefined) limits.MemoryBytes = r.memoryMb * MB;
  const pids = pidsLimit(d);
  if (pids !== undefined) limits.Pids = pids;

  const monitor = refs.monitorSeconds * NS;
  const spec: Docker.ServiceSpec = {
    Name: serviceName(d.environment, d.platform, refs.project),
    Labels: { ...(refs.labels ?? {}), ...managedLabels(d) },
    TaskTemplate: {
      ContainerSpec: container,
      Resources: { Limits: limits },
      RestartPolicy: { Condition: 'any', Delay: 1 * NS, MaxAttempts: 0 },
      Networks: net.networks.map((n) => {
        const id = refs.networks.get(n.name);
        if (!id) throw new Error(`no network resolved for ${n.name}`);
        return { Target: id, Aliases: [d.platform] };
      }),
    },
    Mode: { Replicated: { Replicas: d.replicas } },
    UpdateConfig: { Parallelism: 1, Delay: 0, Order: 'start-first', FailureAction: 'rollback', Monitor: monitor, MaxFailureRatio: 0 },
    RollbackConfig: { Parallelism: 1, Delay: 0, Order: 'start-first', FailureAction: 'pause', Monitor: monitor, MaxFailureRatio: 0 },
    EndpointSpec: {
      Mode: 'vip',
      Ports: net.publish
        ? d.ports
            .filter((p) => p.hostPort !== undefined)
            .map((p) => ({ Name: p.name, Protocol: p.protocol ?? 'tcp', TargetPort: p.containerPort, PublishedPort: p.hostPort, PublishMode: 'ingress' as const }))
        : [],
    },
  };
  return spec;
}

/** Every declared setting swarm (Engine 20.10, API 1.41) cannot enforce as declared. */
export function unenforceable(d: DesiredWorkload): Unenforceable[] {
  const net = planNetwork(d);
  const out = sharedReport(d, net, {
    diskQuota: 'swarm services have no per-task disk quota (no StorageOpt in ContainerSpec)',
    publishRoutesOut: 'publishing through the routing mesh attaches docker_gwbridge',
  });
  const add = (field: string, reason: string) => out.push({ platform: d.platform, field, reason });
  if (d.sandbox.noNewPrivileges) {
    add(
      'sandbox.noNewPrivileges',
      'API 1.41 ContainerSpec.Privileges holds only CredentialSpec and SELinuxContext: swarm 20.10 drops NoNewPrivileges (set it daemon-wide with dockerd --no-new-privileges)',
    );
  }
  if (net.policy === 'no-network') {
    add(
      'network.policy',
      'swarm cannot attach a service to the none network (and with no network a task lands on the default bridge, which routes out): the tasks get a private internal overlay of their own, with no route out and no other workload on it',
    );
  }
  return inReportOrder(out);
}

// ---- what the engine stored ----------------------------------------------------------------

/** The secret a reference mounts, with the owner and mode of its file: what drift and verification compare. */
export function secretFileView(s: Docker.SecretReference): string {
  return `${s.SecretName ?? s.SecretID ?? ''} ${s.File?.UID ?? '0'}:${s.File?.GID ?? '0'} ${(s.File?.Mode ?? 0o444).toString(8).padStart(4, '0')}`;
}

/** The engine answers `Healthcheck` (Go field name) for what dockerode types as `HealthCheck`. */
export function healthOf(c: Docker.ContainerSpec): Docker.HealthConfig | undefined {
  return (c as { Healthcheck?: Docker.HealthConfig }).Healthcheck ?? c.HealthCheck;
}

function containerOf(spec: Docker.ServiceSpec | undefined): Docker.ContainerSpec {
  const t = spec?.TaskTemplate as Docker.ContainerTaskSpec | undefined;
  return t?.ContainerSpec ?? {};
}

/**
 * Compares the asked spec with the one the engine stored, field by field: a field the engine
 * silently drops (as 20.10 does with Privileges.NoNewPrivileges) shows up here. Env is never
 * compared (nor returned), so a mismatch report cannot carry a value.
 */
export function verifyApplied(asked: Docker.ServiceSpec, stored: Docker.ServiceSpec | undefined): Mismatch[] {
  const { check, found } = mismatches();
  const a = containerOf(asked);
  const g = containerOf(stored);
  const al = asked.TaskTemplate?.Resources?.Limits ?? {};
  const gl = stored?.TaskTemplate?.Resources?.Limits ?? {};
  check('Image', a.Image, g.Image);
  check('Replicas', asked.Mode?.Replicated?.Replicas ?? 0, stored?.Mode?.Replicated?.Replicas ?? 0);
  check('Limits.NanoCPUs', num(al.NanoCPUs), num(gl.NanoCPUs));
  check('Limits.MemoryBytes', num(al.MemoryBytes), num(gl.MemoryBytes));
  check('Limits.Pids', num(al.Pids), num(gl.Pids));
  check('Ulimits', ulimits(a.Ulimits), ulimits(g.Ulimits));
  check('ReadOnly', a.ReadOnly === true, g.ReadOnly === true);
  check('CapabilityDrop', caps(a.CapabilityDrop), caps(g.CapabilityDrop));
  check('User', a.User ?? '', g.User ?? '');
  const mounts = (v: unknown) => (list(v) as Docker.MountSettings[]).map((m) => ({ Type: m.Type, Target: m.Target }));
  check('Mounts', mounts(a.Mounts), mounts(g.Mounts));
  const secrets = (v: unknown) => (list(v) as Docker.SecretReference[]).map((r) => `${r.File?.Name ?? ''}: ${secretFileView(r)}`).sort();
  check('Secrets', secrets(a.Secrets), secrets(g.Secrets));
  const networks = (s: Docker.ServiceSpec | undefined) => list(s?.TaskTemplate?.Networks).map((n) => (n as Docker.NetworkAttachmentConfig).Target).sort();
  check('Networks', networks(asked), networks(stored));
  check('HealthCheck', health(healthOf(a)), health(healthOf(g)));
  check('UpdateConfig.FailureAction', asked.UpdateConfig?.FailureAction, stored?.UpdateConfig?.FailureAction);
  check('UpdateConfig.Order', asked.UpdateConfig?.Order, stored?.UpdateConfig?.Order);
  return found;
}
