import { createHash } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { defaultCacheDir } from '../../tools/lib/ecosystem-load/parse-cache.js';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { edit, exampleRepo, FIXED_NOW, removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
const NOW = new Date(FIXED_NOW);
afterAll(() => dirs.forEach(removeDir));
afterEach(() => {
  vi.unstubAllEnvs();
  vi.doUnmock('../../tools/lib/version.js');
  vi.resetModules();
});

const PLATFORM = 'platforms/governance-platform/platform.yaml';
const REAL_IMAGE = 'mnops/base:${version}';
const EVIL_IMAGE = 'evil/miner:latest';

function fresh(): { root: string; cacheDir: string } {
  const root = exampleRepo();
  const cacheDir = tempDir('mnops-cache-');
  dirs.push(root, cacheDir);
  return { root, cacheDir };
}

/** The cache's data files (everything but its key), by name. */
function cacheFiles(cacheDir: string): string[] {
  return readdirSync(cacheDir).filter((f) => f.startsWith('parse-')).sort();
}

/** The git blob id of a repository file, as git computes it. */
function blobOf(root: string, file: string): string {
  const bytes = readFileSync(path.join(root, file));
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

/**
 * Puts the data files `from` wrote where `to`'s are looked for: files are named
 * `parse-<salt><suffix>`, so each of `to` is replaced by the one of `from` with its suffix.
 */
function substitute(cacheDir: string, from: string[], to: string[]): void {
  const suffix = (f: string) => f.replace(/^parse-[0-9a-f]+/, '');
  for (const f of to) rmSync(path.join(cacheDir, f));
  const salt = to[0]!.match(/^parse-[0-9a-f]+/)![0];
  for (const f of from) renameSync(path.join(cacheDir, f), path.join(cacheDir, `${salt}${suffix(f)}`));
}

/** Puts the cache files written since `mine` in place of this repository's own, then loads: nothing may come from them. */
async function expectForeignCacheIgnored(root: string, cacheDir: string, mine: string[]): Promise<void> {
  const theirs = cacheFiles(cacheDir).filter((f) => !mine.includes(f));
  expect(theirs.length).toBeGreaterThan(0);
  substitute(cacheDir, theirs, mine);
  const r = await loadEcosystem(root, { cacheDir });
  expect(r.stats.cached).toBe(0);
  expect(r.stats.parsed).toBe(r.stats.files);
}

const imageOf = (outcome: Awaited<ReturnType<typeof validate>>) => outcome.ecosystem.platforms.get('governance-platform')!.manifest.spec.image;

describe('parse cache keyed by git blob id', () => {
  it('a warm run parses nothing, a changed file is parsed again and its findings are fresh', async () => {
    const { root, cacheDir } = fresh();

    const cold = await validate({ root, cacheDir, now: NOW });
    expect(cold.stats.cached).toBe(0);
    expect(cold.stats.parsed).toBe(cold.stats.files);
    expect(cold.report.findings).toEqual([]);
    expect(cacheFiles(cacheDir).length).toBeGreaterThanOrEqual(1);

    const warm = await validate({ root, cacheDir, now: NOW });
    expect(warm.stats.parsed).toBe(0);
    expect(warm.stats.cached).toBe(warm.stats.files);
    expect(warm.report.summary).toEqual(cold.report.summary);

    edit(root, PLATFORM, '  lifecycle: active\n', '  lifecycle: active\n  lifecycle: active\n');
    const changed = await validate({ root, cacheDir, now: NOW });
    expect(changed.stats.parsed).toBe(1);
    expect(changed.report.findings.map((f) => [f.ruleId, f.file])).toEqual([['yaml.duplicate-key', PLATFORM]]);

    // The cached findings are replayed with their file on the next warm run too.
    const again = await validate({ root, cacheDir, now: NOW });
    expect(again.stats.parsed).toBe(0);
    expect(again.report.findings).toEqual(changed.report.findings);
  });

  it('entries are keyed by content, not size: a same-length edit is parsed again and seen', async () => {
    const { root, cacheDir } = fresh();
    expect(imageOf(await validate({ root, cacheDir, now: NOW }))).toBe(REAL_IMAGE);
    const before = readFileSync(path.join(root, PLATFORM));
    const sameLength = 'evil/miner:${version}';
    expect(sameLength).toHaveLength(REAL_IMAGE.length);
    edit(root, PLATFORM, REAL_IMAGE, sameLength);
    expect(statSync(path.join(root, PLATFORM)).size).toBe(before.byteLength);
    const after = await validate({ root, cacheDir, now: NOW });
    expect(after.stats.parsed).toBe(1);
    expect(imageOf(after)).toBe(sameLength);
  });

  it('a corrupt cache file is ignored, not trusted', async () => {
    const { root, cacheDir } = fresh();
    await validate({ root, cacheDir, now: NOW });
    const files = cacheFiles(cacheDir);
    expect(files.length).toBeGreaterThan(0);
    // Torn writes: every line of every cache file cut short.
    for (const f of files) writeFileSync(path.join(cacheDir, f), '{"format":3,"entries":{trunc\n{"id":"abc","entry":{"documents":[');
    const r = await validate({ root, cacheDir, now: NOW });
    expect(r.stats.cached).toBe(0);
    expect(r.report.findings).toEqual([]);
  });
});

describe('a cache that cannot change a verdict', () => {
  it('an appended line claiming a valid document for a blob id is ignored: the file is parsed and the real image reported', async () => {
    const { root, cacheDir } = fresh();
    const cold = await validate({ root, cacheDir, now: NOW });
    expect(imageOf(cold)).toBe(REAL_IMAGE);

    // What a poisoner appends: the platform's own document, another image, marked schema-valid.
    const id = blobOf(root, PLATFORM);
    const value = { ...cold.ecosystem.platforms.get('governance-platform')!.manifest };
    value.spec = { ...value.spec, image: EVIL_IMAGE };
    // In the journal's own shape: only the seal can tell it apart.
    const entry = JSON.stringify({ documents: [{ index: 0, v: 0, schemaOk: true }], findings: [], values: [JSON.stringify(value)] });
    for (const f of cacheFiles(cacheDir)) {
      // The entry as a JSON line, and as a sealed line whose seal is made up.
      appendFileSync(path.join(cacheDir, f), `{"id":"${id}","entry":${entry}}\n${'0'.repeat(64)} ${id} ${entry}\n`);
    }

    const r = await validate({ root, cacheDir, now: NOW });
    expect(imageOf(r)).toBe(REAL_IMAGE);
    expect(r.stats.parsed).toBeGreaterThanOrEqual(1);
    expect(r.report.findings).toEqual(cold.report.findings);
    // The key that seals entries is private to its owner.
    expect(statSync(path.join(cacheDir, 'key')).mode & 0o777).toBe(0o600);
  });

  it('an entry edited in place fails its seal and is parsed again', async () => {
    const { root, cacheDir } = fresh();
    const cold = await validate({ root, cacheDir, now: NOW });
    let tampered = 0;
    for (const f of cacheFiles(cacheDir)) {
      const text = readFileSync(path.join(cacheDir, f), 'utf8');
      const next = text.split(REAL_IMAGE).join(EVIL_IMAGE);
      if (next !== text) tampered++;
      writeFileSync(path.join(cacheDir, f), next);
    }
    expect(tampered).toBeGreaterThan(0);
    const r = await validate({ root, cacheDir, now: NOW });
    expect(imageOf(r)).toBe(REAL_IMAGE);
    expect(r.stats.parsed).toBeGreaterThanOrEqual(1);
    expect(r.report.findings).toEqual(cold.report.findings);
  });

  it('an entry of the base (sealed as a whole) edited in place drops the base: everything is parsed again', async () => {
    const { root, cacheDir } = fresh();
    // Enough files that the first run writes the base, not the journal.
    for (let i = 0; i < 210; i++) {
      writeFileSync(path.join(root, 'registry', `extra-${i}.yaml`), `apiVersion: mnops/v1\nkind: Namespace\nmetadata:\n  name: extra-${i}\nspec:\n  owner: team-${i}\n`);
    }
    const cold = await validate({ root, cacheDir, now: NOW });
    const base = cacheFiles(cacheDir).find((f) => f.endsWith('.cache'))!;
    expect(base, 'the first run wrote a base').toBeDefined();
    const text = readFileSync(path.join(cacheDir, base), 'utf8');
    const next = text.split(REAL_IMAGE).join(EVIL_IMAGE);
    expect(next).not.toBe(text);
    writeFileSync(path.join(cacheDir, base), next);
    const r = await validate({ root, cacheDir, now: NOW });
    expect(imageOf(r)).toBe(REAL_IMAGE);
    expect(r.stats.cached).toBe(0);
    expect(r.report.findings).toEqual(cold.report.findings);
  });

  it('a journal cut off mid-line is ignored from the cut, and the next append is not lost to it', async () => {
    const { root, cacheDir } = fresh();
    const cold = await validate({ root, cacheDir, now: NOW });
    for (const f of cacheFiles(cacheDir)) {
      const text = readFileSync(path.join(cacheDir, f), 'utf8');
      // Ten characters into the line that holds the middle of the file.
      const cut = text.lastIndexOf('\n', Math.floor(text.length / 2)) + 11;
      writeFileSync(path.join(cacheDir, f), text.slice(0, cut));
    }
    // The entries after the cut (and the torn one) are parsed again; the verdict is unchanged.
    const torn = await validate({ root, cacheDir, now: NOW });
    expect(torn.stats.parsed).toBeGreaterThanOrEqual(1);
    expect(torn.stats.cached).toBeGreaterThanOrEqual(1);
    expect(torn.report.findings).toEqual(cold.report.findings);
    // What that run appended after the torn line is read back whole.
    const warm = await validate({ root, cacheDir, now: NOW });
    expect(warm.stats.parsed).toBe(0);
    expect(warm.report.findings).toEqual(cold.report.findings);
  });

  it("another repository's cache, put where this one's is looked for, is ignored", async () => {
    const { root, cacheDir } = fresh();
    const other = exampleRepo();
    dirs.push(other);
    await loadEcosystem(root, { cacheDir });
    const mine = cacheFiles(cacheDir);
    await loadEcosystem(other, { cacheDir });
    // Identical files, so identical blob ids: only the binding to the repository tells them apart.
    await expectForeignCacheIgnored(root, cacheDir, mine);
  });

  it('a cache written by another tool version, put where this version looks, is ignored', async () => {
    const { root, cacheDir } = fresh();
    await loadEcosystem(root, { cacheDir });
    const mine = cacheFiles(cacheDir);
    vi.resetModules();
    vi.doMock('../../tools/lib/version.js', () => ({ TOOL_VERSION: '0.0.0-another-version' }));
    const otherVersion = (await import('../../tools/lib/ecosystem-load/load-ecosystem.js')).loadEcosystem;
    await otherVersion(root, { cacheDir });
    await expectForeignCacheIgnored(root, cacheDir, mine);
  });

  it('on GitHub Actions the default cache is this job\'s, under RUNNER_TEMP, not the home folder', () => {
    vi.stubEnv('MNOPS_CACHE_DIR', '');
    vi.stubEnv('GITHUB_ACTIONS', 'true');
    vi.stubEnv('RUNNER_TEMP', '/runner/_temp');
    expect(defaultCacheDir()).toBe(path.join('/runner/_temp', 'mnops-parse-cache'));
    vi.stubEnv('MNOPS_CACHE_DIR', '/explicit');
    expect(defaultCacheDir()).toBe('/explicit');
  });
});
