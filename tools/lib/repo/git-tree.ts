// Files as a commit holds them, read from git's objects and never from the working tree:
// what a pull request cannot have changed. Used to judge a change by its base's rules.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GitError } from './errors.js';

const run = promisify(execFile);

export interface CommitTree {
  /** The full commit id the ref named. */
  commit: string;
  /** Bytes of a file (root-relative posix path), or undefined when the commit has none. */
  read(file: string): Promise<Buffer | undefined>;
  /** Root-relative paths of the files under a folder (recursively), sorted. */
  list(dir: string): Promise<string[]>;
}

async function git(root: string, args: string[], encoding: 'utf8' | 'buffer' = 'utf8'): Promise<{ stdout: string | Buffer; code: number; stderr: string }> {
  try {
    const r = await run('git', args, { cwd: root, encoding, maxBuffer: 256 * 1024 * 1024 });
    return { stdout: r.stdout, code: 0, stderr: String(r.stderr) };
  } catch (err) {
    const e = err as { code?: number; stderr?: unknown; stdout?: string | Buffer };
    return { stdout: e.stdout ?? '', code: typeof e.code === 'number' ? e.code : 1, stderr: String(e.stderr ?? err) };
  }
}

/** The tree of `ref` as seen from `root` (which may be a folder inside the repository). */
export async function commitTree(root: string, ref: string): Promise<CommitTree> {
  const unknown = new GitError(`unknown git ref "${ref}" — fetch it or pass a commit that exists (in GitHub Actions use fetch-depth: 0)`);
  if (ref === '' || ref.startsWith('-')) throw unknown;
  const c = await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  const commit = String(c.stdout).trim();
  if (c.code !== 0 || !/^[0-9a-f]{40,64}$/.test(commit)) {
    if (/not a git repository/i.test(c.stderr)) throw new GitError(`${root} is not inside a git repository`, 'run from a clone of the repository');
    throw unknown;
  }
  const prefix = String((await git(root, ['rev-parse', '--show-prefix'])).stdout).trim();
  return {
    commit,
    async read(file) {
      const r = await git(root, ['cat-file', 'blob', `${commit}:${prefix}${file}`], 'buffer');
      return r.code === 0 ? (r.stdout as Buffer) : undefined;
    },
    async list(dir) {
      const r = await git(root, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit, '--', `${prefix}${dir}`]);
      if (r.code !== 0) return [];
      return String(r.stdout)
        .split('\0')
        .filter((f) => f !== '' && f.startsWith(prefix))
        .map((f) => f.slice(prefix.length))
        .sort();
    },
  };
}
