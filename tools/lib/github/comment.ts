// The sticky pull-request comment: found by a hidden marker AND by its author being the
// token's own identity (paginated lookup, so a PR with hundreds of comments still finds it),
// updated in place, never duplicated. A comment carrying the marker from anyone else — a PR
// author can paste it — is ignored and never updated.
import { call, explain, type GitHubClient } from './client.js';

/** GitHub rejects issue and comment bodies above 65,536 characters. */
export const MAX_BODY = 65_536;

/** Who GITHUB_TOKEN acts as. */
export const ACTIONS_BOT_LOGIN = 'github-actions[bot]';

export function withMarker(marker: string, body: string): string {
  const tag = `<!-- ${marker} -->`;
  const text = `${tag}\n${body}`;
  if (text.length <= MAX_BODY) return text;
  const note = '\n\n… (truncated: the job summary has the whole report)';
  return text.slice(0, MAX_BODY - note.length) + note;
}

/** GitHub logins compare without case. */
export function sameLogin(a: string | undefined | null, b: string): boolean {
  return typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
}

/**
 * The login the token acts as. A user's token says so at GET /user; an installation token
 * (GITHUB_TOKEN, a GitHub App's) is refused there (403), so it is the installation's bot:
 * `fallback`, github-actions[bot] unless the workflow says otherwise (`my-app[bot]`).
 */
export async function tokenLogin(gh: GitHubClient, fallback: string = ACTIONS_BOT_LOGIN): Promise<string> {
  try {
    const { data } = await gh.rest.users.getAuthenticated();
    return data.login;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 401 || status === 403 || status === 404) return fallback;
    throw explain(err, 'find out whom the token belongs to (GET /user)', 'none');
  }
}

export interface StickyResult {
  id: number;
  url: string;
  created: boolean;
  /** Whom the comment is from: the token's identity. */
  author: string;
  /** Authors of other comments that carry the marker, ignored. */
  ignored: string[];
}

export interface StickyOptions {
  /** The token's identity, when the caller knows it (skips GET /user). */
  author?: string;
  /** Identity of an installation token, which GET /user refuses (default github-actions[bot]). */
  fallbackAuthor?: string;
}

export async function upsertStickyComment(
  gh: GitHubClient,
  where: { owner: string; repo: string; issue: number },
  marker: string,
  body: string,
  options: StickyOptions = {},
): Promise<StickyResult> {
  const tag = `<!-- ${marker} -->`;
  const text = withMarker(marker, body);
  const { owner, repo, issue } = where;
  const author = options.author || (await tokenLogin(gh, options.fallbackAuthor || ACTIONS_BOT_LOGIN));
  const comments = await call(`list the comments of #${issue}`, 'pull-requests: read', () =>
    gh.paginate(gh.rest.issues.listComments, { owner, repo, issue_number: issue, per_page: 100 }),
  );
  const marked = comments.filter((c) => c.body?.startsWith(tag));
  const mine = marked.find((c) => sameLogin(c.user?.login, author));
  const ignored = [...new Set(marked.filter((c) => c !== mine && !sameLogin(c.user?.login, author)).map((c) => c.user?.login ?? 'ghost'))];
  if (mine) {
    if (mine.body === text) return { id: mine.id, url: mine.html_url, created: false, author, ignored };
    const { data } = await call(`update the mnops comment on #${issue}`, 'pull-requests: write', () =>
      gh.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: text }),
    );
    return { id: data.id, url: data.html_url, created: false, author, ignored };
  }
  const { data } = await call(`comment on #${issue}`, 'pull-requests: write', () => gh.rest.issues.createComment({ owner, repo, issue_number: issue, body: text }));
  return { id: data.id, url: data.html_url, created: true, author, ignored };
}
