// plan and apply of one environment, end to end: the fail-closed declaration, the engine's
// actual state, the trail's inventory and admitted versions, the held-back rules, and —
// for apply — the lease (staging and prod), the rollout and the inventory record.
import { AuditTrail, acquireLease, releaseLease, type AuditRecord, type Inventory } from '../audit/index.js';
import type { Ecosystem } from '../manifest/ecosystem.js';
import { isGatedTier } from '../manifest/kinds.js';
import { providerFor as defaultProviderFor } from '../provider/registry.js';
import type { Provider, Unenforceable } from '../provider/types.js';
import { GitError, MnopsError } from '../repo/errors.js';
import { applyPlan, type ApplyEvent, type ApplyResult } from './apply.js';
import { environmentDeclaration, readDeclarations, type Declarations, type EnvironmentDeclaration } from './declaration.js';
import { desiredState, secretValues } from './desired.js';
import { digestKeyFor } from '../secrets/digest.js';
import { exceptionsInForce, exceptionUsedEntries } from './exceptions.js';
import { holdBack } from './hold.js';
import { environmentHistory, inventoryOf, sameInventory, type EnvironmentHistory } from './inventory.js';
import { plan, type Plan } from './plan.js';

export class ReconcileError extends MnopsError {}

export interface PlanRequest {
  root: string;
  environment: string;
  /** Only these platforms. */
  only?: string[];
  prune?: boolean;
  confirmPrune?: number;
  /** Where secrets are read from (default process.env). */
  env?: Record<string, string | undefined>;
  /** Already validated declarations (drift checks many environments from one load). */
  declarations?: Declarations;
  providerFor?: (eco: Ecosystem, environment: string) => Provider;
  now?: Date;
  /**
   * Create the environment's digest key on the engine when it has none (apply does; a plan
   * only reads it, so a plan leaves nothing behind).
   */
  createDigestKey?: boolean;
}

export interface EnvironmentPlan {
  declaration: EnvironmentDeclaration;
  provider: Provider;
  plan: Plan;
  unenforceable: Unenforceable[];
  history: EnvironmentHistory;
  /** Undefined when the root is not a git repository (dev tiers only). */
  trail?: AuditTrail;
}

/** The repository's limit on a prune in staging and prod, in percent of the platforms. */
export function maxPrunePercent(eco: Ecosystem): number | undefined {
  return [...eco.settings.values()][0]?.manifest.spec.reconcile?.maxPrunePercent;
}

/** The trail of the repository, or undefined when it is not a git repository. */
export async function openTrailIfAny(root: string, secrets: readonly string[]): Promise<AuditTrail | undefined> {
  try {
    return await AuditTrail.open({ root, secrets });
  } catch (err) {
    if (err instanceof GitError) return undefined;
    throw err;
  }
}

export async function planEnvironment(req: PlanRequest, trailIn?: AuditTrail): Promise<EnvironmentPlan> {
  const decl = environmentDeclaration(req.declarations ?? (await readDeclarations(req.root, { now: req.now })), req.environment);
  const eco = decl.ecosystem;
  const source = { env: req.env ?? process.env, root: req.root };
  const trail = trailIn ?? (await openTrailIfAny(req.root, secretValues(eco, source)));
  if (!trail && isGatedTier(decl.tier)) {
    throw new ReconcileError(`${req.environment} is a ${decl.tier} environment: its admitted versions live in the audit trail, and ${req.root} is not a git repository`, 'run mnops inside the manifest repository');
  }
  const history = trail ? environmentHistory(await trail.records(), req.environment) : { admitted: new Map<string, string>() };
  const provider = (req.providerFor ?? defaultProviderFor)(eco, req.environment);
  await provider.ping();
  const desired = await desiredState(eco, req.environment, { ...source, digestKey: digestKeyFor(provider, req.environment, req.createDigestKey === true) }, req.only);
  const actual = (await provider.list(req.environment)).filter((a) => !req.only || req.only.includes(a.platform));
  const p = holdBack(plan(req.environment, desired, actual), {
    tier: decl.tier,
    environment: req.environment,
    prune: req.prune,
    confirmPrune: req.confirmPrune,
    maxPrunePercent: maxPrunePercent(eco),
    inventory: history.inventory,
    admitted: history.admitted,
  });
  return { declaration: decl, provider, plan: p, unenforceable: desired.flatMap((d) => provider.unenforceable(d)), history, trail };
}

export interface ApplyRequest extends PlanRequest {
  actor: string;
  concurrency?: number;
  healthTimeoutMs?: number;
  dryRun?: boolean;
  /** Append the apply record with its inventory (default true). */
  record?: boolean;
  onPlan?: (p: EnvironmentPlan) => void | Promise<void>;
  onEvent?: (e: ApplyEvent) => void;
}

export interface ApplyOutcome {
  planned: EnvironmentPlan;
  results: ApplyResult[];
  inventory?: Inventory;
  audit?: AuditRecord;
}

/** Applies an environment; in staging and prod under its lease, and always recorded. */
export async function applyEnvironment(req: ApplyRequest): Promise<ApplyOutcome> {
  const declarations = req.declarations ?? (await readDeclarations(req.root, { now: req.now }));
  const decl = environmentDeclaration(declarations, req.environment);
  const source = { env: req.env ?? process.env, root: req.root };
  const trail = await openTrailIfAny(req.root, secretValues(decl.ecosystem, source));
  const gated = isGatedTier(decl.tier);
  let leaseId: string | undefined;
  if (trail && gated && !req.dryRun) {
    const got = await acquireLease(trail, { environment: req.environment, holder: req.actor, ttlMs: Math.max((req.healthTimeoutMs ?? 60_000) * 4, 600_000), reason: 'apply' });
    if (!got.acquired) {
      throw new ReconcileError(
        `${req.environment} is locked by ${got.heldBy.holder} (lease ${got.heldBy.id}) until ${got.heldBy.expiresAt}: nothing was applied`,
        `wait for that deploy, or clear a crashed one with: mnops audit lock break --env ${req.environment} --lease ${got.heldBy.id} --reason "..."`,
      );
    }
    leaseId = got.lease.id;
  }
  try {
    // Planned under the lease: what the gate admitted cannot change while this apply runs.
    const planned = await planEnvironment({ ...req, declarations, createDigestKey: !req.dryRun }, trail);
    await req.onPlan?.(planned);
    if (req.dryRun) return { planned, results: [] };
    // One result per action, held-back and unchanged ones included (nothing to do is quick).
    const results = await applyPlan(planned.plan, planned.provider, { concurrency: req.concurrency, healthTimeoutMs: req.healthTimeoutMs, onEvent: req.onEvent });
    const ran = results.filter((r) => r.status === 'done' || r.status === 'failed');
    if (!trail || req.record === false) return { planned, results };
    const inventory = inventoryOf(await planned.provider.list(req.environment));
    // A no-op apply over an already recorded inventory adds nothing to the trail.
    if (ran.length === 0 && sameInventory(planned.history.inventory, inventory)) return { planned, results, inventory };
    const failed = results.filter((r) => r.status === 'failed' || r.status === 'skipped');
    const count = (k: string) => results.filter((r) => r.kind === k && r.status === 'done').length;
    const held = planned.plan.actions.filter((a) => a.held).length;
    const appended = await trail.append({
      actor: req.actor,
      action: 'apply',
      environment: req.environment,
      outcome: failed.length ? 'failure' : 'success',
      reason: `created ${count('create')}, updated ${count('update')}, deleted ${count('delete')}${held ? `, held back ${held}` : ''}${failed.length ? `; not applied: ${failed.map((f) => f.platform).join(', ')}` : ''}`,
      inventory,
    });
    // The exceptions that let what this apply started run there.
    for (const r of results) {
      if (r.status !== 'done' || r.kind === 'delete') continue;
      const action = planned.plan.actions.find((a) => a.platform === r.platform);
      const toVersion = action && 'desired' in action ? action.desired.version : undefined;
      const uses = exceptionsInForce(decl.ecosystem, decl.waived, r.platform, req.environment);
      for (const e of exceptionUsedEntries(uses, { actor: req.actor, environment: req.environment, platform: r.platform, ...(toVersion ? { toVersion } : {}) })) await trail.append(e);
    }
    return { planned, results, inventory, audit: appended.record };
  } finally {
    if (trail && leaseId) await releaseLease(trail, { environment: req.environment, leaseId, actor: req.actor }).catch(() => undefined);
  }
}
