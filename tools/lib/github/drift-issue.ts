// One drift issue per environment: found by label and a hidden marker (never duplicated),
// opened when drift appears, its body replaced while drift lasts, closed with a comment when
// drift clears.
import { call, type GitHubClient } from './client.js';
import { withMarker } from './comment.js';

export type DriftIssueAction = 'opened' | 'updated' | 'unchanged' | 'closed' | 'none';

export interface DriftIssueResult {
  environment: string;
  action: DriftIssueAction;
  number?: number;
  url?: string;
}

export const driftMarker = (environment: string) => `mnops:drift:${environment}`;

/** Open drift issues by environment, read once for all environments (paginated). */
export async function openDriftIssues(gh: GitHubClient, where: { owner: string; repo: string }, label: string): Promise<Map<string, { number: number; body: string; url: string }>> {
  const issues = await call('list the open drift issues', 'issues: read', () =>
    gh.paginate(gh.rest.issues.listForRepo, { owner: where.owner, repo: where.repo, state: 'open', labels: label, per_page: 100 }),
  );
  const out = new Map<string, { number: number; body: string; url: string }>();
  for (const i of issues) {
    if (i.pull_request) continue;
    const m = /^<!-- mnops:drift:(\S+) -->/.exec(i.body ?? '');
    if (m?.[1] && !out.has(m[1])) out.set(m[1], { number: i.number, body: i.body ?? '', url: i.html_url });
  }
  return out;
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
    gh.rest.issues.create({ owner, repo, title: `Drift in ${environment}`, body, labels: [d.label] }),
  );
  return { environment, action: 'opened', number: data.number, url: data.html_url };
}
