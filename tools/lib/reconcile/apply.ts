// apply: execute a plan in dependency order, parallel where the graph allows. Each
// replacement is health-gated by the provider (start new, wait healthy, retire old); a
// failure leaves the old workload serving and skips the platforms that depend on it.
import { EngineUnreachableError } from '../provider/errors.js';
import type { Provider } from '../provider/types.js';
import type { Plan, PlanAction } from './plan.js';

export type ApplyStatus = 'done' | 'failed' | 'skipped' | 'unchanged' | 'held';

export interface ApplyResult {
  platform: string;
  kind: PlanAction['kind'];
  status: ApplyStatus;
  error?: string;
  ms: number;
}

export interface ApplyEvent {
  platform: string;
  phase: 'start' | 'done' | 'failed' | 'skipped';
  kind: PlanAction['kind'];
  message?: string;
}

export interface ApplyOptions {
  /** Platforms replaced at once (default 4). */
  concurrency?: number;
  /** How long a new workload may take to become healthy (default 60 s). */
  healthTimeoutMs?: number;
  onEvent?: (e: ApplyEvent) => void;
}

export async function applyPlan(plan: Plan, provider: Provider, options: ApplyOptions = {}): Promise<ApplyResult[]> {
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const timeout = options.healthTimeoutMs ?? 60_000;
  const emit = options.onEvent ?? (() => undefined);
  const actions = new Map(plan.actions.map((a) => [a.platform, a]));
  const results = new Map<string, ApplyResult>();
  const deps = (a: PlanAction): string[] => ('desired' in a ? a.desired.dependsOn.filter((d) => actions.has(d) && d !== a.platform) : []);

  // Deletes go last and need nothing; noops are satisfied dependencies from the start, and
  // held-back actions (a prune not asked for, a version not admitted) are never taken.
  for (const a of plan.actions) {
    if (a.kind === 'noop') results.set(a.platform, { platform: a.platform, kind: a.kind, status: 'unchanged', ms: 0 });
    else if (a.held) results.set(a.platform, { platform: a.platform, kind: a.kind, status: 'held', error: a.held, ms: 0 });
  }

  const waiting = plan.actions.filter((a) => a.kind !== 'noop' && a.kind !== 'delete' && !a.held);
  const running = new Map<string, Promise<void>>();
  // The engine gone is no platform's failure: start nothing more, and throw it (exit 2).
  let unreachable: EngineUnreachableError | undefined;

  const run = async (a: PlanAction): Promise<void> => {
    const t0 = performance.now();
    emit({ platform: a.platform, phase: 'start', kind: a.kind });
    try {
      if (a.kind === 'create') await provider.replace(a.desired, undefined, timeout);
      else if (a.kind === 'update') await provider.replace(a.desired, a.actual, timeout);
      results.set(a.platform, { platform: a.platform, kind: a.kind, status: 'done', ms: performance.now() - t0 });
      emit({ platform: a.platform, phase: 'done', kind: a.kind });
    } catch (err) {
      if (err instanceof EngineUnreachableError) {
        unreachable ??= err;
        waiting.splice(0);
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      results.set(a.platform, { platform: a.platform, kind: a.kind, status: 'failed', error: message, ms: performance.now() - t0 });
      emit({ platform: a.platform, phase: 'failed', kind: a.kind, message });
    }
  };

  while (waiting.length > 0 || running.size > 0) {
    let started = false;
    for (let i = 0; i < waiting.length && running.size < concurrency; ) {
      const a = waiting[i]!;
      const ds = deps(a);
      const blocked = ds.find((d) => {
        const r = results.get(d);
        return r && (r.status === 'failed' || r.status === 'skipped');
      });
      if (blocked) {
        waiting.splice(i, 1);
        results.set(a.platform, { platform: a.platform, kind: a.kind, status: 'skipped', error: `its dependency ${blocked} failed`, ms: 0 });
        emit({ platform: a.platform, phase: 'skipped', kind: a.kind, message: `its dependency ${blocked} failed` });
        started = true;
        continue;
      }
      if (ds.every((d) => results.has(d))) {
        waiting.splice(i, 1);
        const p = run(a).finally(() => running.delete(a.platform));
        running.set(a.platform, p);
        started = true;
        continue;
      }
      i++;
    }
    if (running.size > 0) await Promise.race(running.values());
    else if (!started && waiting.length > 0) {
      // A dependency cycle among the waiting platforms: validate reports it; skip them here.
      for (const a of waiting.splice(0)) results.set(a.platform, { platform: a.platform, kind: a.kind, status: 'skipped', error: 'dependency cycle', ms: 0 });
    }
  }

  if (unreachable) throw unreachable;

  for (const a of plan.actions.filter((x) => x.kind === 'delete' && !x.held)) {
    const t0 = performance.now();
    emit({ platform: a.platform, phase: 'start', kind: a.kind });
    try {
      if (a.kind === 'delete') await provider.remove(a.actual);
      results.set(a.platform, { platform: a.platform, kind: a.kind, status: 'done', ms: performance.now() - t0 });
      emit({ platform: a.platform, phase: 'done', kind: a.kind });
    } catch (err) {
      if (err instanceof EngineUnreachableError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      results.set(a.platform, { platform: a.platform, kind: a.kind, status: 'failed', error: message, ms: performance.now() - t0 });
      emit({ platform: a.platform, phase: 'failed', kind: a.kind, message });
    }
  }
  return plan.actions.map((a) => results.get(a.platform)!);
}
