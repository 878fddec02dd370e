// One drift issue per environment: found by label, a hidden marker and its author being the
// token's own identity (never duplicated; an issue someone else opened with the marker is
// left alone), opened when drift appears, its body replaced while drift lasts, closed with a
// comment when drift clears.
import { showControlChars } from '../report/formats/text.js';
import { call, type GitHubClient } from './client.js';
import { sameLogin, withMarker } from './comment.js';

export type DriftIssueAction = 'opened' | 'updated' | 'unchanged' | 'closed' | 'none';

export interface DriftIssueResult {
  environment: string;
  action: DriftIssueAction;
  number?: number;
  url?: string;
}

/** The hidden marker of an environment's issue; a name that could end the HTML comment is encoded. */
export const driftMarker = (environment: string) => `mnops:drift:${encodeURIComponent(environment)}`;

/** An issue title: one line, no control characters (titles render code spans, nothing else). */
export function driftIssueTitle(environment: string): string {
  return `Drift in ${showControlChars(environment.replace(/\r\n|\r|\n/g, ' ')).replace(/`/g, 'ˋ')}`.slice(0, 256);
}

/**
 * Open drift issues by environment, read once for all environments (paginated). With
 * `author`, only issues that identity opened count.
 */
export async function openDriftIssues(
  gh: GitHubClient,
  where: { owner: string; repo: string },
  label: string,
  author?: string,
): Promise<Map<string, { number: number; body: string; url: string }>> {
  const issues = await call('list the open drift issues', 'issues: read', () =>
    gh.paginate(gh.rest.issues.listForRepo, { owner: where.owner, repo: where.repo, state: 'open', labels: label, per_page: 100 }),
  );
  const out = new Map<string, { number: number; body: string; url: string }>();
  for (const i of issues) {
    if (i.pull_request) continue;
    if (author !== undefined && !sameLogin(i.user?.login, author)) continue;
    const m = /^<!-- mnops:drift:(\S+) -->/.exec(i.body ?? '');
    const environment = m?.[1] ? decodeMarker(m[1]) : undefined;
    if (environment !== undefined && !out.has(environment)) out.set(environment, { number: i.number, body: i.body ?? '', url: i.html_url });
  }
  return out;
}

function decodeMarker(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

export async function syncDriftIssue(
  gh: GitHubClient,
  where: { owner: string; repo: string },
  existing: { number: number; body: string; url: string } | undefined,
  d: { environment: string; drifted: boolean; body: string; label: string; clearedNote: string },
): Promise<DriftIssueResult> {
  const { owner, repo } = where;
  const environment = d.environment;
  if (!d.drifted) {
    if (!existing) return { environment, action: 'none' };
    await call(`comment on drift issue #${existing.number}`, 'issues: write', () => gh.rest.issues.createComment({ owner, repo, issue_number: existing.number, body: d.clearedNote }));
    await call(`close drift issue #${existing.number}`, 'issues: write', () =>
      gh.rest.issues.update({ owner, repo, issue_number: existing.number, state: 'closed', state_reason: 'completed' }),
    );
    return { environment, action: 'closed', number: existing.number, url: existing.url };
  }
  const body = withMarker(driftMarker(environment), d.body);
  if (existing) {
    if (existing.body === body) return { environment, action: 'unchanged', number: existing.number, url: existing.url };
    await call(`update drift issue #${existing.number}`, 'issues: write', () => gh.rest.issues.update({ owner, repo, issue_number: existing.number, body }));
    return { environment, action: 'updated', number: existing.number, url: existing.url };
  }
  const { data } = await call(`open a drift issue for ${environment}`, 'issues: write', () =>
    gh.rest.issues.create({ owner, repo, title: driftIssueTitle(environment), body, labels: [d.label] }),
  );
  return { environment, action: 'opened', number: data.number, url: data.html_url };
}
