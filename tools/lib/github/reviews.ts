// Who approved a pull request, as GitHub records it: each reviewer's latest decisive review
// (a later "changes requested" or a dismissal withdraws an approval).
import { call, type GitHubClient } from './client.js';

export async function pullRequestApprovers(gh: GitHubClient, where: { owner: string; repo: string; pull: number }): Promise<string[]> {
  const reviews = await call(`list the reviews of #${where.pull}`, 'pull-requests: read', () =>
    gh.paginate(gh.rest.pulls.listReviews, { owner: where.owner, repo: where.repo, pull_number: where.pull, per_page: 100 }),
  );
  const latest = new Map<string, string>();
  for (const r of reviews) {
    const login = r.user?.login;
    if (!login || !r.state || r.state === 'COMMENTED' || r.state === 'PENDING') continue;
    latest.set(login, r.state);
  }
  return [...latest].filter(([, state]) => state === 'APPROVED').map(([login]) => login).sort();
}
