// The health check as every engine takes it: the manifest's command and timings, with the
// defaults filled in, in nanoseconds.
import type Docker from 'dockerode';
import type { DesiredWorkload } from '../types.js';
import { NS } from './units.js';

/** Health-check timings when the manifest leaves them out (seconds). */
export const HEALTH_DEFAULTS = { intervalSeconds: 10, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 0 } as const;

/** The engine health config of a workload; undefined when it declares none. */
export function healthConfig(d: Pick<DesiredWorkload, 'healthCheck'>): Docker.HealthConfig | undefined {
  if (!d.healthCheck) return undefined;
  const h = { ...HEALTH_DEFAULTS, ...d.healthCheck };
  return {
    Test: ['CMD', ...d.healthCheck.command],
    Interval: h.intervalSeconds * NS,
    Timeout: h.timeoutSeconds * NS,
    Retries: h.retries,
    StartPeriod: h.startPeriodSeconds * NS,
  };
}
