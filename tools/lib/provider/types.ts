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

export interface ActualWorkload {
  /** Provider-specific id (container id, service id). */
  id: string;
  platform: string;
  environment: string;
  version: string;
  specHash: string;
  /** Running replicas / desired replicas as the engine reports them. */
  running: number;
  replicas: number;
  /** True when every running replica passes its health check (or none is declared). */
  healthy: boolean;
  /** When the oldest running replica started (RFC 3339), if the engine says. */
  since?: string;
  /** The spec it was created from (the mnops.spec label), for field-level plans. */
  spec?: Record<string, unknown>;  /**
   * Provider-specific ids of the replicas (docker: container ids), so a rollout retires
   * exactly the old ones even when old and new share a spec hash.
   */
  instances?: string[];
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
  /** Every managed workload of an environment. */
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
