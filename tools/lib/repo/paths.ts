// The repository boundary: every file we read is inside the root, after symlinks.
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../report/finding.js';
import { RepoError } from './errors.js';

/** Top-level folders that hold manifests (DESIGN §2). */
export const MANIFEST_DIRS = ['ecosystem', 'platforms', 'registry'] as const;
const YAML_EXT = /\.ya?ml$/i;

export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** Repo-relative posix path of an absolute path, or null when it lies outside the root. */
export function relativeInside(root: string, abs: string): string | null {
  const rel = path.relative(root, abs);
  if (rel === '' ) return '';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  return toPosix(rel);
}

/**
 * A reference written in a manifest (e.g. a secret file) must be a relative path that stays
 * inside the repository. Returns the reason it does not, or null.
 */
export function referenceEscapes(ref: string): string | null {
  if (ref.includes('\0')) return 'contains a NUL byte';
  if (path.posix.isAbsolute(ref) || path.win32.isAbsolute(ref)) return 'is an absolute path';
  const norm = path.posix.normalize(ref.replace(/\\/g, '/'));
  if (norm === '..' || norm.startsWith('../')) return 'leaves the repository through ".."';
  return null;
}

export async function resolveRoot(root: string): Promise<string> {
  try {
    const real = await realpath(path.resolve(root));
    const st = await stat(real);
    if (!st.isDirectory()) throw new RepoError(`${root} is not a directory`, 'pass --root a repository folder');
    return real;
  } catch (err) {
    if (err instanceof RepoError) throw err;
    throw new RepoError(`cannot read the repository root ${root}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'pass --root an existing folder');
  }
}

export interface DiscoveredFiles {
  /** Repo-relative posix paths of manifest files, sorted. */
  files: string[];
  /** Symlinks that point outside the root, and other refused entries. */
  findings: Finding[];
}

function escapeFinding(file: string, target: string): Finding {
  return {
    ruleId: 'path.outside-root',
    severity: 'error',
    message: `${file} is a symlink to ${target}, outside the repository`,
    hint: 'replace the symlink with a real file inside the repository',
    file,
    line: 1,
    column: 1,
  };
}

/**
 * Every *.yaml / *.yml under the manifest folders (or under the given paths). Symlinks are
 * followed only when their target stays inside the root; others become findings.
 */
export async function discoverManifestFiles(root: string, paths?: string[]): Promise<DiscoveredFiles> {
  const files = new Set<string>();
  const findings: Finding[] = [];
  const starts = paths && paths.length > 0 ? paths.map((p) => checkedStart(root, p)) : MANIFEST_DIRS.map((d) => path.join(root, d));

  async function visit(abs: string, depth: number, seen: Set<string>): Promise<void> {
    if (depth > 32) return;
    let st;
    try {
      st = await lstat(abs);
    } catch {
      return;
    }
    const rel = relativeInside(root, abs)!;
    if (st.isSymbolicLink()) {
      let target: string;
      try {
        target = await realpath(abs);
      } catch {
        findings.push({ ...escapeFinding(rel, 'a missing target'), message: `${rel} is a broken symlink` , hint: 'remove it or point it at a file in the repository' });
        return;
      }
      if (relativeInside(root, target) === null) {
        findings.push(escapeFinding(rel, target));
        return;
      }
      if (seen.has(target)) return;
      seen.add(target);
      st = await stat(target);
    }
    if (st.isDirectory()) {
      const entries = await readdir(abs);
      entries.sort();
      for (const e of entries) {
        if (e.startsWith('.') || e === 'node_modules') continue;
        await visit(path.join(abs, e), depth + 1, seen);
      }
    } else if (st.isFile() && YAML_EXT.test(abs)) {
      files.add(rel);
    }
  }

  for (const start of starts) await visit(start, 0, new Set());
  return { files: [...files].sort(), findings };
}

function checkedStart(root: string, p: string): string {
  const abs = path.resolve(p);
  if (relativeInside(root, abs) === null) {
    throw new RepoError(`${p} is outside the repository root ${root}`, 'pass paths inside the repository, or a different --root');
  }
  return abs;
}
