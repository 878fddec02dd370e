// Files as a commit holds them, read from git's objects and never from the working tree:
// what a pull request cannot have changed. Used to judge a change by its base's rules.
import { execFile, spawn } from 'node:child_process';
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
  // One call for both: the prefix line, then the commit.
  const c = await git(root, ['rev-parse', '--show-prefix', '--verify', '--quiet', `${ref}^{commit}`]);
  const lines = String(c.stdout).split('\n');
  const prefix = (lines[0] ?? '').trim();
  const commit = (lines[1] ?? '').trim();
  if (c.code !== 0 || !/^[0-9a-f]{40,64}$/.test(commit)) {
    if (/not a git repository/i.test(c.stderr)) throw new GitError(`${root} is not inside a git repository`, 'run from a clone of the repository');
    throw unknown;
  }
  const batch = batchReader(root);
  return {
    commit,
    async read(file) {
      const spec = `${commit}:${prefix}${file}`;
      // The batch protocol is line-based: a name with a line break is read on its own.
      if (/[\n\r]/.test(spec)) {
        const r = await git(root, ['cat-file', 'blob', spec], 'buffer');
        return r.code === 0 ? (r.stdout as Buffer) : undefined;
      }
      return batch(spec);
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

interface Pending {
  spec: string;
  resolve: (bytes: Buffer | undefined) => void;
  reject: (err: Error) => void;
}

/**
 * Blobs asked for in the same turn of the event loop are read by one `git cat-file --batch`
 * (a process per file costs milliseconds each). Anything but a blob reads as undefined.
 */
function batchReader(root: string): (spec: string) => Promise<Buffer | undefined> {
  let pending: Pending[] = [];
  const flush = () => {
    const asked = pending;
    pending = [];
    const child = spawn('git', ['cat-file', '--batch'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => chunks.push(b));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', (err) => asked.forEach((p) => p.reject(new GitError(`git cat-file failed: ${err.message}`))));
    child.on('close', (code) => {
      if (code !== 0) {
        asked.forEach((p) => p.reject(new GitError(`git cat-file failed: ${stderr.trim() || `exit ${code}`}`)));
        return;
      }
      const out = Buffer.concat(chunks);
      let at = 0;
      for (const p of asked) {
        const nl = out.indexOf(0x0a, at);
        if (nl < 0) {
          p.reject(new GitError(`git cat-file ended early reading ${p.spec}`));
          continue;
        }
        const header = out.subarray(at, nl).toString('utf8');
        at = nl + 1;
        // "<oid> <type> <size>", or "<spec> missing" / "<spec> ambiguous".
        const m = /^[0-9a-f]{40,64} (\w+) (\d+)$/.exec(header);
        if (!m) {
          p.resolve(undefined);
          continue;
        }
        const size = Number(m[2]);
        const body = out.subarray(at, at + size);
        at += size + 1;
        p.resolve(m[1] === 'blob' ? Buffer.from(body) : undefined);
      }
    });
    child.stdin.end(asked.map((p) => `${p.spec}\n`).join(''));
  };
  return (spec) =>
    new Promise((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ spec, resolve, reject });
    });
}
