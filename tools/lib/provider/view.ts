// The drift view of a workload: what git declares and what an engine runs, in one shape
// and in manifest terms (memoryMb, not Memory bytes), so drift is a plain field diff. Each
// provider builds the view of the desired side from the very object it would create, with
// the same extractor it uses on what the engine reports: engine defaults cancel out and a
// fresh apply shows no drift. Secret values never enter a view: secrets appear as the keyed
// digests recorded when they were delivered, and a value git does not declare as plain (or
// that looks like a secret) is shown as a placeholder, not even as a digest.
import { looksSecret, maskedValue } from '../secrets/index.js';
import { caps } from './workload/compare.js';
import { MB, NS } from './workload/units.js';

export interface HealthView {
  command: string[];
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
}

export interface WorkloadView {
  image: string;
  /** null: the image's own command. */
  command: string[] | null;
  /** Plain env by name; an undeclared or secret-looking value shows as a placeholder. */
  env: Record<string, string>;
  /** Secret file by name → its keyed digest (docker) or the swarm secret it is read from. */
  secrets: Record<string, string>;
  resources: {
    cpuCores: number | null;
    memoryMb: number | null;
    /** Swap beyond memory (0: none; -1: unlimited). */
    swapMb: number | null;
    pids: number | null;
    maxOpenFds: string | null;
    /** Size of the /tmp tmpfs of a read-only root. */
    diskMb: number | null;
    cpuShares: number | null;
    cpusetCpus: string | null;
  };
  network: {
    mode: string;
    networks: string[];
    /** `containerPort/protocol:hostPort`. */
    published: string[];
  };
  sandbox: {
    readOnlyRootfs: boolean;
    noNewPrivileges: boolean;
    capDrop: string[];
    capAdd: string[];
    privileged: boolean;
    user: string;
  };
  healthCheck: HealthView | null;
  restart: string;
  /** The mnops.* identity labels (not the recorded spec). */
  labels: Record<string, string>;
}

/** Replica state as drift sees it. */
export type InstanceHealth = 'healthy' | 'unhealthy' | 'starting' | 'none' | 'down';

/** One engine object of an environment carrying the managed labels. */
export interface ObservedInstance {
  /** Container name / service name: what a person types to look at it. */
  name: string;
  platform: string;
  /** Replica index (0 for a swarm service, which stands for all its tasks). */
  replica: number;
  /** Engine state: running, exited, created, … */
  state: string;
  health: InstanceHealth;
  view: WorkloadView;
}

/** What a provider read for one environment, both sides in the same shape. */
export interface DriftObservation {
  /** Desired views by platform, one per replica (replicas differ e.g. in published ports). */
  desired: Map<string, WorkloadView[]>;
  instances: ObservedInstance[];
  /** Replicas the engine keeps by platform (swarm's service mode; docker: instances). */
  replicas: Map<string, { declared: number; running: number }>;
  /** Engine calls made, for the report and the bench. */
  calls: number;
}

/** Replicas by platform when each instance is one replica (docker): present and running. */
export function countReplicas(instances: readonly ObservedInstance[]): Map<string, { declared: number; running: number }> {
  const out = new Map<string, { declared: number; running: number }>();
  for (const i of instances) {
    const r = out.get(i.platform) ?? { declared: 0, running: 0 };
    r.declared++;
    if (i.state === 'running') r.running++;
    out.set(i.platform, r);
  }
  return out;
}


/** True for what a view shows instead of a value (a keyed digest, a placeholder): no value in it. */
export function isDigest(text: string): boolean {
  return /^hmac:[0-9a-f]{16}$/.test(text) || text === UNDECLARED_VALUE || text.startsWith('(secret-looking value');
}

export const nanoToCores = (n: unknown): number | null => (typeof n === 'number' && n > 0 ? Math.round((n / NS) * 1000) / 1000 : null);
export const bytesToMb = (n: unknown): number | null => (typeof n === 'number' && n > 0 ? Math.round((n / MB) * 100) / 100 : null);
export const positive = (n: unknown): number | null => (typeof n === 'number' && n > 0 ? n : null);
export const sortedCaps = (v: unknown): string[] => [...new Set(caps(v))];

/** The nofile ulimit as `N` (soft = hard) or `soft/hard`. */
export function nofile(ulimits: unknown): string | null {
  const u = (Array.isArray(ulimits) ? ulimits : []).find((x: { Name?: string }) => x?.Name === 'nofile') as { Soft?: number; Hard?: number } | undefined;
  if (!u) return null;
  return u.Soft === u.Hard ? String(u.Soft) : `${u.Soft}/${u.Hard}`;
}

/** An engine health config in manifest terms; none declared (or NONE) is null. */
export function healthView(h: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number } | null | undefined): HealthView | null {
  const test = h?.Test;
  if (!test?.length || test[0] === 'NONE') return null;
  const command = test[0] === 'CMD' ? test.slice(1) : test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', ...test.slice(1)] : test;
  const s = (n: unknown) => (typeof n === 'number' && n > 0 ? n / NS : 0);
  return {
    command,
    intervalSeconds: s(h?.Interval),
    timeoutSeconds: s(h?.Timeout),
    retries: typeof h?.Retries === 'number' ? h.Retries : 0,
    startPeriodSeconds: s(h?.StartPeriod),
  };
}

/** The identity labels drift compares: mnops.*, without the (large) recorded spec. */
export function identityLabels(labels: Record<string, string> | undefined, specLabel: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (k.startsWith('mnops.') && k !== specLabel) out[k] = v;
  }
  return out;
}

/** The shown value of undeclared env entries: they may be anything, a secret included. */
export const UNDECLARED_VALUE = '(undeclared value)';

/**
 * Env entries (`K=V`) as a view shows them: declared plain values as they are, values that
 * look like secrets and variables git does not declare as placeholders, so a view can be
 * printed and stored without a value in it.
 */
export function envView(entries: readonly string[], declared: ReadonlySet<string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const i = entry.indexOf('=');
    const key = i < 0 ? entry : entry.slice(0, i);
    const value = i < 0 ? '' : entry.slice(i + 1);
    if (!declared.has(key)) env[key] = UNDECLARED_VALUE;
    else env[key] = looksSecret(key, value) ? maskedValue(undefined) : value;
  }
  return sortKeys(env);
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
