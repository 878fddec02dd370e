// Which GitHub repository a clone belongs to, for commands run outside Actions: named,
// else $GITHUB_REPOSITORY, else read from the remote's URL.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UsageError } from '../repo/errors.js';

const run = promisify(execFile);
const OWNER_REPO = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;

/** `owner/name` from a remote URL: https://host/owner/name(.git), git@host:owner/name(.git), ssh://…/owner/name. */
export function repositoryOfUrl(url: string): { owner: string; repo: string } | undefined {
  const m = /^(?:[a-z+]+:\/\/[^/]+\/|[^@/\s]+@[^:/\s]+:)([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(url.trim());
  return m ? { owner: m[1]!, repo: m[2]! } : undefined;
}

export async function githubRepository(root: string, remote: string | undefined, explicit?: string): Promise<{ owner: string; repo: string }> {
  const named = explicit ?? process.env.GITHUB_REPOSITORY;
  if (named) {
    const m = OWNER_REPO.exec(named);
    if (!m) throw new UsageError(`"${named}" is not a GitHub repository (owner/name)`, 'pass --repo owner/name');
    return { owner: m[1]!, repo: m[2]! };
  }
  if (remote) {
    const url = await run('git', ['remote', 'get-url', remote], { cwd: root }).then((r) => r.stdout, () => '');
    const found = repositoryOfUrl(url);
    if (found) return found;
  }
  throw new UsageError('cannot tell which GitHub repository this clone belongs to', 'pass --repo owner/name (or set GITHUB_REPOSITORY)');
}
