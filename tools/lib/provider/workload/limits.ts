// Resource mapping shared by every engine: pids.max counts every task (thread), so
// maxProcesses and maxThreads are enforced by one limit.
import type { DesiredWorkload, Unenforceable } from '../types.js';

/** The pids limit: the smaller of maxProcesses and maxThreads. */
export function pidsLimit(d: DesiredWorkload): number | undefined {
  const bounds = [d.resources.maxProcesses, d.resources.maxThreads].filter((n): n is number => n !== undefined);
  return bounds.length ? Math.min(...bounds) : undefined;
}

/** When maxThreads is looser than maxProcesses, the shared pids limit enforces it more strictly. */
export function maxThreadsReport(d: DesiredWorkload): Unenforceable | undefined {
  const r = d.resources;
  if (r.maxThreads === undefined || r.maxProcesses === undefined || r.maxThreads <= r.maxProcesses) return undefined;
  return {
    platform: d.platform,
    field: 'resources.maxThreads',
    reason: `threads count against the pids limit, so processes and threads together are capped at maxProcesses=${r.maxProcesses} tasks, stricter than maxThreads=${r.maxThreads}`,
  };
}
