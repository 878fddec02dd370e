// Guards the benchmark generator: a synthetic ecosystem must be valid (zero findings), or
// the bench would time error reporting instead of validation.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEcosystem, touchFiles, type SyntheticSummary } from '../../bench/synthetic.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { removeDir, tempDir } from '../helpers/repo.js';

describe('bench synthetic ecosystem', () => {
  let dir: string;
  let summary: SyntheticSummary;

  beforeAll(() => {
    dir = tempDir('mnops-synthetic-');
    summary = generateEcosystem(dir, 300);
  });
  afterAll(() => removeDir(dir));

  it('writes about the requested number of manifests, of every kind', () => {
    expect(summary.files).toBe(300);
    expect(summary.platforms).toBeGreaterThan(200);
    expect(summary.templates).toBeGreaterThanOrEqual(6);
    expect(summary.environments).toBeGreaterThanOrEqual(2);
    expect(summary.avgLines).toBeGreaterThan(25);
    expect(summary.avgLines).toBeLessThan(50);
  });

  it('validates with zero findings', async () => {
    const { report } = await validate({ root: dir, cacheDir: false });
    expect(report.findings).toEqual([]);
    expect(report.summary.manifests).toBe(300);
  });

  it('is deterministic for a seed', () => {
    const other = tempDir('mnops-synthetic-');
    try {
      generateEcosystem(other, 300, { git: false });
      const diff = execFileSync('git', ['diff', '--no-index', '--stat', '--', `${dir}/platforms`, `${other}/platforms`], { encoding: 'utf8' });
      expect(diff).toBe('');
    } finally {
      removeDir(other);
    }
  });

  it('touchFiles commits exactly n changed platform files, still valid', async () => {
    const touched = touchFiles(dir, 5);
    expect(touched).toHaveLength(5);
    const changed = execFileSync('git', ['diff', '--name-only', 'HEAD~1', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').sort();
    expect(changed).toEqual([...touched].sort());
    const { report } = await validate({ root: dir, cacheDir: false, changedSince: 'HEAD~1' });
    expect(report.findings).toEqual([]);
  });
});
