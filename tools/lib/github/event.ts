// What an action learns from its runner: the repository, the event (a pull request's number,
// base and head), the run's URL. Read from the environment GitHub sets, so a test sets the
// same variables and a real event payload.
import { readFileSync } from 'node:fs';
import { actionsRunUrl } from '../audit/identity.js';
import { GitHubError } from './client.js';

export interface ActionContext {
  owner: string;
  repo: string;
  eventName: string;
  /** The commit the workflow runs on. */
  sha: string;
  /** Branch of a push / dispatch (`main`), without refs/heads/. */
  branch?: string;
  /** GITHUB_REF as the runner set it (`refs/heads/main`, `refs/pull/7/merge`), '' when unset. */
  ref: string;
  /** The repository's default branch, from the event payload's `repository.default_branch`. */
  defaultBranch?: string;
  /** This workflow run (GITHUB_RUN_ID): its environment approvals are read by it. */
  runId?: number;
  pullRequest?: { number: number; baseSha: string; headSha: string; baseRef: string; headRef: string; fork: boolean };
  actor: string;
  workspace: string;
  /** Link to this run, for comments, issues and deployment statuses. */
  runUrl?: string;
  /** GITHUB_SERVER_URL (https://github.com, or a GitHub Enterprise Server). */
  serverUrl: string;
  event: Record<string, unknown>;
}

export function readActionContext(env: NodeJS.ProcessEnv = process.env): ActionContext {
  const repository = env.GITHUB_REPOSITORY ?? '';
  const [owner, repo] = repository.split('/');
  if (!owner || !repo) throw new GitHubError('GITHUB_REPOSITORY is not set (owner/name)', 'run this as a GitHub Action, or set GITHUB_REPOSITORY');
  let event: Record<string, unknown> = {};
  if (env.GITHUB_EVENT_PATH) {
    try {
      event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as Record<string, unknown>;
    } catch {
      throw new GitHubError(`the event payload ${env.GITHUB_EVENT_PATH} cannot be read as JSON`, 'run this as a GitHub Action');
    }
  }
  const pr = event.pull_request as
    | { number: number; base: { sha: string; ref: string; repo?: { full_name?: string } }; head: { sha: string; ref: string; repo?: { full_name?: string } } }
    | undefined;
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const ref = env.GITHUB_REF ?? '';
  const defaultBranch = (event.repository as { default_branch?: unknown } | undefined)?.default_branch;
  const runId = Number(env.GITHUB_RUN_ID);
  const runUrl = actionsRunUrl(env);
  return {
    owner,
    repo,
    eventName: env.GITHUB_EVENT_NAME ?? '',
    sha: env.GITHUB_SHA ?? '',
    ...(ref.startsWith('refs/heads/') ? { branch: ref.slice('refs/heads/'.length) } : {}),
    ref,
    ...(typeof defaultBranch === 'string' && defaultBranch ? { defaultBranch } : {}),
    ...(Number.isSafeInteger(runId) && runId > 0 ? { runId } : {}),
    ...(pr
      ? {
          pullRequest: {
            number: pr.number,
            baseSha: pr.base.sha,
            headSha: pr.head.sha,
            baseRef: pr.base.ref,
            headRef: pr.head.ref,
            fork: pr.head.repo?.full_name !== undefined && pr.head.repo.full_name !== pr.base.repo?.full_name,
          },
        }
      : {}),
    actor: env.GITHUB_ACTOR ?? 'github-actions',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    serverUrl: server,
    ...(runUrl ? { runUrl } : {}),
    event,
  };
}
