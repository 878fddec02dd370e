// What changed since a git ref, for `--changed-since`: the working tree (staged, unstaged and
// untracked files) against REF, with the old text of deleted manifests so the caller can tell
// which manifests vanished.
import { execFileSync } from 'node:child_process';
import { simpleGit, type SimpleGit } from 'simple-git';
import { GitError } from './errors.js';
import { commitTree, type CommitTree } from './git-tree.js';

export interface ChangedFiles {
  /**
   * Repo-relative posix paths that differ between REF and the working tree, sorted: added,
   * modified, deleted, both sides of a rename, and untracked files that are not ignored.
   */
  changed: string[];
  /** Deleted (or renamed-away) YAML files, with their text at REF. */
  deleted: { file: string; text: string }[];
}

const YAML_EXT = /\.ya?ml$/i;

function reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? 'git failed';
}

async function openRepo(root: string): Promise<{ git: SimpleGit; prefix: string }> {
  let git: SimpleGit;
  try {
    git = simpleGit({ baseDir: root });
  } catch (err) {
    throw new GitError(`cannot run git in ${root}: ${reason(err)}`, 'check that git is installed and the folder exists');
  }
  try {
    // The root may be a folder inside the repository: git paths are relative to the top level.
    const prefix = (await git.raw(['rev-parse', '--show-prefix'])).trim();
    return { git, prefix };
  } catch (err) {
    const why = reason(err);
    if (/not a git repository/i.test(why)) {
      throw new GitError(`${root} is not inside a git repository`, 'run from a clone of the repository, or drop --changed-since');
    }
    throw new GitError(`git failed in ${root}: ${why}`, 'check that git is installed and the repository is readable');
  }
}

/** `-z` output: NUL-separated fields. */
function fields(out: string): string[] {
  return out.split('\0').filter((f) => f !== '');
}

/** `at`: the tree of `ref`, when the caller reads it anyway (one `git rev-parse` for both). */
export async function changedFilesSince(root: string, ref: string, at?: Promise<CommitTree>): Promise<ChangedFiles> {
  let tree: CommitTree;
  try {
    tree = await (at ?? commitTree(root, ref));
  } catch (err) {
    if (err instanceof GitError && /not inside a git repository/.test(err.message)) throw new GitError(err.message, 'run from a clone of the repository, or drop --changed-since');
    throw err;
  }
  const { commit } = tree;
  let git: SimpleGit;
  try {
    git = simpleGit({ baseDir: root });
  } catch (err) {
    throw new GitError(`cannot run git in ${root}: ${reason(err)}`, 'check that git is installed and the folder exists');
  }
  let diff: string;
  let untracked: string;
  try {
    // --no-renames: a rename is a delete plus an add. --relative: paths relative to the root,
    // and only under it.
    [diff, untracked] = await Promise.all([
      git.raw(['diff', '--name-status', '-z', '--no-renames', '--relative', commit, '--', '.']),
      git.raw(['ls-files', '--others', '--exclude-standard', '-z', '--', '.']),
    ]);
  } catch (err) {
    throw new GitError(`git diff against "${ref}" failed: ${reason(err)}`, 'check that the repository is readable');
  }

  const changed = new Set<string>(fields(untracked));
  const deletedFiles: string[] = [];
  const parts = fields(diff);
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const status = parts[i]!;
    const file = parts[i + 1]!;
    changed.add(file);
    if (status.startsWith('D') && YAML_EXT.test(file)) deletedFiles.push(file);
  }

  const deleted: ChangedFiles['deleted'] = await Promise.all(
    deletedFiles.sort().map(async (file) => {
      const bytes = await tree.read(file);
      if (!bytes) throw new GitError(`cannot read ${file} at "${ref}"`, 'check that the repository is complete (not a partial clone)');
      return { file, text: bytes.toString('utf8') };
    }),
  );
  return { changed: [...changed].sort(), deleted };
}

/**
 * Pushes the current HEAD to `branch` on `remote`. A push rejected because the branch moved
 * (another run committed meanwhile) is rebased onto the new tip and tried again.
 */
export async function pushHead(root: string, branch: string, remote = 'origin', attempts = 3): Promise<string> {
  const { git } = await openRepo(root);
  if (branch === '' || branch.startsWith('-')) throw new GitError(`cannot push to branch "${branch}"`, 'run on a branch (e.g. workflow_dispatch on main)');
  for (let i = 1; ; i++) {
    try {
      await git.raw(['push', remote, `HEAD:refs/heads/${branch}`]);
      return (await git.revparse(['HEAD'])).trim();
    } catch (err) {
      const why = reason(err);
      if (i >= attempts || !/rejected|fetch first|non-fast-forward/i.test(String(err))) {
        throw new GitError(`git push to ${remote} ${branch} failed: ${why}`, 'check that the job may push (permissions: contents: write) and the branch is not protected against it');
      }
      try {
        await git.raw(['pull', '--rebase', '--no-edit', remote, branch]);
      } catch (pullErr) {
        await git.raw(['rebase', '--abort']).catch(() => undefined);
        throw new GitError(`git push to ${remote} ${branch} was rejected and rebasing onto it failed: ${reason(pullErr)}`, 'resolve the conflict by hand, then push');
      }
    }
  }
}

/** The branch checked out in `root`, or undefined when HEAD is detached. */
export async function currentBranch(root: string): Promise<string | undefined> {
  const { git } = await openRepo(root);
  const name = (await git.raw(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim();
  return name || undefined;
}

/**
 * A fresh CI runner has no git identity, and `git commit` refuses to run without one: when the
 * repository and the environment name none, commits are made as `fallback`.
 */
export async function ensureCommitIdentity(root: string, fallback: { name: string; email: string }): Promise<void> {
  if (process.env.GIT_AUTHOR_EMAIL && process.env.GIT_COMMITTER_EMAIL) return;
  const { git } = await openRepo(root);
  const email = (await git.raw(['config', '--get', 'user.email']).catch(() => '')).trim();
  if (email) return;
  process.env.GIT_AUTHOR_NAME ??= fallback.name;
  process.env.GIT_AUTHOR_EMAIL ??= fallback.email;
  process.env.GIT_COMMITTER_NAME ??= fallback.name;
  process.env.GIT_COMMITTER_EMAIL ??= fallback.email;
}

/**
 * Of `files` (relative to `root`), those the last commit does not hold: untracked, or added
 * but not committed. Undefined when git cannot say (not a repository, no commit yet).
 * Synchronous: asked only for the few files that define one name twice.
 */
export function filesNotInHead(root: string, files: readonly string[]): Set<string> | undefined {
  if (files.length === 0) return new Set();
  let out: string;
  try {
    out = execFileSync('git', ['ls-tree', '-r', '-z', '--name-only', 'HEAD', '--', ...files], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
  const committed = new Set(fields(out));
  return new Set(files.filter((f) => !committed.has(f)));
}
