// The repository boundary: every file we read is inside the root, after symlinks.
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../report/finding.js';
import { RepoError } from './errors.js';

/** Top-level folders that hold manifests. */
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
  /** Those of them reached through a symlink (a linked file, or one in a linked folder). */
  linked: string[];
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

/** A folder's entries as discovery needs them: name and type (folder, file, symlink, other). */
export type Listing = [name: string, type: 'd' | 'f' | 'l' | 'o'][];

/** What a stat says about whether a file or folder changed. */
export interface FileStat {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

/** Folder listings of an earlier walk, good while the folder's own stat is unchanged. */
export interface ListingCache {
  /** The folder's stat (`dir` relative, `abs` its path), taken before it is listed. */
  statDir(dir: string, abs: string): FileStat;
  get(dir: string, st: FileStat): Listing | undefined;
  set(dir: string, st: FileStat, listing: Listing): void;
}

function listingOf(entries: Dirent[]): Listing {
  return entries.map((e) => [e.name, e.isDirectory() ? 'd' : e.isFile() ? 'f' : e.isSymbolicLink() ? 'l' : 'o']);
}

/**
 * Every *.yaml / *.yml under the manifest folders (or under the given paths). Symlinks are
 * followed only when their target stays inside the root; others become findings.
 * Synchronous on purpose: one readdir with file types per folder is ~15x faster than an
 * awaited lstat per entry (10k files: ~0.12 s against ~2 s). With `listings`, a folder whose
 * stat is unchanged is not read again (adding, removing or renaming an entry changes it).
 */
export function discoverManifestFiles(root: string, paths?: string[], listings?: ListingCache): DiscoveredFiles {
  const files = new Set<string>();
  const linked = new Set<string>();
  const findings: Finding[] = [];
  const starts = paths && paths.length > 0 ? paths.map((p) => checkedStart(root, p)) : MANIFEST_DIRS.map((d) => path.join(root, d));
  const seen = new Set<string>();

  function add(rel: string, viaLink: boolean): void {
    files.add(rel);
    if (viaLink) linked.add(rel);
  }

  /** Follows a symlink if it stays inside the root; returns its stat, or undefined. */
  function followLink(abs: string): Stats | undefined {
    const rel = relativeInside(root, abs)!;
    let target: string;
    try {
      target = realpathSync(abs);
    } catch {
      findings.push({ ...escapeFinding(rel, 'a missing target'), message: `${rel} is a broken symlink`, hint: 'remove it or point it at a file in the repository' });
      return undefined;
    }
    if (relativeInside(root, target) === null) {
      findings.push(escapeFinding(rel, target));
      return undefined;
    }
    if (seen.has(target)) return undefined;
    seen.add(target);
    return statSync(target);
  }

  function read(abs: string, rel: string): Listing | undefined {
    try {
      const st = listings?.statDir(rel, abs);
      const known = st && listings!.get(rel, st);
      if (known) return known;
      const entries = readdirSync(abs, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const listing = listingOf(entries);
      if (st) listings!.set(rel, st, listing);
      return listing;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new RepoError(`cannot read ${rel || '.'}: ${code ?? 'error'}`, 'check the folder exists and is readable');
    }
  }

  function visitDir(abs: string, rel: string, depth: number, viaLink: boolean): void {
    if (depth > 32) return;
    const listing = read(abs, rel);
    if (!listing) return;
    for (const [name, type] of listing) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const child = `${abs}${path.sep}${name}`;
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (type === 'd') visitDir(child, childRel, depth + 1, viaLink);
      else if (type === 'f') {
        if (YAML_EXT.test(name)) add(childRel, viaLink);
      } else if (type === 'l') {
        const st = followLink(child);
        if (st?.isDirectory()) visitDir(child, childRel, depth + 1, true);
        else if (st?.isFile() && YAML_EXT.test(name)) add(childRel, true);
      }
    }
  }

  for (const start of starts) {
    let st: Stats;
    try {
      st = lstatSync(start);
    } catch {
      continue;
    }
    const rel = relativeInside(root, start)!;
    const isLink = st.isSymbolicLink();
    if (isLink) {
      const target = followLink(start);
      if (!target) continue;
      st = target;
    }
    if (st.isDirectory()) visitDir(start, rel, 0, isLink);
    else if (st.isFile() && YAML_EXT.test(start)) add(rel, isLink);
  }
  return { files: [...files].sort(), linked: [...linked].sort(), findings };
}

function checkedStart(root: string, p: string): string {
  const abs = path.resolve(p);
  if (relativeInside(root, abs) === null) {
    throw new RepoError(`${p} is outside the repository root ${root}`, 'pass paths inside the repository, or a different --root');
  }
  return abs;
}
