// One sticky comment per pull request: found by a hidden marker (paginated lookup, so a PR
// with hundreds of comments still finds it), updated in place, never duplicated.
import { call, type GitHubClient } from './client.js';

/** GitHub rejects issue and comment bodies above 65,536 characters. */
export const MAX_BODY = 65_536;

export function withMarker(marker: string, body: string): string {
  const tag = `<!-- ${marker} -->`;
  const text = `${tag}\n${body}`;
  if (text.length <= MAX_BODY) return text;
  const note = '\n\n… (truncated: the job summary has the whole report)';
  return text.slice(0, MAX_BODY - note.length) + note;
}

export interface StickyResult {
  id: number;
  url: string;
  created: boolean;
}

export async function upsertStickyComment(
  gh: GitHubClient,
  where: { owner: string; repo: string; issue: number },
  marker: string,
  body: string,
): Promise<StickyResult> {
  const tag = `<!-- ${marker} -->`;
  const text = withMarker(marker, body);
  const { owner, repo, issue } = where;
  const comments = await call(`list the comments of #${issue}`, 'pull-requests: read', () =>
    gh.paginate(gh.rest.issues.listComments, { owner, repo, issue_number: issue, per_page: 100 }),
  );
  const mine = comments.find((c) => c.body?.startsWith(tag));
  if (mine) {
    if (mine.body === text) return { id: mine.id, url: mine.html_url, created: false };
    const { data } = await call(`update the mnops comment on #${issue}`, 'pull-requests: write', () =>
      gh.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: text }),
    );
    return { id: data.id, url: data.html_url, created: false };
  }
  const { data } = await call(`comment on #${issue}`, 'pull-requests: write', () => gh.rest.issues.createComment({ owner, repo, issue_number: issue, body: text }));
  return { id: data.id, url: data.html_url, created: true };
}
