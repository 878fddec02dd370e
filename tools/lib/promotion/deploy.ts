// The promotion flow (`mnops deploy`, tools/deploy_platform): version from the source
// environment → promotion gate → a git commit of the new version → a health-gated rollout →
// the commit pushed, and only then recorded. A failed rollout reverts the commit; a failed
// push rolls the engine back, so git and the engine agree and no record names a commit the
// remote lacks. Serialized per environment by a lease in the audit trail; every outcome is
// recorded there, with the exceptions that let it through. Secrets come from the runner only.
import { simpleGit } from 'simple-git';
import { AuditTrail, acquireLease, releaseLease, trustedRecords, type AuditEntry, type AuditRecord, type LeaseInfo } from '../audit/index.js';
import type { Ecosystem } from '../manifest/ecosystem.js';
import { evaluatePromotion, PolicyEngine, type GateDecision } from '../policy/index.js';
import { providerFor } from '../provider/registry.js';
import { byPlatform, runsExactly } from '../provider/types.js';
import { desiredWorkload, secretValues } from '../reconcile/desired.js';
import { digestKeyFor } from '../secrets/digest.js';

export { secretValues };
import { MnopsError } from '../repo/errors.js';
import { firstControlChar, toOneLine } from '../report/control-chars.js';
import { environmentDeclaration, loadEnvironment, readDeclarations, type EnvironmentDeclaration } from '../reconcile/declaration.js';
import { loadEcosystem } from '../ecosystem-load/load-ecosystem.js';
import { environmentHistory, inventoryOf } from '../reconcile/inventory.js';
import { setInstanceVersion } from './manifest-edit.js';
import { exceptionsInForce, exceptionUsedEntries } from '../reconcile/exceptions.js';
import { currentBranch, pushHead } from '../repo/git.js';

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
  /**
   * Pushes the manifest commit after the rollout, before any record names it (a failure rolls
   * the engine back). Default: to the audit trail's remote, when it has one; false: never
   * pushed, and records name no commit the remote lacks.
   */
  publish?: Publisher | false;
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
  /** The manifest commit (as the remote has it, once pushed). */
  commit?: string;
  revertCommit?: string;
  /** What the remote's branch points at after the push, when it was pushed. */
  published?: string;
  /** The push failed after the rollout and the engine was put back (false: that failed too). */
  rolledBack?: boolean;
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
  const declarations = await readDeclarations(req.root, { now: now() });
  const { ecosystem: eco, environment: target } = environmentDeclaration(declarations, req.to);
  if (!eco.platforms.has(req.platform)) {
    // A platform whose manifest fails validation is not loaded: say so, not that it is missing.
    const broken = declarations.errors.find((f) => f.kind === 'Platform' && f.name === req.platform);
    if (broken) {
      throw new DeployError(
        `platform "${req.platform}" has manifest errors: ${broken.file}:${broken.line}:${broken.column} ${broken.ruleId}: ${broken.message}; nothing was changed`,
        `${broken.hint ? `${broken.hint}; ` : ''}fix ${broken.file}, then run mnops validate`,
      );
    }
    throw new DeployError(`platform "${req.platform}" does not exist`, 'see mnops registry list');
  }
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
    const running = byPlatform(await sourceProvider.list(source)).get(req.platform);
    const targetRunning = byPlatform(await providerFor(eco, req.to).list(req.to)).get(req.platform);
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
  // Known before anything changes: where the manifest commit goes before a record names it.
  const publish = await publisherFor(req, trail);

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
    // A record names the manifest commit only once the remote has it (with no remote, the
    // local repository is all there is). `ours`: the commits this deploy added (with a revert, 2).
    const publishCommits = async (ours: number): Promise<{ named?: string; published?: string; error?: string }> => {
      if (!commit) return {};
      if (!publish) return trail.remote ? {} : { named: commit };
      try {
        const head = await publish();
        say(`pushed ${head.slice(0, 12)}`);
        // A rejected push was rebased onto the remote's branch: there the commit has a new id.
        return { named: ours > 1 ? (await git.revparse([`${head}~${ours - 1}`])).trim() : head, published: head };
      } catch (err) {
        return { error: err instanceof Error ? err.message : String(err) };
      }
    };
    const named = (p: { named?: string }) => (p.named ? { commit: p.named } : {});

    // Roll out from the committed manifests, which must still load cleanly (the new version
    // may break a rule): otherwise the commit is reverted and nothing is rolled out.
    let after: EnvironmentDeclaration;
    try {
      after = await loadEnvironment(req.root, req.to, { now: now() });
    } catch (err) {
      await revert(`the manifests do not load with ${req.platform} ${toVersion}`);
      await record('failure', { reason: err instanceof Error ? err.message : String(err), ...(commit && !trail.remote ? { commit } : {}) });
      throw err;
    }
    const timeout = req.healthTimeoutMs ?? 120_000;
    const provider = providerFor(after.ecosystem, req.to);
    const source = { env: req.env ?? process.env, root: req.root, digestKey: digestKeyFor(provider, req.to, true) };
    const desired = await desiredWorkload(after.ecosystem, req.platform, req.to, source);
    const actual = byPlatform(await provider.list(req.to)).get(req.platform);
    // The exceptions that let this version run here, recorded beside the record of the deploy.
    const recordExceptions = async (extra: Partial<AuditEntry>) => {
      const uses = exceptionsInForce(after.ecosystem, after.waived, req.platform, req.to);
      for (const e of exceptionUsedEntries(uses, { actor: req.actor, environment: req.to, platform: req.platform, toVersion, ...extra })) await trail.append(e);
    };
    if (actual && runsExactly(actual, desired) && !commit) {
      // Already running, but perhaps never through the gate (typed into the instance and
      // applied): the gate has just allowed it, so record the admission apply relies on.
      const admitted = environmentHistory(await trail.records(), req.to).admitted.get(req.platform);
      if (admitted === toVersion) return { ...base, status: 'unchanged', decision };
      const audit = await record('success', { reason: 'already running: admitted by the gate', inventory: inventoryOf(await provider.list(req.to)) });
      await recordExceptions({});
      return { ...base, status: 'unchanged', decision, audit };
    }
    /**
     * The rollout worked but git does not declare it: the push failed. The engine goes back to
     * what the manifests declared before (nothing, if nothing ran), the local commit is
     * reverted, and both the deploy's failure and the rollback are recorded, naming no commit.
     */
    const restore = async (pushError: string): Promise<DeployOutcome> => {
      const revertCommit = await revert('the manifest commit could not be pushed');
      const error = `the manifest commit could not be pushed: ${pushError}`;
      await record('failure', { reason: `${error}; restoring ${actual ? `${req.platform} ${fromVersion}` : 'the environment without it'}` });
      let failed: string | undefined;
      try {
        const running = byPlatform(await provider.list(req.to)).get(req.platform);
        if (actual) {
          const before = (await loadEnvironment(req.root, req.to, { now: now() })).ecosystem;
          await provider.replace(await desiredWorkload(before, req.platform, req.to, source), running, timeout);
        } else if (running) await provider.remove(running);
      } catch (err) {
        failed = err instanceof Error ? err.message : String(err);
      }
      say(failed ? `could not restore ${fromVersion}: ${failed}` : `restored ${actual ? fromVersion : 'the environment without it'}`);
      const rolledBack = await trail.append({
        actor: req.actor,
        action: 'rollback',
        environment: req.to,
        platform: req.platform,
        fromVersion: toVersion,
        ...(actual ? { toVersion: fromVersion } : {}),
        outcome: failed ? 'failure' : 'success',
        reason: failed ? `${toVersion} keeps running, though git does not declare it: ${failed}` : `${toVersion} rolled back: ${error}`,
        inventory: inventoryOf(await provider.list(req.to)),
      });
      return { ...base, status: 'failed', decision, ...(revertCommit ? { revertCommit } : {}), error: failed ? `${error}; restoring ${fromVersion} failed too: ${failed}` : `${error}; ${fromVersion} restored`, audit: rolledBack.record, rolledBack: !failed };
    };
    try {
      say(`rolling out ${req.platform} ${toVersion} to ${req.to}…`);
      await provider.replace(desired, actual, timeout);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const revertCommit = await revert('rollout failed');
      // The commit and its revert reach the remote together, before the record names them.
      const pushed = await publishCommits(2);
      const audit = await record('failure', { reason: pushed.error ? `${error}; the commit and its revert could not be pushed: ${pushed.error}` : error, ...named(pushed) });
      return { ...base, status: 'failed', decision, ...(pushed.named ? { commit: pushed.named } : commit ? { commit } : {}), revertCommit, ...(pushed.published ? { published: pushed.published } : {}), error, audit };
    }
    const pushed = await publishCommits(1);
    if (pushed.error) return await restore(pushed.error);
    const audit = await record('success', {
      ...(decision?.overrides.length ? { reason: `overrides: ${decision.overrides.join('; ')}` } : {}),
      ...named(pushed),
      // What mnops owns there now: prune decisions read it, whatever later files say.
      inventory: inventoryOf(await provider.list(req.to)),
    });
    await recordExceptions(named(pushed));
    return { ...base, status: 'deployed', decision, ...(pushed.named ? { commit: pushed.named } : commit ? { commit } : {}), ...(pushed.published ? { published: pushed.published } : {}), audit };

  } finally {
    await releaseLease(trail, { environment: req.to, leaseId: lease.id, actor: req.actor }).catch(() => undefined);
  }
}

/** Publishes the manifest commit (and its revert): returns the commit the remote's branch now points at. */
export type Publisher = () => Promise<string>;

/**
 * Where the manifest commit goes before any record names it: the caller's publisher, else —
 * when the audit trail has a remote — that remote's branch of the same name as the one checked
 * out. Refused before anything changes when it cannot be known.
 */
async function publisherFor(req: DeployRequest, trail: AuditTrail): Promise<Publisher | undefined> {
  if (req.publish !== undefined) return req.publish || undefined;
  const remote = trail.remote;
  if (!remote) return undefined;
  const branch = await currentBranch(req.root);
  if (!branch) {
    throw new DeployError(
      `${req.root} has no branch checked out, so the manifest commit cannot be pushed to ${remote} before the audit trail names it: nothing was deployed`,
      'check out the branch to deploy from, or pass --no-push',
    );
  }
  return () => pushHead(req.root, branch, remote);
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

/**
 * What ran before `current`: the fromVersion of the last successful deploy that brought it
 * (records oldest first). A rollback from a version never admitted there — the engine put
 * back after a deploy whose push failed — changed nothing git declared, and is passed over.
 */
export function versionBefore(records: readonly AuditRecord[], platform: string, environment: string, current: string | undefined): string | undefined {
  const admitted = new Set<string>();
  let before: string | undefined;
  for (const r of records) {
    if (r.platform !== platform || r.environment !== environment || r.outcome !== 'success' || !(r.action === 'promote' || r.action === 'deploy' || r.action === 'rollback')) continue;
    const restore = r.action === 'rollback' && r.fromVersion !== undefined && !admitted.has(r.fromVersion);
    if (r.toVersion === current && !restore) before = r.fromVersion;
    if (r.toVersion) admitted.add(r.toVersion);
  }
  return before;
}
