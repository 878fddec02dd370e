// `mnops validate`: load → schema → references → (policies) → findings limited to what the
// caller asked about (paths, or the impact of a git change). With a change under review the
// verdict comes from the trusted commit's rules (the base), and what the change's own rules
// would say is reported beside it as a proposed policy change.
import path from 'node:path';
import type { Ecosystem } from '../manifest/ecosystem.js';
import {
  bundleRebuildCheck,
  bundleStaleness,
  countedExceptions,
  exceptionLifetimes,
  judgedBy,
  PolicyEngine,
  policyInputsAt,
  runPolicies,
  type PolicyInputs,
  type WaivedFinding,
} from '../policy/index.js';
import { checkReferences, impactOfChanges, isFindingAffected, type Impact } from '../registry/index.js';
import { changedFilesSince, type ChangedFiles } from '../repo/git.js';
import { commitTree } from '../repo/git-tree.js';
import { relativeInside } from '../repo/paths.js';
import { RepoError } from '../repo/errors.js';
import { checkSecretReferences } from '../secrets/check.js';
import { linkCauses } from './cascade.js';
import { sortFindings, summarize, type Finding, type Report } from '../report/finding.js';
import { TOOL_VERSION } from '../version.js';
import { loadEcosystem, type LoadOptions } from '../ecosystem-load/load-ecosystem.js';
import { PhaseClock, type PhaseTimes } from '../ecosystem-load/phases.js';
import { isPolicyInput, widenChange } from './scope.js';
import { causedElsewhere, placeKey } from './path-scope.js';
import { judgedSlice, keysAtBase, keysByName, openSnapshot } from './incremental.js';

export interface ValidateOptions extends Omit<LoadOptions, 'paths'> {
  root: string;
  /** Report only findings in files under these paths (absolute or relative to cwd). */
  paths?: string[];
  /** Report only findings the change since this git ref affects; judged by this ref's rules. */
  changedSince?: string;
  /** Judge by the bundle, settings and exceptions of this ref (default: --changed-since's). */
  policyRef?: string;
  /** Judge by the working tree's own rules even in PR mode (authoring policies locally). */
  trustWorkingTree?: boolean;
  /**
   * Logins who approved the pull request: exceptions the change adds count only with one of
   * them. A function is asked only when the change touches an exception.
   */
  approvedBy?: string[] | (() => Promise<string[]>);
  /** Evaluate the Rego policies (default true). */
  policies?: boolean;
  /** The time policies judge against (expiry, ttl); default now. */
  now?: Date;
}

export interface ProposedPolicyChange {
  /** Findings the change's own rules would add across the whole ecosystem. */
  added: Finding[];
  /** Findings they would clear. */
  cleared: Finding[];
  /** Set when the change's own bundle cannot even be loaded. */
  error?: string;
}

export interface ValidateOutcome {
  report: Report;
  ecosystem: Ecosystem;
  /** Set with --changed-since. */
  impact?: Impact;
  /** Findings a PolicyException waived. */
  waived: WaivedFinding[];
  /** The commit whose rules judged the change; undefined: the working tree's. */
  judgedBy?: string;
  /** Set when the change touches policies, settings or exceptions. */
  proposed?: ProposedPolicyChange;
  stats: { files: number; read: number; parsed: number; cached: number; ms: number; phases: PhaseTimes };
}

function findingKey(f: Finding): string {
  return [f.ruleId, f.severity, f.kind, f.name, f.environment, f.path, f.message].join('\u0000');
}

export async function validate(options: ValidateOptions): Promise<ValidateOutcome> {
  const t0 = performance.now();
  const { root } = options;
  const now = options.now ?? new Date();
  const scopes = (options.paths ?? []).map((p) => {
    const rel = relativeInside(root, path.resolve(p));
    if (rel === null) throw new RepoError(`${p} is outside the repository root ${root}`, 'pass paths inside the repository, or a different --root');
    return rel;
  });
  // git and the bundle are read in the background while the files load; their errors are
  // raised in the same order as ever, once the load is done.
  // The base's tree, read once for the change, its rules and what the changed files held there.
  const baseTree = options.changedSince ? commitTree(root, options.changedSince) : undefined;
  baseTree?.catch(() => undefined); // awaited by its users
  const changing = options.changedSince ? changedFilesSince(root, options.changedSince, baseTree) : undefined;
  const trustedRef = options.trustWorkingTree ? undefined : (options.policyRef ?? options.changedSince);
  const trusting = trustedRef && options.policies !== false ? policyInputsAt(root, trustedRef, trustedRef === options.changedSince ? baseTree : undefined) : undefined;
  const ownEngine = !trusting && options.policies !== false ? PolicyEngine.load(root) : undefined;
  for (const p of [changing, trusting, ownEngine]) p?.catch(() => undefined); // awaited below
  // Always load the whole ecosystem: references cross folders. Paths only scope the report.
  const clock = new PhaseClock();
  const loaded = await loadEcosystem(root, { cacheDir: options.cacheDir, limits: options.limits, threads: options.threads, clock, ...(changing ? { changed: changing.then((c) => c.changed) } : {}) });
  const change: ChangedFiles | undefined = await changing;
  const trusted: PolicyInputs | undefined = await trusting;
  const eco = loaded.ecosystem;
  // With a change under review: what it affects, known before the policies run, so they
  // judge only that (a rule over the whole ecosystem would find nothing more to report).
  const tImpact = performance.now();
  let impact: Impact | undefined;
  let scope: ReturnType<typeof widenChange> | undefined;
  if (change) {
    scope = widenChange(eco, change.changed, loaded.linked);
    // Names the change removed (a file deleted, a manifest renamed in place or broken)
    // propagate too, or what still refers to them would go unreported.
    const before = await keysAtBase(root, options.changedSince!, scope.files, change.deleted, baseTree);
    if (before === undefined) scope = { ...scope, everything: true, reason: 'the change rewrites too many manifests to trace by name' };
    impact = impactOfChanges(eco, scope.files, keysByName(scope.files, (f) => before?.get(f) ?? [], loaded));
  }
  clock.add('report', performance.now() - tImpact);
  let findings: Finding[] = [...loaded.findings];
  let waived: WaivedFinding[] = [];
  let proposed: ProposedPolicyChange | undefined;
  if (options.policies !== false) {
    const governance = trusted ?? { settings: eco.settings, exceptions: eco.exceptions };
    // Exceptions the change adds or alters count only once approved; none may run too long.
    const changedFiles = new Set(change?.changed ?? []);
    const touchesExceptions = [...eco.exceptions.values()].some((r) => changedFiles.has(r.file));
    const approvedBy = touchesExceptions ? (typeof options.approvedBy === 'function' ? await options.approvedBy() : options.approvedBy) : undefined;
    const counted = trusted
      ? countedExceptions(eco, trusted, { changedFiles, ...(approvedBy ? { approvedBy } : {}) })
      : { exceptions: eco.exceptions, findings: [] };
    const lifetimes = exceptionLifetimes(eco, governance.settings, now);
    const exceptions = new Map([...counted.exceptions].filter(([name]) => !lifetimes.tooLong.has(name)));
    const judged = judgedBy(eco, { settings: governance.settings, exceptions });
    const engine = trusted?.engine ?? (await ownEngine!);
    // Without a change under review, the last run's snapshot says what is already judged.
    const snapshot = change ? undefined : await clock.timeAsync('snapshot', () => openSnapshot(loaded, engine, judged, now));
    const only = impact && !scope!.everything ? judgedSlice(eco, impact) : snapshot?.only;
    // The policies evaluate in worker threads: the references are checked meanwhile.
    const running = runPolicies(root, judged, now, engine, { ...(only ? { only } : {}), ...(options.threads ? { threads: options.threads } : {}) });
    running.catch(() => undefined); // awaited below; this only keeps it from being "unhandled" meanwhile
    // Only what the change (or the change since the snapshot) affects need be checked again.
    const prScope = impact && !scope!.everything ? impact : undefined;
    const references = clock.time('references', () => checkReferences(eco, prScope ?? snapshot?.impact));
    // Secret files are not manifests: environments whose verdict read them are checked whole.
    const secrets = clock.time('references', () => checkSecretReferences(eco, prScope ? { impact: prScope } : snapshot?.secretScope));
    const run = await running;
    clock.add('resolve', run.ms.resolve);
    clock.add('input', run.ms.input);
    clock.add('evaluate', run.ms.evaluate);
    const fresh = { findings: run.findings, waived: run.waived, references, secrets };
    const judgedNow = snapshot ? await clock.timeAsync('snapshot', () => snapshot.merge(fresh)) : fresh;
    findings.push(...judgedNow.references, ...judgedNow.secrets.findings);
    findings.push(...counted.findings, ...lifetimes.findings, ...judgedNow.findings, ...(await bundleStaleness(root)));
    waived = judgedNow.waived;
    if (trusted && change?.changed.some(isPolicyInput)) proposed = await proposedChange(root, eco, now, run.findings);
    if (change?.changed.some((f) => f.startsWith('policies/'))) findings.push(...(await bundleRebuildCheck(root)));
  } else {
    findings.push(...clock.time('references', () => [...checkReferences(eco), ...checkSecretReferences(eco).findings]));
  }

  const tReport = performance.now();
  if (impact && !scope!.everything) {
    const affected = impact;
    findings = findings.filter((f) => isFindingAffected(f, affected));
  }
  if (scopes.length > 0) {
    const envsInScope = new Set(
      [...eco.environments.values()].filter((e) => scopes.some((s) => inScope(e.file, s))).map((e) => e.name),
    );
    const isInScope = (file: string) => scopes.some((s) => inScope(file, s));
    // The paths scope the report, not the consequences: an error they cause elsewhere is theirs.
    const caused = await causedElsewhere(loaded, isInScope, findings, options.limits);
    findings = findings.filter((f) => isInScope(f.file) || (f.environment !== undefined && envsInScope.has(f.environment)) || caused.has(placeKey(f)));
  }
  const sorted = sortFindings(linkCauses(findings, eco));
  clock.add('report', performance.now() - tReport);
  return {
    report: {
      summary: summarize(eco.documentCount, sorted),
      findings: sorted,
      root,
      toolVersion: TOOL_VERSION,
      ...(trusted ? { judgedBy: trusted.commit } : {}),
      ...(proposed ? { proposedPolicyChange: proposed } : {}),
    },
    ecosystem: eco,
    impact,
    waived,
    ...(trusted ? { judgedBy: trusted.commit } : {}),
    ...(proposed ? { proposed } : {}),
    stats: { ...loaded.stats, ms: performance.now() - t0, phases: clock.ms },
  };
}

/** What the change's own bundle, settings and exceptions would report, against the verdict's. */
async function proposedChange(root: string, eco: Ecosystem, now: Date, verdict: Finding[]): Promise<ProposedPolicyChange> {
  // An empty proposal must mean "no effect", never "the bundle was not rebuilt".
  const stale = await bundleStaleness(root);
  if (stale[0]) return { added: [], cleared: [], error: `${stale[0].message} — ${stale[0].hint ?? 'run mnops policy build'} to see what the new rules would do` };
  let own: Finding[];
  try {
    own = (await runPolicies(root, eco, now, await PolicyEngine.load(root))).findings;
  } catch (err) {
    return { added: [], cleared: [], error: err instanceof Error ? err.message : String(err) };
  }
  const before = new Set(verdict.map(findingKey));
  const after = new Set(own.map(findingKey));
  return { added: sortFindings(own.filter((f) => !before.has(findingKey(f)))), cleared: sortFindings(verdict.filter((f) => !after.has(findingKey(f)))) };
}

function inScope(file: string, scope: string): boolean {
  return scope === '' || file === scope || file.startsWith(`${scope}/`);
}
