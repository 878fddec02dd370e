// The drift view of a workload: what git declares and what an engine runs, in one shape
// and in manifest terms (memoryMb, not Memory bytes), so drift is a plain field diff. Each
// provider builds the view of the desired side from the very object it would create, with
// the same extractor it uses on what the engine reports: engine defaults cancel out and a
// fresh apply shows no drift. Secret values never enter a view, only digests.
import { createHash } from 'node:crypto';

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
  /** Plain env by name; a value not declared as plain env shows only as a digest. */
  env: Record<string, string>;
  /** Secret by name → a digest (docker) or the swarm secret it is read from. */
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

const NS = 1_000_000_000;
const MB = 1024 * 1024;

export function digest(value: string): string {
  return `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 12)}`;
}

/** True for what digest() makes (a view's secret, or an undeclared value): no value in it. */
export function isDigest(text: string): boolean {
  return /^sha256:[0-9a-f]{12}( \(undeclared\))?$/.test(text);
}

export const nanoToCores = (n: unknown): number | null => (typeof n === 'number' && n > 0 ? Math.round((n / NS) * 1000) / 1000 : null);
export const bytesToMb = (n: unknown): number | null => (typeof n === 'number' && n > 0 ? Math.round((n / MB) * 100) / 100 : null);
export const positive = (n: unknown): number | null => (typeof n === 'number' && n > 0 ? n : null);
export const capName = (c: unknown): string => String(c).toUpperCase().replace(/^CAP_/, '');
export const sortedCaps = (v: unknown): string[] => (Array.isArray(v) ? [...new Set(v.map(capName))].sort() : []);

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

/**
 * Env entries (`K=V`) split into plain env and secrets: declared secrets and undeclared names
 * become digests, so a view can be printed and stored without a value in it.
 */
export function splitEnv(entries: readonly string[], declared: { plain: ReadonlySet<string>; secret: ReadonlySet<string> }): Pick<WorkloadView, 'env' | 'secrets'> {
  const env: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const entry of entries) {
    const i = entry.indexOf('=');
    const key = i < 0 ? entry : entry.slice(0, i);
    const value = i < 0 ? '' : entry.slice(i + 1);
    if (declared.secret.has(key)) secrets[key] = digest(value);
    else if (declared.plain.has(key)) env[key] = value;
    else env[key] = `${digest(value)} (undeclared)`;
  }
  return { env: sortKeys(env), secrets: sortKeys(secrets) };
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
