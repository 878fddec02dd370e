// Verification after create: what was asked against what the engine reports it applied,
// field by field, in one shape for every engine. Env is never compared (nor returned), so a
// mismatch report cannot carry a secret.
import type Docker from 'dockerode';
import { ProviderError } from '../errors.js';

export interface Mismatch {
  field: string;
  asked: unknown;
  applied: unknown;
}

/** A positive number, else 0: the engine reports "unset" as 0, null or nothing. */
export const num = (v: unknown): number => (typeof v === 'number' && v > 0 ? v : 0);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const cap = (c: unknown): string => String(c).toUpperCase().replace(/^CAP_/, '');
export const caps = (v: unknown): string[] => list(v).map(cap).sort();

export function ulimits(v: unknown): { Name?: string; Soft?: number; Hard?: number }[] {
  return (list(v) as Docker.Ulimit[]).map((u) => ({ Name: u.Name, Soft: u.Soft, Hard: u.Hard })).sort((a, b) => String(a.Name).localeCompare(String(b.Name)));
}

export function health(x: Docker.HealthConfig | undefined): Record<string, unknown> | null {
  return x?.Test?.length ? { Test: x.Test, Interval: num(x.Interval), Timeout: num(x.Timeout), Retries: num(x.Retries), StartPeriod: num(x.StartPeriod) } : null;
}

/** Collects the fields whose asked and applied values differ (compared as JSON). */
export function mismatches(): { check: (field: string, asked: unknown, applied: unknown) => void; found: Mismatch[] } {
  const found: Mismatch[] = [];
  const check = (field: string, asked: unknown, applied: unknown) => {
    if (JSON.stringify(asked) !== JSON.stringify(applied)) found.push({ field, asked, applied });
  };
  return { check, found };
}

/** The error for an engine that stored or applied something else than asked (`wrong` not empty). */
export function notAppliedError(what: string, wrong: readonly Mismatch[]): ProviderError {
  const [first, ...rest] = wrong;
  return new ProviderError(
    `the engine applied ${first!.field}=${JSON.stringify(first!.applied)} to ${what}, not the ${JSON.stringify(first!.asked)} asked` +
      (rest.length ? ` (also wrong: ${rest.map((m) => m.field).join(', ')})` : ''),
    'check the engine version and its cgroup controllers (docker info), or report the setting as unenforceable',
  );
}
