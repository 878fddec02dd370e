// Files as a commit holds them, read from git's objects and never from the working tree:
// what a pull request cannot have changed. Used to judge a change by its base's rules.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
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
  const objects = objectReader(root);
  const hashBytes = commit.length / 2;
  return {
    commit,
    async read(file) {
      const spec = `${commit}:${prefix}${file}`;
      // The batch protocol is line-based: a name with a line break is read on its own.
      if (/[\n\r]/.test(spec)) {
        const r = await git(root, ['cat-file', 'blob', spec], 'buffer');
        return r.code === 0 ? (r.stdout as Buffer) : undefined;
      }
      const o = await objects(spec);
      return o?.type === 'blob' ? o.body : undefined;
    },
    async list(dir) {
      // Walks the tree objects through the same reader as the blobs: no process of its own.
      const top = `${prefix}${dir}`.replace(/\/+$/, '');
      if (/[\n\r]/.test(top)) return [];
      const files: string[] = [];
      const walk = async (spec: string, at: string): Promise<void> => {
        const o = await objects(spec);
        if (!o) return;
        if (o.type === 'blob') {
          files.push(at);
          return;
        }
        if (o.type !== 'tree') return;
        const subtrees: Promise<void>[] = [];
        for (const e of treeEntries(o.body, hashBytes)) {
          const name = at === '' ? e.name : `${at}/${e.name}`;
          if (e.mode === '40000') subtrees.push(walk(e.oid, name));
          else if (e.mode !== '160000') files.push(name); // a submodule is not a file of this commit
        }
        await Promise.all(subtrees);
      };
      await walk(`${commit}:${top}`, top);
      return files
        .filter((f) => f.startsWith(prefix))
        .map((f) => f.slice(prefix.length))
        .sort();
    },
  };
}

/** The entries of a tree object: "<mode> <name>\0<oid bytes>" one after another. */
function* treeEntries(body: Buffer, hashBytes: number): Generator<{ mode: string; name: string; oid: string }> {
  let at = 0;
  while (at < body.length) {
    const sp = body.indexOf(0x20, at);
    const nul = body.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 1 + hashBytes > body.length) return;
    yield { mode: body.subarray(at, sp).toString('latin1'), name: body.subarray(sp + 1, nul).toString('utf8'), oid: body.subarray(nul + 1, nul + 1 + hashBytes).toString('hex') };
    at = nul + 1 + hashBytes;
  }
}

interface Pending {
  spec: string;
  resolve: (o: GitObject | undefined) => void;
  reject: (err: Error) => void;
}

interface GitObject {
  type: string;
  body: Buffer;
}

/**
 * One `git cat-file --batch` for every object a run reads, blobs and trees alike: a process
 * per read, or per turn of the event loop, costs milliseconds each. Answers come back in the
 * order asked. The process holds the event loop only while an answer is awaited, and ends
 * with it. A missing object reads as undefined.
 */
function objectReader(root: string): (spec: string) => Promise<GitObject | undefined> {
  let child: ChildProcessWithoutNullStreams | undefined;
  let failed: Error | undefined;
  const waiting: Pending[] = [];
  let buffered: Buffer = Buffer.alloc(0);

  const fail = (err: Error) => {
    failed = err;
    for (const p of waiting.splice(0)) p.reject(err);
  };
  const hold = (on: boolean) => {
    if (!child) return;
    for (const h of [child, child.stdout, child.stderr, child.stdin] as unknown as { ref(): void; unref(): void }[]) {
      if (on) h.ref();
      else h.unref();
    }
  };
  const drain = () => {
    while (waiting.length > 0) {
      const nl = buffered.indexOf(0x0a);
      if (nl < 0) return;
      const header = buffered.subarray(0, nl).toString('utf8');
      // "<oid> <type> <size>", or "<spec> missing" / "<spec> ambiguous".
      const m = /^[0-9a-f]{40,64} (\w+) (\d+)$/.exec(header);
      if (!m) {
        buffered = buffered.subarray(nl + 1);
        waiting.shift()!.resolve(undefined);
        continue;
      }
      const size = Number(m[2]);
      if (buffered.length < nl + 1 + size + 1) return; // the body is still on its way
      const body = Buffer.from(buffered.subarray(nl + 1, nl + 1 + size));
      buffered = buffered.subarray(nl + 1 + size + 1);
      waiting.shift()!.resolve({ type: m[1]!, body });
    }
    if (waiting.length === 0) hold(false);
  };
  const start = (): ChildProcessWithoutNullStreams => {
    const c = spawn('git', ['cat-file', '--batch'], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, b]) : b;
      drain();
    });
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    c.stdin.on('error', () => undefined); // reported by 'close' below
    c.on('error', (err) => fail(new GitError(`git cat-file failed: ${err.message}`)));
    c.on('close', (code) => fail(new GitError(`git cat-file failed: ${stderr.trim() || `exit ${code}`}`)));
    return c;
  };
  return (spec) =>
    new Promise((resolve, reject) => {
      if (failed) return reject(failed);
      child ??= start();
      if (waiting.length === 0) hold(true);
      waiting.push({ spec, resolve, reject });
      child.stdin.write(`${spec}\n`);
    });
}
