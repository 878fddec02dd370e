// The Provider interface: desired workload in, actual workloads out, plus the
// list of declared settings the target cannot enforce. Implementations live one folder
// each (docker/, swarm/) and are registered in registry.ts.
import type { HealthCheck, Network, Resources, SecretRef } from '../manifest/kinds.js';
import type { Static } from '@sinclair/typebox';
import type { DigestKeyProvider } from '../secrets/digest.js';
import type { DriftObservation } from './view.js';

/** Labels on every managed object, so actual state is read with a few list calls. */
export const LABELS = {
  managed: 'mnops.managed',
  /** The project (repository or clone) an object belongs to; absent for the unnamed project. */
  project: 'mnops.project',
  platform: 'mnops.platform',
  environment: 'mnops.environment',
  version: 'mnops.version',
  specHash: 'mnops.spec-hash',
  /** The desired spec as canonical JSON, secrets as references only: what plan diffs against. */
  spec: 'mnops.spec',
  /** On what holds a workload's secrets: secret name → keyed digest (canonical JSON). */
  secrets: 'mnops.secrets',
} as const;

export interface ResolvedSecret extends SecretRef {
  /**
   * The value, resolved from the runner at deploy time. Never logged, never written to git.
   * Empty for `from: swarm`: the swarm provider references the existing swarm secret named
   * `key`; other providers report such a secret as unenforceable.
   */
  value: string;
  /**
   * The keyed digest (HMAC-SHA256, hex) of the value and of whose secret it is: what labels,
   * names and drift carry instead of the value. Empty for `from: swarm`.
   */
  digest: string;
}

/** Everything a provider needs to run one platform in one environment. */
export interface DesiredWorkload {
  platform: string;
  environment: string;
  version: string;
  /** Hash of every field below (secrets by keyed digest): equal hash = nothing to do. */
  specHash: string;
  image: string;
  command?: string[];
  env: Record<string, string>;
  /** Keyed digests of the env values that look like secrets: shown instead of them. */
  maskedEnv?: Record<string, string>;
  secrets: ResolvedSecret[];
  resources: Partial<Resources>;
  network: Partial<Network>;
  sandbox: { readOnlyRootfs?: boolean; noNewPrivileges?: boolean; capDrop?: string[]; user?: string };
  healthCheck?: Static<typeof HealthCheck>;
  replicas: number;
  ports: { name: string; containerPort: number; hostPort?: number; protocol?: 'tcp' | 'udp' }[];
  /** Platforms this one depends on (apply order). */
  dependsOn: string[];
}

/** One spec of a platform the engine runs: the whole workload, or one of several mid-rollout. */
export interface WorkloadGeneration {
  version: string;
  specHash: string;
  /** The replicas' engine ids (docker: container ids; swarm: task ids). */
  instances: string[];
  /** Replicas of this spec that run. */
  running: number;
  /** True when every running replica of it passes its health check (or none is declared). */
  healthy: boolean;
  /** When its oldest running replica started (RFC 3339), if the engine says. */
  since?: string;
}

/**
 * A platform as an engine runs it in one environment: exactly one per platform. The fields
 * describe the generation that serves (`generations[0]`); the others are left over from a
 * rollout that did not finish, and go when the platform is next replaced or removed.
 */
export interface ActualWorkload {
  /**
   * Opaque: what the provider that listed it needs to find it again. Not for display or
   * comparison; it may change when the workload is replaced.
   */
  id: string;
  platform: string;
  environment: string;
  version: string;
  specHash: string;
  /** Running replicas of the serving generation / desired replicas. */
  running: number;
  replicas: number;
  /** True when the serving generation runs all its replicas, each passing its health check. */
  healthy: boolean;
  /** When the oldest running replica of the serving generation started (RFC 3339), if the engine says. */
  since?: string;
  /** The spec it was created from (the mnops.spec label), for field-level plans. */
  spec?: Record<string, unknown>;
  /** Every generation the engine runs for the platform, the serving one first. */
  generations: WorkloadGeneration[];
}

/** The engine ids of every replica of a workload, of every generation. */
export function instancesOf(w: Pick<ActualWorkload, 'generations'>): string[] {
  return w.generations.flatMap((g) => g.instances);
}

/** True when the workload runs exactly `d`: its spec, every replica healthy, nothing left of another generation. */
export function runsExactly(a: ActualWorkload, d: Pick<DesiredWorkload, 'specHash' | 'replicas'>): boolean {
  return a.specHash === d.specHash && a.healthy && a.running >= d.replicas && a.generations.length === 1;
}

/** Workloads by platform; a provider that lists a platform twice breaks the contract (never merged or dropped). */
export function byPlatform(actual: readonly ActualWorkload[]): Map<string, ActualWorkload> {
  const out = new Map<string, ActualWorkload>();
  for (const a of actual) {
    if (out.has(a.platform)) throw new Error(`the provider listed ${a.platform} in ${a.environment} twice: list() gives one workload per platform`);
    out.set(a.platform, a);
  }
  return out;
}

/** A declared setting the target cannot enforce: reported, never silently dropped. */
export interface Unenforceable {
  platform: string;
  field: string;
  reason: string;
}

export interface Provider extends DigestKeyProvider {
  readonly name: string;
  /** Fails with a clear error (exit 2) when the engine does not answer. */
  ping(): Promise<void>;
  unenforceable(desired: DesiredWorkload): Unenforceable[];
  /** Every managed workload of an environment: one per platform, sorted by platform. */
  list(environment: string): Promise<ActualWorkload[]>;
  /**
   * Starts the desired workload beside any old one, waits for it to be healthy within
   * `timeoutMs`, then retires the old one. On failure the new one is removed, the old one
   * keeps running, and the error says why.
   */
  replace(desired: DesiredWorkload, old: ActualWorkload | undefined, timeoutMs: number): Promise<ActualWorkload>;
  remove(actual: ActualWorkload): Promise<void>;
  /** Removes every managed workload, secret, network and the digest key of an environment. */
  teardown(environment: string): Promise<void>;
  /**
   * Drift: the desired workloads and everything the engine runs with the managed labels of the
   * environment, both as views in one shape, read with as few engine calls as the engine allows.
   */
  observe(environment: string, desired: DesiredWorkload[]): Promise<DriftObservation>;
}
