// Approvals GitHub itself records: the review history of this workflow run's environment
// deployments (GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals). A job that names
// `environment: prod` waits until one of that environment's required reviewers approves; the
// approval is then in this list, with who gave it and for which environments. Nothing a
// workflow input or a dispatching user types can add to it.
import { isGatedTier, type Tier } from '../manifest/kinds.js';
import { call, GitHubError, type GitHubClient } from './client.js';
import type { ActionContext } from './event.js';

export interface EnvironmentReview {
  state: 'approved' | 'rejected' | 'pending';
  /** Who reviewed. */
  login: string;
  /** Names of the GitHub environments the review covers. */
  environments: string[];
  comment: string;
}

export const APPROVALS_PERMISSION = 'actions: read';

/** The review history of a workflow run (GitHub answers it whole: it is not paginated). */
export async function runReviews(gh: GitHubClient, where: { owner: string; repo: string }, runId: number): Promise<EnvironmentReview[]> {
  const { data } = await call(`read the environment approvals of run ${runId}`, APPROVALS_PERMISSION, () =>
    gh.rest.actions.getReviewsForRun({ owner: where.owner, repo: where.repo, run_id: runId }),
  );
  return data.map((r) => ({
    state: r.state,
    login: r.user.login,
    environments: r.environments.flatMap((e) => (typeof e.name === 'string' ? [e.name] : [])),
    comment: r.comment,
  }));
}

/**
 * Who approved `environment` in these reviews: the logins of the `approved` reviews that
 * cover a GitHub environment named exactly like it, once each, in the order they approved.
 */
export function approversOf(reviews: readonly EnvironmentReview[], environment: string): string[] {
  const out: string[] = [];
  for (const r of reviews) {
    if (r.state !== 'approved' || !r.environments.includes(environment)) continue;
    if (!out.some((l) => l.toLowerCase() === r.login.toLowerCase())) out.push(r.login);
  }
  return out;
}

/** The approvers of this run's deployment to `environment` (none without a run id). */
export async function environmentApprovers(gh: GitHubClient, ctx: ActionContext, environment: string): Promise<string[]> {
  if (ctx.runId === undefined) return [];
  return approversOf(await runReviews(gh, ctx, ctx.runId), environment);
}

/** The repository's default branch: from the event payload, else from the API. */
export async function defaultBranchOf(gh: GitHubClient | undefined, ctx: ActionContext): Promise<string | undefined> {
  if (ctx.defaultBranch) return ctx.defaultBranch;
  if (!gh) return undefined;
  const { data } = await call('read the repository (its default branch)', 'contents: read', () => gh.rest.repos.get({ owner: ctx.owner, repo: ctx.repo }));
  return data.default_branch;
}

export interface ProtectedTarget {
  environment: string;
  /** The environment's tier; undefined (it does not load) counts as protected. */
  tier: Tier | undefined;
}

export function isProtected(t: ProtectedTarget): boolean {
  return t.tier === undefined || isGatedTier(t.tier);
}

/**
 * Throws unless every protected target (tier staging or prod) may be changed by this run:
 * the run is on the repository's default branch, and it passed that GitHub environment's
 * protection — an `approved` review covering an environment named exactly like the target.
 * `what` names the change ("heal"). One sentence; nothing has been changed when it throws.
 */
export async function assertProtectedRun(gh: GitHubClient | undefined, ctx: ActionContext, targets: readonly ProtectedTarget[], what: string): Promise<void> {
  const guarded = targets.filter(isProtected);
  if (!guarded.length) return;
  const names = guarded.map((t) => t.environment);
  const refuse = (why: string, hint: string): never => {
    throw new GitHubError(`refusing to ${what} ${list(guarded.map((t) => `${t.environment} (tier ${t.tier ?? 'unknown'})`))}: ${why}`, hint);
  };
  const job = `environment: ${guarded.length === 1 ? names[0] : '<name>'}`;
  if (!gh) refuse('without a token the approvals of this run cannot be read', `pass token: \${{ github.token }} and grant the job permissions: { ${APPROVALS_PERMISSION} }`);
  const defaultBranch = await defaultBranchOf(gh, ctx);
  if (!defaultBranch) refuse('the repository’s default branch is unknown', 'run it from a workflow_dispatch on the default branch');
  if (ctx.ref !== `refs/heads/${defaultBranch}`) {
    refuse(`the run is on ${ctx.ref || 'no ref'}, not on the default branch ${defaultBranch}`, `dispatch the workflow on ${defaultBranch}`);
  }
  if (ctx.runId === undefined) refuse('GITHUB_RUN_ID is not set, so the run’s approvals cannot be read', 'run it as a GitHub Actions job');
  const reviews = await runReviews(gh!, ctx, ctx.runId!);
  const unapproved = names.filter((n) => approversOf(reviews, n).length === 0);
  if (unapproved.length) {
    refuse(
      `this run has no approved review for the GitHub environment${unapproved.length > 1 ? 's' : ''} ${unapproved.map((n) => `"${n}"`).join(', ')}`,
      `run the job with ${job} and give that GitHub environment required reviewers`,
    );
  }
}

function list(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
