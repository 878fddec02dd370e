import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { validate } from '../../tools/lib/validate/validate.js';
import { edit, exampleRepo, FIXED_NOW, removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
const NOW = new Date(FIXED_NOW);
afterAll(() => dirs.forEach(removeDir));

describe('parse cache keyed by git blob id', () => {
  it('a warm run parses nothing, a changed file is parsed again and its findings are fresh', async () => {
    const root = exampleRepo();
    const cacheDir = tempDir('mnops-cache-');
    dirs.push(root, cacheDir);

    const cold = await validate({ root, cacheDir, now: NOW });
    expect(cold.stats.cached).toBe(0);
    expect(cold.stats.parsed).toBe(cold.stats.files);
    expect(cold.report.findings).toEqual([]);
    expect(readdirSync(cacheDir).filter((f) => /^parse-.*\.jsonl?$/.test(f)).length).toBeGreaterThanOrEqual(1);

    const warm = await validate({ root, cacheDir, now: NOW });
    expect(warm.stats.parsed).toBe(0);
    expect(warm.stats.cached).toBe(warm.stats.files);
    expect(warm.report.summary).toEqual(cold.report.summary);

    edit(root, 'platforms/governance-platform/platform.yaml', '  lifecycle: active\n', '  lifecycle: active\n  lifecycle: active\n');
    const changed = await validate({ root, cacheDir, now: NOW });
    expect(changed.stats.parsed).toBe(1);
    expect(changed.report.findings.map((f) => [f.ruleId, f.file])).toEqual([['yaml.duplicate-key', 'platforms/governance-platform/platform.yaml']]);

    // The cached findings are replayed with their file on the next warm run too.
    const again = await validate({ root, cacheDir, now: NOW });
    expect(again.stats.parsed).toBe(0);
    expect(again.report.findings).toEqual(changed.report.findings);
  });

  it('a corrupt cache file is ignored, not trusted', async () => {
    const root = exampleRepo();
    const cacheDir = tempDir('mnops-cache-');
    dirs.push(root, cacheDir);
    await validate({ root, cacheDir, now: NOW });
    const { writeFileSync } = await import('node:fs');
    const files = readdirSync(cacheDir).filter((f) => f.startsWith('parse-'));
    expect(files.length).toBeGreaterThan(0);
    // Torn writes: every line of every cache file cut short.
    for (const f of files) writeFileSync(`${cacheDir}/${f}`, '{"format":3,"entries":{trunc\n{"id":"abc","entry":{"documents":[');
    const r = await validate({ root, cacheDir, now: NOW });
    expect(r.stats.cached).toBe(0);
    expect(r.report.findings).toEqual([]);
  });
});
