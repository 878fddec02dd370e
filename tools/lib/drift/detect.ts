// mnops drift: every environment (or the chosen ones) read from its engine in parallel and
// compared with git; first-seen times from the audit trail; with `heal`, the drifted
// platforms reconciled through the apply path (health-gated, the old version kept on
// failure) under the environment's lease, each heal audited, then checked again.
import { AuditTrail, acquireLease, releaseLease } from '../audit/index.js';
import type { Ecosystem } from '../manifest/ecosystem.js';
import type { Tier } from '../manifest/kinds.js';
import { MnopsError } from '../repo/errors.js';
import { EngineUnreachableError } from '../provider/errors.js';
import { toOneLine } from '../report/control-chars.js';
import { providerFor as defaultProviderFor, PROVIDERS } from '../provider/registry.js';
import { byPlatform, type ActualWorkload, type DesiredWorkload, type Provider } from '../provider/types.js';
import { applyPlan, type ApplyResult } from '../reconcile/apply.js';
import { desiredState } from '../reconcile/desired.js';
import { environmentDeclaration, readDeclarations, type Declarations, type EnvironmentDeclaration } from '../reconcile/declaration.js';
import { exceptionsInForce, exceptionUsedEntries } from '../reconcile/exceptions.js';
import { holdBack } from '../reconcile/hold.js';
import { environmentHistory, inventoryOf, type EnvironmentHistory } from '../reconcile/inventory.js';
import { maxPrunePercent } from '../reconcile/environment.js';
import type { Plan, PlanAction } from '../reconcile/plan.js';
import type { AuditRecord } from '../audit/index.js';
import { digestKeyFor } from '../secrets/digest.js';
import { redact, redactDeep } from '../secrets/index.js';
import { compareEnvironment, type DriftItem } from './compare.js';
import { openDrifts, transition } from './state.js';

export interface DriftRequest {
  root: string;
  /** Default: every environment whose adapter mnops can read (docker, swarm). */
  environments?: string[];
  heal?: boolean;
  /** With heal: also delete workloads no manifest declares (otherwise they are reported only). */
  prune?: boolean;
  /** With prune in staging and prod, past maxPrunePercent: the exact number of deletions. */
  confirmPrune?: number;
  /** Append drift-detected / drift-cleared / heal records (default true). */
  record?: boolean;
  actor: string;
  now?: () => Date;
  healthTimeoutMs?: number;
  concurrency?: number;
  /** Tests and the bench hand in providers with their own labels. */
  providerFor?: (eco: Ecosystem, environment: string) => Provider;
  onProgress?: (update: DriftProgress) => void;
}

/** Where one environment or healed platform stands; `final` when it is over. */
export interface DriftProgress {
  /** An environment, or `environment/platform` while healing. */
  subject: string;
  status: string;
  final?: boolean;
}


export interface HealResult {
  platform: string;
  action: PlanAction['kind'];
  status: ApplyResult['status'];
  error?: string;
}

export interface EnvironmentDrift {
  environment: string;
  provider: string;
  /** Platforms git places in the environment. */
  platforms: number;
  /** Engine objects with the managed labels. */
  instances: number;
  items: DriftItem[];
  /** Set when the environment could not be checked (exit 2). */
  error?: string;
  hint?: string;
  healed?: HealResult[];
  /** Drift left after healing (empty: healed completely). */
  remaining?: DriftItem[];
  calls: number;
  ms: number;
}

export interface DriftReport {
  version: 1;
  checkedAt: string;
  environments: EnvironmentDrift[];
  /** Notes for environments skipped because their adapter cannot be read. */
  skipped: { environment: string; reason: string }[];
  /** Set when first-seen times could not be read from the audit trail. */
  trail?: string;
}

/** Drift a report still shows: after a heal, what remained; otherwise what was found. */
export function outstanding(e: EnvironmentDrift): DriftItem[] {
  return e.remaining ?? e.items;
}

/** 0 clean, 1 drift, 2 some environment could not be checked. */
export function exitCodeOf(report: DriftReport): 0 | 1 | 2 {
  if (report.environments.some((e) => e.error)) return 2;
  return report.environments.some((e) => outstanding(e).length > 0) ? 1 : 0;
}

interface Checked {
  decl: EnvironmentDeclaration;
  tier: Tier;
  provider: Provider;
  desired: DesiredWorkload[];
  items: DriftItem[];
  instances: number;
  calls: number;
}

async function check(
  decls: Declarations,
  root: string,
  environment: string,
  provider: Provider,
  heal: boolean,
  decl = environmentDeclaration(decls, environment),
): Promise<Checked> {
  // Fails closed (decl): when a contributing manifest does not load, nothing is compared — a
  // workload is never "undeclared" because a file did not parse.
  const eco = decls.ecosystem;
  // A heal delivers secrets from this desired state, so it creates the key when there is none.
  const desired = await desiredState(eco, environment, { env: process.env, root, digestKey: digestKeyFor(provider, environment, heal) });
  await provider.ping();
  const obs = await provider.observe(environment, desired);
  const ignore = new Map<string, string[]>();
  for (const d of desired) {
    const p = eco.platforms.get(d.platform);
    if (p?.manifest.spec.driftIgnore?.length) ignore.set(d.platform, p.manifest.spec.driftIgnore);
  }
  return { decl, tier: decl.tier, provider, desired, items: compareEnvironment(environment, desired, obs, ignore), instances: obs.instances.length, calls: obs.calls + 1 };
}

/** The platforms to reconcile and how: create the missing, replace the drifted, remove the undeclared. */
function healPlan(environment: string, checked: Checked, actual: ActualWorkload[]): Plan {
  const drifted = new Set(checked.items.map((i) => i.platform));
  const running = byPlatform(actual);
  const actions: PlanAction[] = [];
  for (const platform of drifted) {
    const d = checked.desired.find((x) => x.platform === platform);
    const a = running.get(platform);
    const changes = checked.items.filter((i) => i.platform === platform).map((i) => ({ field: i.field, from: i.actual, to: i.desired }));
    if (!d) {
      if (a) actions.push({ kind: 'delete', platform, actual: a, changes });
    } else if (a) actions.push({ kind: 'update', platform, desired: d, actual: a, changes });
    else actions.push({ kind: 'create', platform, desired: d, changes });
  }
  return { environment, actions };
}

function describe(err: unknown): { error: string; hint?: string } {
  if (err instanceof MnopsError) return { error: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  return { error: err instanceof Error ? err.message : String(err) };
}

export async function detectDrift(req: DriftRequest): Promise<DriftReport> {
  const now = req.now ?? (() => new Date());
  const progress = req.onProgress ?? (() => undefined);
  const decls = await readDeclarations(req.root, { now: now() });
  const eco = decls.ecosystem;
  const providerOf = req.providerFor ?? defaultProviderFor;
  const skipped: DriftReport['skipped'] = [];
  // Named twice, an environment was checked (and its progress printed) twice.
  let names = req.environments ? [...new Set(req.environments)] : undefined;
  if (!names?.length) {
    names = [];
    for (const [name, env] of eco.environments) {
      const provider = eco.adapters.get(env.manifest.spec.adapter)?.manifest.spec.provider ?? '?';
      if (req.providerFor || PROVIDERS[provider]) names.push(name);
      else skipped.push({ environment: name, reason: `runs on ${provider}, which mnops cannot read yet` });
    }
  }

  // First-seen times, drift records, inventories and admitted versions live in the trail.
  let trail: AuditTrail | undefined;
  let records: AuditRecord[] = [];
  let trailError: string | undefined;
  try {
    trail = await AuditTrail.open({ root: req.root });
    records = await trail.records();
  } catch (err) {
    trail = undefined;
    trailError = `first-seen times unknown: ${describe(err).error}`;
  }
  let open = openDrifts(records);

  const checkedAt = now().toISOString();
  const histories = new Map<string, EnvironmentHistory>();
  const checkedAll = await Promise.all(
    names.map(async (environment): Promise<[EnvironmentDrift, Checked | undefined]> => {
      const t0 = performance.now();
      let providerName = '?';
      try {
        // The declaration first: a broken environment file is named as such, not as "no such environment".
        progress({ subject: environment, status: 'reading…' });
        const decl = environmentDeclaration(decls, environment);
        const provider = providerOf(eco, environment);
        providerName = provider.name;
        const c = await check(decls, req.root, environment, provider, req.heal === true, decl);
        histories.set(environment, environmentHistory(records, environment));
        progress({ subject: environment, status: `${c.instances} workload(s) read, ${c.items.length} difference(s)`, final: true });
        return [{ environment, provider: provider.name, platforms: c.desired.length, instances: c.instances, items: c.items, calls: c.calls, ms: performance.now() - t0 }, c];
      } catch (err) {
        if (!(err instanceof MnopsError) && !(err instanceof EngineUnreachableError)) throw err;
        progress({ subject: environment, status: 'could not check', final: true });
        return [{ environment, provider: providerName, platforms: 0, instances: 0, items: [], ...describe(err), calls: 0, ms: performance.now() - t0 }, undefined];
      }
    }),
  );
  // Nothing runs there and no apply was ever recorded: said once, and nothing recorded.
  const results = checkedAll.filter(([e, c]) => {
    const owned = histories.get(e.environment)?.inventory;
    if (!c || c.instances > 0 || (owned && Object.keys(owned).length > 0)) return true;
    skipped.push({ environment: e.environment, reason: 'never applied: nothing runs there and the audit trail records no apply' });
    return false;
  });
  const report: DriftReport = { version: 1, checkedAt, environments: results.map(([e]) => e), skipped };
  if (trailError) report.trail = trailError;

  const settle = async (checkedEnvs: string[], items: DriftItem[]) => {
    const t = transition(checkedEnvs, items, open, { time: now().toISOString(), actor: req.actor });
    if (trail && req.record !== false) {
      for (const entry of t.entries) await trail.append(entry);
      // The entries carry their times: fold them in rather than reading the trail again.
      open = openDrifts(t.entries, new Map(open));
    }
    return t.items;
  };
  const ok = report.environments.filter((e) => !e.error);
  const withTimes = await settle(
    ok.map((e) => e.environment),
    ok.flatMap((e) => e.items),
  );
  for (const e of ok) e.items = withTimes.filter((i) => i.environment === e.environment);

  if (req.heal) {
    for (const [e, c] of results) {
      if (!c || e.items.length === 0) continue;
      try {
        await heal(req, e, c, trail, histories.get(e.environment) ?? { admitted: new Map() }, maxPrunePercent(eco), now, progress);
      } catch (err) {
        if (!(err instanceof MnopsError)) throw err;
        Object.assign(e, describe(err));
        continue;
      }
      const again = await check(decls, req.root, e.environment, c.provider, true).catch((err: unknown) => {
        Object.assign(e, describe(err));
        return undefined;
      });
      if (again) e.remaining = (await settle([e.environment], again.items)).filter((i) => i.environment === e.environment);
    }
  }
  return redactReport(report);
}

/**
 * The report as it leaves drift, for every format and the issue: values, errors and reasons
 * redacted (an engine error or a heal may quote a secret this run resolved). Names,
 * fingerprints and times are left as they are: they key the trail.
 */
function redactReport(report: DriftReport): DriftReport {
  const item = (i: DriftItem): DriftItem => ({ ...i, desired: redactDeep(i.desired), actual: redactDeep(i.actual) });
  const text = (s: string | undefined) => (s === undefined ? undefined : redact(s));
  return {
    ...report,
    environments: report.environments.map((e) => ({
      ...e,
      items: e.items.map(item),
      ...(e.remaining ? { remaining: e.remaining.map(item) } : {}),
      ...(e.error !== undefined ? { error: text(e.error) } : {}),
      ...(e.hint !== undefined ? { hint: text(e.hint) } : {}),
      ...(e.healed ? { healed: e.healed.map((h) => ({ ...h, ...(h.error !== undefined ? { error: text(h.error) } : {}) })) } : {}),
    })),
    skipped: report.skipped.map((s) => ({ ...s, reason: redact(s.reason) })),
    ...(report.trail !== undefined ? { trail: redact(report.trail) } : {}),
  };
}

async function heal(
  req: DriftRequest,
  e: EnvironmentDrift,
  c: Checked,
  trail: AuditTrail | undefined,
  history: EnvironmentHistory,
  maxPercent: number | undefined,
  now: () => Date,
  progress: (update: DriftProgress) => void,
): Promise<void> {
  const timeout = req.healthTimeoutMs ?? 60_000;
  let leaseId: string | undefined;
  if (trail) {
    const got = await acquireLease(trail, { environment: e.environment, holder: req.actor, ttlMs: Math.max(timeout * 4, 600_000), reason: 'heal drift', now });
    if (!got.acquired) {
      e.healed = [];
      e.error = `${e.environment} is locked by ${got.heldBy.holder} (lease ${got.heldBy.id}) until ${got.heldBy.expiresAt}: nothing healed`;
      e.hint = `wait for that deploy, or clear a crashed one with: mnops audit lock break --env ${e.environment} --lease ${got.heldBy.id} --reason "..."`;
      return;
    }
    leaseId = got.lease.id;
  }
  try {
    // The same rules as apply: deletions only with --prune, in staging and prod only versions the gate admitted.
    const plan = holdBack(healPlan(e.environment, c, await c.provider.list(e.environment)), {
      tier: c.tier,
      environment: e.environment,
      prune: req.prune,
      confirmPrune: req.confirmPrune,
      maxPrunePercent: maxPercent,
      inventory: history.inventory,
      admitted: history.admitted,
    });
    const results = await applyPlan(plan, c.provider, {
      healthTimeoutMs: timeout,
      concurrency: req.concurrency ?? 4,
      onEvent: (ev) =>
        progress({ subject: `${e.environment}/${ev.platform}`, status: ev.phase === 'start' ? 'healing…' : `${ev.phase === 'done' ? 'healed' : ev.phase}${ev.message ? `: ${ev.message}` : ''}`, final: ev.phase !== 'start' }),
    });
    e.healed = results.map((r) => ({ platform: r.platform, action: r.kind, status: r.status, ...(r.error ? { error: r.error } : {}) }));
    if (trail && req.record !== false) {
      const inventory = inventoryOf(await c.provider.list(e.environment));
      for (const [i, r] of results.entries()) {
        const version = c.desired.find((d) => d.platform === r.platform)?.version;
        const fields = e.items.filter((i) => i.platform === r.platform).map((i) => i.field);
        await trail.append({
          actor: req.actor,
          action: 'heal',
          environment: e.environment,
          platform: r.platform,
          ...(version ? { toVersion: version } : {}),
          outcome: r.status === 'done' ? 'success' : r.status === 'held' ? 'denied' : 'failure',
          reason: `${r.status === 'held' ? 'held back' : r.kind === 'delete' ? 'removed undeclared workload' : `reconciled ${[...new Set(fields)].join(', ')}`}${r.error ? `: ${toOneLine(r.error)}` : ''}`,
          time: now().toISOString(),
          // What the environment runs after the heal, once (on its last record).
          ...(i === results.length - 1 ? { inventory } : {}),
        });
      }
      // The exceptions that let what a heal started run there.
      for (const r of results) {
        if (r.status !== 'done' || r.kind === 'delete') continue;
        const uses = exceptionsInForce(c.decl.ecosystem, c.decl.waived, r.platform, e.environment);
        const version = c.desired.find((d) => d.platform === r.platform)?.version;
        for (const entry of exceptionUsedEntries(uses, { actor: req.actor, environment: e.environment, platform: r.platform, ...(version ? { toVersion: version } : {}), time: now().toISOString() })) await trail.append(entry);
      }
    }
  } finally {
    if (trail && leaseId) await releaseLease(trail, { environment: e.environment, leaseId, actor: req.actor }).catch(() => undefined);
  }
}
