// A pull request that renames a manifest inside the same file breaks whatever still names
// the old one. `--changed-since` must report that breakage where it lands (the instances and
// the dependents), as a full run does: the names a file held at the base and holds no longer
// propagate like a deleted file's.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../tools/lib/report/finding.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { exampleRepo, FIXED_NOW, removeDir } from '../helpers/repo.js';

const NOW = new Date(FIXED_NOW);
const about = (name: string, fs: Finding[]) => fs.filter((f) => f.message.includes(`"${name}"`)).map((f) => `${f.ruleId} ${f.file}:${f.line} ${f.message}`).sort();

describe('a manifest renamed in place', () => {
  let root: string;
  beforeEach(() => {
    root = exampleRepo({ git: true });
  });
  afterEach(() => removeDir(root));

  it('is reported in every file that still names it, as the full run reports it', async () => {
    const file = path.join(root, 'platforms/data-platform/platform.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^ {2}name: data-platform$/m, '  name: data-renamed-platform'));
    const pr = await validate({ root, changedSince: 'HEAD', now: NOW, cacheDir: false });
    const full = await validate({ root, policyRef: 'HEAD', now: NOW, cacheDir: false });
    const expected = about('data-platform', full.report.findings);
    expect(expected.length).toBeGreaterThan(1);
    expect(expected.some((f) => f.includes('ecosystem/platform-cloud/dev/platform.yaml'))).toBe(true);
    expect(about('data-platform', pr.report.findings)).toEqual(expected);
    expect(pr.report.summary.errors).toBeGreaterThan(0);
  });
});
