import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitError } from '../../tools/lib/repo/errors.js';
import { changedFilesSince } from '../../tools/lib/repo/git.js';
import { git, removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function write(root: string, file: string, text: string): void {
  const abs = path.join(root, file);
  mkdirSync(path.dirname(abs), { recursive: true });
  writeFileSync(abs, text);
}

describe('changedFilesSince on a real repository', () => {
  let root: string;
  let first: string;

  beforeAll(() => {
    root = tempDir('mnops-git-');
    dirs.push(root);
    git(root, 'init', '-q', '-b', 'main');
    write(root, '.gitignore', 'ignored.yaml\n');
    write(root, 'a.yaml', 'a: 1\n');
    write(root, 'b.yaml', 'b: 1\n');
    write(root, 'notes.txt', 'gone\n');
    write(root, 'sub/old.yaml', 'old: 1\n');
    write(root, 'sub/same.yaml', 'same: 1\n');
    write(root, 'dir with space/é.yaml', 'x: 1\n');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'first');
    first = git(root, 'rev-parse', 'HEAD').trim();
    git(root, 'tag', 'v1');

    write(root, 'c.yaml', 'c: 1\n');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'second');

    // Working tree changes: a modification (unstaged), a deletion, a staged rename,
    // a deleted non-YAML file, an untracked file, an ignored file, an odd file name.
    write(root, 'a.yaml', 'a: 2\n');
    rmSync(path.join(root, 'b.yaml'));
    rmSync(path.join(root, 'notes.txt'));
    git(root, 'mv', 'sub/old.yaml', 'sub/new.yaml');
    write(root, 'untracked.yaml', 'u: 1\n');
    write(root, 'ignored.yaml', 'i: 1\n');
    write(root, 'dir with space/é.yaml', 'x: 2\n');
  });

  it('lists modified, deleted, both sides of a rename and untracked files; deleted YAML comes with its old text', async () => {
    const change = await changedFilesSince(root, 'HEAD');
    expect(change.changed).toEqual(['a.yaml', 'b.yaml', 'dir with space/é.yaml', 'notes.txt', 'sub/new.yaml', 'sub/old.yaml', 'untracked.yaml']);
    expect(change.deleted).toEqual([
      { file: 'b.yaml', text: 'b: 1\n' },
      { file: 'sub/old.yaml', text: 'old: 1\n' },
    ]);
  });

  it('compares with older refs by tag or commit id', async () => {
    const byTag = await changedFilesSince(root, 'v1');
    expect(byTag.changed).toContain('c.yaml');
    expect(await changedFilesSince(root, first)).toEqual(byTag);
    expect((await changedFilesSince(root, 'main')).changed).not.toContain('c.yaml');
  });

  it('a root inside the repository sees paths relative to itself, and only under it', async () => {
    const change = await changedFilesSince(path.join(root, 'sub'), 'HEAD');
    expect(change).toEqual({ changed: ['new.yaml', 'old.yaml'], deleted: [{ file: 'old.yaml', text: 'old: 1\n' }] });
  });

  it('an unknown ref is a GitError that says what to do', async () => {
    const err = await changedFilesSince(root, 'no-such-branch').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toBe(
      'unknown git ref "no-such-branch" — fetch it or pass a commit that exists (in GitHub Actions use fetch-depth: 0)',
    );
    // Never passed on as an option.
    await expect(changedFilesSince(root, '--output=/tmp/x')).rejects.toThrow('unknown git ref "--output=/tmp/x"');
    await expect(changedFilesSince(root, '0123456789abcdef0123456789abcdef01234567')).rejects.toBeInstanceOf(GitError);
  });

  it('a folder that is not a git repository is a GitError', async () => {
    const plain = tempDir('mnops-nogit-');
    dirs.push(plain);
    const err = await changedFilesSince(plain, 'main').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as GitError).message).toBe(`${plain} is not inside a git repository`);
  });
});
