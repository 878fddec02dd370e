// `mnops validate`: load → schema → references → (policies) → findings limited to what the
// caller asked about (paths, or the impact of a git change).
import path from 'node:path';
import type { Ecosystem } from '../manifest/ecosystem.js';
import { checkReferences, impactOfChanges, isFindingAffected, manifestKeysOfText, type Impact } from '../registry/index.js';
import { changedFilesSince } from '../repo/git.js';
import { relativeInside } from '../repo/paths.js';
import { RepoError } from '../repo/errors.js';
import { sortFindings, summarize, type Finding, type Report } from '../report/finding.js';
import { TOOL_VERSION } from '../version.js';
import { loadEcosystem, type LoadOptions } from './load-ecosystem.js';
import { runPolicies, type WaivedFinding } from '../policy/index.js';

export interface ValidateOptions extends Omit<LoadOptions, 'paths'> {
  root: string;
  /** Report only findings in files under these paths (absolute or relative to cwd). */
  paths?: string[];
  /** Report only findings the change since this git ref affects. */
  changedSince?: string;
  /** Evaluate the Rego policies (default true). */
  policies?: boolean;
  /** The time policies judge against (expiry, ttl); default now. */
  now?: Date;
}

export interface ValidateOutcome {
  report: Report;
  ecosystem: Ecosystem;
  /** Set with --changed-since. */
  impact?: Impact;
  /** Findings a PolicyException waived. */
  waived: WaivedFinding[];
  stats: { files: number; parsed: number; cached: number; ms: number };
}

export async function validate(options: ValidateOptions): Promise<ValidateOutcome> {
  const t0 = performance.now();
  const { root } = options;
  const scopes = (options.paths ?? []).map((p) => {
    const rel = relativeInside(root, path.resolve(p));
    if (rel === null) throw new RepoError(`${p} is outside the repository root ${root}`, 'pass paths inside the repository, or a different --root');
    return rel;
  });
  const change = options.changedSince ? await changedFilesSince(root, options.changedSince) : undefined;
  // Always load the whole ecosystem: references cross folders. Paths only scope the report.
  const loaded = await loadEcosystem(root, { cacheDir: options.cacheDir, limits: options.limits, threads: options.threads });
  const eco = loaded.ecosystem;
  let findings: Finding[] = [...loaded.findings, ...checkReferences(eco)];
  let waived: WaivedFinding[] = [];
  if (options.policies !== false) {
    const run = await runPolicies(root, eco, options.now ?? new Date());
    findings.push(...run.findings);
    waived = run.waived;
  }

  let impact: Impact | undefined;
  if (change) {
    impact = impactOfChanges(eco, change.changed, change.deleted.flatMap((d) => manifestKeysOfText(d.text)));
    const affected = impact;
    findings = findings.filter((f) => isFindingAffected(f, affected));
  }
  if (scopes.length > 0) {
    const envsInScope = new Set(
      [...eco.environments.values()].filter((e) => scopes.some((s) => inScope(e.file, s))).map((e) => e.name),
    );
    findings = findings.filter((f) => scopes.some((s) => inScope(f.file, s)) || (f.environment !== undefined && envsInScope.has(f.environment)));
  }
  const sorted = sortFindings(findings);
  return {
    report: { summary: summarize(eco.documentCount, sorted), findings: sorted, root, toolVersion: TOOL_VERSION },
    ecosystem: eco,
    impact,
    waived,
    stats: { ...loaded.stats, ms: performance.now() - t0 },
  };
}

function inScope(file: string, scope: string): boolean {
  return scope === '' || file === scope || file.startsWith(`${scope}/`);
}
