// A commit's files read from git's objects: what the PR checks judge a change by. One
// `git cat-file --batch` serves every read and listing of a run, and never keeps the process up.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { commitTree } from '../../tools/lib/repo/git-tree.js';
import { PROJECT_ROOT, commitNewRepo, removeDir, tempDir } from '../helpers/repo.js';

let repo = '';
let shim = '';
const log = () => readFileSync(path.join(shim, 'calls.log'), 'utf8').trim().split('\n').filter(Boolean);

beforeAll(() => {
  repo = commitNewRepo(
    tempDir('mnops-gittree-'),
    {
      'policies/a.rego': 'package a\n',
      'policies/deep/er/b.rego': 'package b\n',
      'policies/with space.rego': 'package c\n',
      'policies/ünï.rego': 'package d\n',
      'sub/ecosystem/x.yaml': 'kind: X\n',
      'big.bin': 'y'.repeat(300_000),
      'README.md': '# r\n',
    },
    'files',
  );
  // A git on PATH that logs each call, then runs the real one.
  shim = tempDir('mnops-gitshim-');
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(path.join(shim, 'git'), `#!/bin/sh\necho "$*" >> ${path.join(shim, 'calls.log')}\nexec ${real} "$@"\n`);
  chmodSync(path.join(shim, 'git'), 0o755);
  writeFileSync(path.join(shim, 'calls.log'), '');
});
afterAll(() => {
  vi.unstubAllEnvs();
  removeDir(repo);
  removeDir(shim);
});

describe('a commit tree', () => {
  it('reads blobs and lists folders, all through one git process', async () => {
    vi.stubEnv('PATH', `${shim}:${process.env.PATH ?? ''}`);
    const tree = await commitTree(repo, 'HEAD');
    expect(await tree.list('policies')).toEqual(['policies/a.rego', 'policies/deep/er/b.rego', 'policies/with space.rego', 'policies/ünï.rego']);
    expect((await tree.read('policies/ünï.rego'))?.toString()).toBe('package d\n');
    // Asked in later turns of the event loop, and one large object between small ones.
    await new Promise((r) => setTimeout(r, 20));
    const [big, readme, missing, folder] = await Promise.all([tree.read('big.bin'), tree.read('README.md'), tree.read('nope.yaml'), tree.read('policies')]);
    expect(big?.length).toBe(300_000);
    expect(readme?.toString()).toBe('# r\n');
    expect(missing, 'a file the commit lacks').toBeUndefined();
    expect(folder, 'a folder is not a file').toBeUndefined();
    expect(await tree.list('no-such-dir')).toEqual([]);
    expect(await tree.list('README.md'), 'a file lists as itself, as ls-tree does').toEqual(['README.md']);
    vi.unstubAllEnvs();
    const calls = log();
    expect(calls.filter((c) => c.startsWith('cat-file')), calls.join('\n')).toEqual(['cat-file --batch']);
    expect(calls.filter((c) => c.startsWith('ls-tree'))).toEqual([]);
  });

  it('sees paths relative to a folder inside the repository', async () => {
    const tree = await commitTree(path.join(repo, 'sub'), 'HEAD');
    expect(await tree.list('ecosystem')).toEqual(['ecosystem/x.yaml']);
    expect((await tree.read('ecosystem/x.yaml'))?.toString()).toBe('kind: X\n');
  });

  it('does not keep the process alive once the reads are answered', () => {
    const script = `import { commitTree } from ${JSON.stringify(path.join(PROJECT_ROOT, 'dist/tools/lib/repo/git-tree.js'))};
const t = await commitTree(${JSON.stringify(repo)}, 'HEAD');
console.log((await t.list('policies')).length, (await t.read('README.md')).length);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(r.error, 'the process ended by itself').toBeUndefined();
    expect(r.stdout.trim()).toBe('4 4');
  });
});
