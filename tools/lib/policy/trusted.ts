// The rules a change is judged by. A pull request controls its whole tree, policies and
// settings included, so in PR mode the policy bundle, the PolicySettings and the
// PolicyExceptions come from a trusted commit's git objects (the base), never from the
// working tree. Exceptions the change adds or alters count only once approved.
import { buildEcosystem, EXCEPTIONS_DIR, locateIn, SETTINGS_FILE, type Ecosystem, type ManifestRecord } from '../manifest/ecosystem.js';
import { DEFAULT_LIMITS, parseManifestBytes } from '../manifest/load.js';
import { commitTree, type CommitTree } from '../repo/git-tree.js';
import type { Finding } from '../report/finding.js';
import { packageRoot, repositoryBundle } from './bundle.js';
import { PolicyEngine } from './engine.js';
import { PolicyError } from './errors.js';

export interface PolicyInputs {
  engine: PolicyEngine;
  settings: Map<string, ManifestRecord<'PolicySettings'>>;
  exceptions: Map<string, ManifestRecord<'PolicyException'>>;
  /** The commit they were read from. */
  commit: string;
}

/** The bundle, settings and exceptions as the commit `ref` holds them. */
export async function policyInputsAt(root: string, ref: string, at?: Promise<CommitTree>): Promise<PolicyInputs> {
  const tree = await (at ?? commitTree(root, ref));
  const label = `commit ${tree.commit.slice(0, 12)}`;
  // Read together: the git reads of both go to the same processes.
  const [bundle, governance] = await Promise.all([repositoryBundle(tree, label), governanceAt(root, tree, label)]);
  const engine =
    bundle === 'builtin' ? await PolicyEngine.load(packageRoot()) : await PolicyEngine.fromBytes(bundle.wasm, bundle.meta, `${label}:policies/dist`, label);
  return { engine, ...governance, commit: tree.commit };
}

async function governanceAt(root: string, tree: CommitTree, label: string): Promise<Pick<PolicyInputs, 'settings' | 'exceptions'>> {
  const settings = tree.read(SETTINGS_FILE);
  const exceptionFiles = (await tree.list(EXCEPTIONS_DIR)).filter((f) => /\.ya?ml$/i.test(f));
  const files = [SETTINGS_FILE, ...exceptionFiles];
  const parsed = [];
  const read = await Promise.all([settings, ...exceptionFiles.map((file) => tree.read(file))]);
  for (const [i, file] of files.entries()) {
    const bytes = read[i];
    if (bytes) parsed.push({ file, content: parseManifestBytes(bytes, DEFAULT_LIMITS) });
  }
  const { ecosystem, findings } = buildEcosystem(root, parsed);
  const broken = findings.find((f) => f.severity === 'error');
  if (broken) {
    // The trusted side must load: judging by half of it could pass what it would refuse.
    throw new PolicyError(`the governance of ${label} does not load: ${broken.file}:${broken.line} ${broken.message}`, 'fix it on the base branch first');
  }
  return { settings: ecosystem.settings, exceptions: ecosystem.exceptions };
}

/** The ecosystem as the policies see it: the change's manifests, the trusted governance. */
export function judgedBy(eco: Ecosystem, governance: Pick<PolicyInputs, 'settings' | 'exceptions'>): Ecosystem {
  return { ...eco, settings: governance.settings, exceptions: governance.exceptions };
}

export interface ExceptionReview {
  /** Repo-relative files the change adds, modifies or deletes. */
  changedFiles: Set<string>;
  /** GitHub logins who approved the pull request (the validate action reads them from GitHub). */
  approvedBy?: string[];
}

/** Logins an exception names as its approvers (`approvedBy: "alice, bob"`). */
function namedApprovers(rec: ManifestRecord<'PolicyException'>): string[] {
  return rec.manifest.spec.approvedBy.split(/[\s,]+/).filter(Boolean);
}

/**
 * The exceptions that count for a change: the trusted ones whose file the change leaves alone,
 * plus the ones it adds or alters that an allowed approver approved. The rest are findings.
 */
export function countedExceptions(
  working: Ecosystem,
  trusted: PolicyInputs,
  review: ExceptionReview,
): { exceptions: Map<string, ManifestRecord<'PolicyException'>>; findings: Finding[] } {
  const exceptions = new Map<string, ManifestRecord<'PolicyException'>>();
  for (const [name, rec] of trusted.exceptions) if (!review.changedFiles.has(rec.file)) exceptions.set(name, rec);
  const allowed = new Set([...trusted.settings.values()][0]?.manifest.spec.exceptions?.approvers ?? []);
  const approvedBy = new Set(review.approvedBy ?? []);
  const findings: Finding[] = [];
  for (const [name, rec] of working.exceptions) {
    if (!review.changedFiles.has(rec.file)) continue;
    const ok = namedApprovers(rec).filter((login) => approvedBy.has(login) && allowed.has(login));
    if (ok.length > 0) {
      exceptions.set(name, rec);
      continue;
    }
    findings.push({
      ruleId: 'exceptions.unapproved',
      severity: 'error',
      message: `exception ${name} is added or changed by this change and waives nothing until approved: its approvedBy (${rec.manifest.spec.approvedBy}) must name someone who approved the pull request${allowed.size ? ` and is an exception approver (${[...allowed].join(', ')})` : ', and the base settings list no exception approvers'}`,
      hint: allowed.size
        ? `ask one of ${[...allowed].join(', ')} to approve the pull request, and name them in spec.approvedBy`
        : `list exception approvers in ${SETTINGS_FILE} (spec.exceptions.approvers) on the base branch first`,
      ...locateIn(rec, '/spec/approvedBy'),
      kind: 'PolicyException',
      name,
      path: '/spec/approvedBy',
    });
  }
  return { exceptions, findings };
}

export const DEFAULT_EXCEPTION_MAX_DAYS = 90;

/** Exceptions that would run longer than the settings allow: errors, and they waive nothing. */
export function exceptionLifetimes(
  working: Ecosystem,
  settings: Map<string, ManifestRecord<'PolicySettings'>>,
  now: Date,
): { tooLong: Set<string>; findings: Finding[] } {
  const maxDays = [...settings.values()][0]?.manifest.spec.exceptions?.maxDays ?? DEFAULT_EXCEPTION_MAX_DAYS;
  const limit = now.getTime() + maxDays * 86_400_000;
  const tooLong = new Set<string>();
  const findings: Finding[] = [];
  for (const [name, rec] of working.exceptions) {
    const expires = Date.parse(rec.manifest.spec.expires);
    if (Number.isNaN(expires) || expires <= limit) continue;
    tooLong.add(name);
    findings.push({
      ruleId: 'exceptions.lifetime',
      severity: 'error',
      message: `exception ${name} expires ${rec.manifest.spec.expires}, more than ${maxDays} days from now: it waives nothing`,
      hint: `set spec.expires to ${new Date(limit).toISOString().slice(0, 10)} or earlier, and renew it when it runs out`,
      ...locateIn(rec, '/spec/expires'),
      kind: 'PolicyException',
      name,
      path: '/spec/expires',
    });
  }
  return { tooLong, findings };
}
