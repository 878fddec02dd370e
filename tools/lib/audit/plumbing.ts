// Git plumbing for the trail: objects and refs are written directly, so appending never
// touches the working tree, the index or the current branch of the checkout it runs in.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GitError } from '../repo/errors.js';

export interface GitResult {
  stdout: string;
  stderr: string;
  code: number;
}

const IDENTITY = {
  GIT_COMMITTER_NAME: 'mnops audit',
  GIT_COMMITTER_EMAIL: 'audit@mnops.invalid',
};

export function gitRun(cwd: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'git',
      args,
      { cwd, env: { ...process.env, ...IDENTITY, GIT_TERMINAL_PROMPT: '0', ...options.env }, maxBuffer: 512 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 128) : 0;
        resolve({ stdout: String(stdout), stderr: String(stderr), code });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like git(), with stdout as bytes: object sizes from cat-file count bytes, not characters. */
export function gitBytes(cwd: string, args: string[], input: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd, env: { ...process.env, ...IDENTITY, GIT_TERMINAL_PROMPT: '0' }, encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new GitError(`git ${args[0]} failed: ${String(stderr).trim().split('\n')[0] ?? ''}`, 'check the repository and its remote'));
        else resolve(stdout);
      },
    );
    child.stdin?.end(input);
  });
}

export async function git(cwd: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await gitRun(cwd, args, options);
  if (r.code !== 0) throw new GitError(`git ${args[0]} failed: ${r.stderr.trim().split('\n')[0] ?? ''}`, 'check the repository and its remote');
  return r.stdout;
}

/** The commit a ref points at, or undefined. */
export async function resolveRef(cwd: string, ref: string): Promise<string | undefined> {
  const r = await gitRun(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** Reads a file of a commit's tree, or '' when it does not exist. */
export async function readBlob(cwd: string, commit: string, file: string): Promise<string> {
  const r = await gitRun(cwd, ['cat-file', '-p', `${commit}:${file}`]);
  return r.code === 0 ? r.stdout : '';
}

/**
 * A commit whose tree is the parent's with one file replaced, built in a private index so
 * nothing the user sees changes.
 */
export async function commitFile(
  cwd: string,
  parent: string | undefined,
  file: string,
  content: string,
  message: string,
  author: { name: string; email: string; date: string },
): Promise<string> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mnops-audit-index-'));
  const env = { GIT_INDEX_FILE: path.join(tmp, 'index') };
  try {
    const blob = (await git(cwd, ['hash-object', '-w', '--stdin'], { input: content })).trim();
    if (parent) await git(cwd, ['read-tree', parent], { env });
    else await git(cwd, ['read-tree', '--empty'], { env });
    await git(cwd, ['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], { env });
    const tree = (await git(cwd, ['write-tree'], { env })).trim();
    const args = ['commit-tree', tree, ...(parent ? ['-p', parent] : [])];
    return (
      await git(cwd, args, {
        input: message,
        env: { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_AUTHOR_DATE: author.date, GIT_COMMITTER_DATE: author.date },
      })
    ).trim();
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
