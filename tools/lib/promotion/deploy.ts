// The promotion flow (`mnops deploy`, tools/deploy_platform): version from the source
// environment → promotion gate → a git commit of the new version → a health-gated rollout →
// the commit reverted if the rollout fails. Serialized per environment by a lease in the
// audit trail; every outcome is recorded there. Secrets come from the runner only.
import { simpleGit } from 'simple-git';
import { AuditTrail, acquireLease, releaseLease, trustedRecords, type AuditEntry, type AuditRecord, type LeaseInfo } from '../audit/index.js';
import type { Ecosystem } from '../manifest/ecosystem.js';
import { evaluatePromotion, PolicyEngine, type GateDecision } from '../policy/index.js';
import { providerFor } from '../provider/registry.js';
import type { ActualWorkload } from '../provider/types.js';
import { desiredWorkload, secretValues } from '../reconcile/desired.js';
import { digestKeyFor } from '../secrets/digest.js';

export { secretValues };
import { MnopsError } from '../repo/errors.js';
import { firstControlChar, toOneLine } from '../report/control-chars.js';
import { loadEnvironment } from '../reconcile/declaration.js';
import { loadEcosystem } from '../validate/load-ecosystem.js';
import { environmentHistory, inventoryOf } from '../reconcile/inventory.js';
import { setInstanceVersion } from './manifest-edit.js';

export class DeployError extends MnopsError {}

/**
 * Refuses text with a line break or another control character where it would reach the
 * manifest commit's message or its trailers (Actor:, Approved-by:, Emergency:): a newline
 * there forges a trailer, an ESC hides text in a terminal. One sentence, before anything
 * is done.
 */
export function assertOneLine(what: string, value: string | undefined): void {
  if (value === undefined) return;
  const c = firstControlChar(value);
  if (c) {
    throw new DeployError(
      `the ${what} contains ${c.description} (at character ${c.position}), which would reach the commit message: nothing was deployed`,
      `give the ${what} as one line of plain text`,
    );
  }
}

/** The request's free text — version, actor, approvals, emergency reason — checked as assertOneLine does. */
export function checkDeployText(req: Pick<DeployRequest, 'platform' | 'to' | 'version' | 'actor' | 'approvals' | 'emergency'>): void {
  assertOneLine('platform name', req.platform);
  assertOneLine('target environment', req.to);
  assertOneLine('version', req.version);
  assertOneLine('actor', req.actor);
  for (const a of req.approvals ?? []) assertOneLine('approver', a);
  assertOneLine('emergency reason', req.emergency);
}

export interface DeployRequest {
  root: string;
  platform: string;
  to: string;
  /** Default: the version running in the source environment (the target's promotion.from). */
  version?: string;
  actor: string;
  approvals?: string[];
  emergency?: string;
  /** A rollback may go to a lower version. */
  rollback?: boolean;
  dryRun?: boolean;
  healthTimeoutMs?: number;
  /** How long to wait for another deploy's lease on the environment. */
  lockTimeoutMs?: number;
  now?: () => Date;
  /** Where secrets are read from (default process.env). */
  env?: Record<string, string | undefined>;
  onProgress?: (message: string) => void;
}

export type DeployStatus = 'deployed' | 'denied' | 'failed' | 'unchanged' | 'dry-run';

export interface DeployOutcome {
  status: DeployStatus;
  platform: string;
  environment: string;
  fromVersion: string;
  toVersion: string;
  decision?: GateDecision;
  commit?: string;
  revertCommit?: string;
  error?: string;
  audit?: AuditRecord;
}

function instanceOf(eco: Ecosystem, env: string) {
  const inst = eco.instances.get(env);
  if (!inst) throw new DeployError(`environment ${env} has no platform.yaml (PlatformInstance)`, `create ecosystem/platform-cloud/${env}/platform.yaml`);
  return inst;
}

function versionIn(eco: Ecosystem, env: string, platform: string): string | undefined {
  return eco.instances.get(env)?.manifest.spec.platforms.find((p) => p.name === platform)?.version;
}

async function waitForLease(trail: AuditTrail, req: DeployRequest, now: () => Date): Promise<LeaseInfo> {
  const deadline = Date.now() + (req.lockTimeoutMs ?? 600_000);
  const ttl = Math.min((req.healthTimeoutMs ?? 120_000) * 4 + 300_000, 12 * 3_600_000);
  for (;;) {
    const r = await acquireLease(trail, { environment: req.to, holder: req.actor, ttlMs: ttl, reason: `deploy ${req.platform}`, now });
    if (r.acquired) return r.lease;
    if (Date.now() > deadline) {
      throw new DeployError(
        `${req.to} is locked by ${r.heldBy.holder} (lease ${r.heldBy.id}) until ${r.heldBy.expiresAt}`,
        `wait for that deploy, or clear a crashed one with: mnops audit lock break --env ${req.to} --lease ${r.heldBy.id} --reason "..."`,
      );
    }
    req.onProgress?.(`waiting for ${r.heldBy.holder}'s deploy to ${req.to} to finish…`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

export async function deployPlatform(req: DeployRequest): Promise<DeployOutcome> {
  const now = req.now ?? (() => new Date());
  const say = req.onProgress ?? (() => undefined);
  checkDeployText(req);
  // Fails closed: a target whose declaration does not load cleanly is never deployed to.
  const { ecosystem: eco, environment: target } = await loadEnvironment(req.root, req.to, { now: now() });
  if (!eco.platforms.has(req.platform)) throw new DeployError(`platform "${req.platform}" does not exist`, 'see mnops registry list');
  const instance = instanceOf(eco, req.to);
  let fromVersion = versionIn(eco, req.to, req.platform);
  if (fromVersion === undefined) throw new DeployError(`${req.platform} is not placed in ${req.to}`, `add it to ${instance.file} first`);
  const source = target.manifest.spec.promotion?.from;
  const toVersion = req.version ?? (source ? versionIn(eco, source, req.platform) : undefined);
  if (!toVersion) {
    throw new DeployError(
      source ? `${req.platform} does not run in ${source}, the environment ${req.to} promotes from` : `${req.to} promotes from no environment, so the version must be given`,
      'pass --version',
    );
  }
  // From the manifests when not given: they reach the commit message too.
  assertOneLine('version', toVersion);
  assertOneLine('current version', fromVersion);
  const base: Pick<DeployOutcome, 'platform' | 'environment' | 'fromVersion' | 'toVersion'> = { platform: req.platform, environment: req.to, fromVersion, toVersion };

  // The gate: what runs in the source, observed on its engine.
  let decision: GateDecision | undefined;
  if (source) {
    const sourceProvider = providerFor(eco, source);
    await sourceProvider.ping();
    const running = (await sourceProvider.list(source)).find((a: ActualWorkload) => a.platform === req.platform);
    const targetRunning = (await providerFor(eco, req.to).list(req.to)).find((a) => a.platform === req.platform);
    decision = evaluatePromotion(
      await PolicyEngine.load(req.root),
      eco,
      {
        platform: req.platform,
        version: toVersion,
        from: source,
        to: req.to,
        actor: req.actor,
        approvals: req.approvals ?? [],
        emergency: req.emergency,
        rollback: req.rollback,
      },
      {
        source: { version: running?.version ?? null, healthy: Boolean(running?.healthy), healthySince: running?.healthy ? (running.since ?? null) : null },
        target: {
          version: targetRunning?.version ?? fromVersion,
          // A rollback to what ran before needs no source still running it (the gate reads this).
          ...(req.rollback ? { previous: await previousInTrail(req.root, req.platform, req.to, fromVersion) } : {}),
        },
      },
      now(),
    );
  }
  if (req.dryRun) return { ...base, status: 'dry-run', decision };

  const trail = await AuditTrail.open({ root: req.root, secrets: secretValues(eco, req) });
  const action = req.rollback ? 'rollback' : 'promote';
  // Every outcome is one record of this promotion; the versions are read when it is written.
  // Reasons are engine and gate messages: one line, as records hold only one-line text.
  const record = async (outcome: 'success' | 'failure' | 'denied', extra: Partial<AuditEntry> = {}) =>
    (await trail.append({ actor: req.actor, action, environment: req.to, platform: req.platform, fromVersion, toVersion, outcome, ...extra, ...(extra.reason !== undefined ? { reason: toOneLine(extra.reason) } : {}) })).record;
  if (decision && !decision.allow) {
    const audit = await record('denied', { reason: decision.reasons.join('; ') });
    return { ...base, status: 'denied', decision, audit };
  }

  const lease = await waitForLease(trail, req, now);
  try {
    // Another deploy may have committed to this environment while this one waited for the
    // lease: read the version again, or a deploy back to the old version is lost ("unchanged").
    // Only the version is read here; the manifests are validated again after the commit.
    const current = versionIn((await loadEcosystem(req.root)).ecosystem, req.to, req.platform);
    if (current !== undefined && current !== fromVersion) {
      assertOneLine('current version', current);
      base.fromVersion = fromVersion = current;
    }
    const git = simpleGit(req.root);
    const file = instance.file;
    let commit: string | undefined;
    if (fromVersion !== toVersion) {
      setInstanceVersion(req.root, file, req.platform, toVersion);
      const gate = decision ? `allowed${decision.overrides.length ? ` (overrides: ${decision.overrides.join('; ')})` : ''}` : 'none (no source environment)';
      const message = [
        `deploy(${req.to}): ${req.platform} ${fromVersion} → ${toVersion}`,
        '',
        `Actor: ${req.actor}`,
        `Gate: ${gate}`,
        ...(req.approvals?.length ? [`Approved-by: ${req.approvals.join(', ')}`] : []),
        ...(req.emergency ? [`Emergency: ${req.emergency}`] : []),
      ].join('\n');
      await git.add(file);
      commit = (await git.commit(message, [file], { '--no-verify': null })).commit || (await git.revparse(['HEAD'])).trim();
      say(`committed ${file}: ${req.platform} ${fromVersion} → ${toVersion}`);
    }
    const revert = async (why: string): Promise<string | undefined> => {
      if (!commit) return undefined;
      await git.raw(['revert', '--no-edit', commit]); // git revert has no --no-verify (it made every revert fail)
      say(`${why}; reverted ${commit.slice(0, 12)}`);
      return (await git.revparse(['HEAD'])).trim();
    };

    // Roll out from the committed manifests, which must still load cleanly (the new version
    // may break a rule): otherwise the commit is reverted and nothing is rolled out.
    let after: Ecosystem;
    try {
      after = (await loadEnvironment(req.root, req.to, { now: now() })).ecosystem;
    } catch (err) {
      await revert(`the manifests do not load with ${req.platform} ${toVersion}`);
      await record('failure', { reason: err instanceof Error ? err.message : String(err), ...(commit ? { commit } : {}) });
      throw err;
    }
    const provider = providerFor(after, req.to);
    const desired = await desiredWorkload(after, req.platform, req.to, { env: req.env ?? process.env, root: req.root, digestKey: digestKeyFor(provider, req.to, true) });
    const actual = (await provider.list(req.to)).find((a) => a.platform === req.platform);
    if (actual && actual.specHash === desired.specHash && actual.healthy && actual.running >= desired.replicas && !commit) {
      // Already running, but perhaps never through the gate (typed into the instance and
      // applied): the gate has just allowed it, so record the admission apply relies on.
      const admitted = environmentHistory(await trail.records(), req.to).admitted.get(req.platform);
      if (admitted === toVersion) return { ...base, status: 'unchanged', decision };
      const audit = await record('success', { reason: 'already running: admitted by the gate', inventory: inventoryOf(await provider.list(req.to)) });
      return { ...base, status: 'unchanged', decision, audit };
    }
    try {
      say(`rolling out ${req.platform} ${toVersion} to ${req.to}…`);
      await provider.replace(desired, actual, req.healthTimeoutMs ?? 120_000);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const revertCommit = await revert('rollout failed');
      const audit = await record('failure', { reason: error, ...(commit ? { commit } : {}) });
      return { ...base, status: 'failed', decision, commit, revertCommit, error, audit };
    }
    const audit = await record('success', {
      ...(decision?.overrides.length ? { reason: `overrides: ${decision.overrides.join('; ')}` } : {}),
      ...(commit ? { commit } : {}),
      // What mnops owns there now: prune decisions read it, whatever later files say.
      inventory: inventoryOf(await provider.list(req.to)),
    });
    return { ...base, status: 'deployed', decision, commit, audit };
  } finally {
    await releaseLease(trail, { environment: req.to, leaseId: lease.id, actor: req.actor }).catch(() => undefined);
  }
}

/**
 * The version a rollback restores by default: what the platform ran before the deploy that
 * brought the current version, from the audit trail's last successful deploy into the env.
 */
export async function previousVersion(root: string, platform: string, environment: string): Promise<string> {
  // Only the current version is read: the rollback itself validates the environment.
  const { ecosystem } = await loadEcosystem(root);
  const current = versionIn(ecosystem, environment, platform);
  const trail = await AuditTrail.open({ root });
  const before = versionBefore(await trustedRecords(trail, 'the version to roll back to'), platform, environment, current);
  if (!before) {
    throw new DeployError(`the audit trail has no deploy of ${platform} ${current ?? ''} into ${environment} to roll back`, 'pass --to-version');
  }
  return before;
}

async function previousInTrail(root: string, platform: string, environment: string, current: string): Promise<string | null> {
  const trail = await AuditTrail.open({ root });
  return versionBefore(await trustedRecords(trail, 'the version that ran before'), platform, environment, current) ?? null;
}

/** What ran before `current`: the fromVersion of the last successful deploy that brought it (records oldest first). */
export function versionBefore(records: readonly AuditRecord[], platform: string, environment: string, current: string | undefined): string | undefined {
  const last = [...records]
    .reverse()
    .find((r) => r.platform === platform && r.environment === environment && r.outcome === 'success' && (r.action === 'promote' || r.action === 'deploy' || r.action === 'rollback') && r.toVersion === current);
  return last?.fromVersion;
}
