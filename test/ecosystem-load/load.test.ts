// loadEcosystem's own paths between the stat table, the parse cache and the parser, in
// process: a file known by its stat whose parse is gone is read after all, identical files
// are parsed once, and a name defined twice is reported on the file of the change.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { SETTLE_MS } from '../../tools/lib/ecosystem-load/stat-table.js';
import { removeDir, tempDir } from '../helpers/repo.js';
import { BASE, doc, removeWorlds, writeWorld } from '../registry/world.js';

const dirs: string[] = [];
afterAll(() => {
  dirs.forEach(removeDir);
  removeWorlds();
});
const cacheDirOf = () => {
  const d = tempDir('mnops-load-cache-');
  dirs.push(d);
  return d;
};
const names = (eco: Awaited<ReturnType<typeof loadEcosystem>>['ecosystem']) => [...eco.platforms.keys()].sort();

describe('loadEcosystem between stat table, parse cache and parser', () => {
  it('a file known by its stat but no longer in the parse cache is read and parsed after all', { timeout: 20_000 }, async () => {
    // Enough files that the stat table is worth writing (fifty entries).
    const extra = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`registry/extra-${i}.yaml`, doc('Namespace', `extra-${i}`, ['owners: [a]'])]));
    const root = writeWorld({ ...BASE, ...extra });
    const cacheDir = cacheDirOf();
    // Only a stat settled before the run began is kept.
    await new Promise((r) => setTimeout(r, SETTLE_MS + 200));
    const cold = await loadEcosystem(root, { cacheDir, threads: 1 });
    const files = cold.stats.files;
    expect(cold.stats).toEqual({ files, read: files, parsed: files, cached: 0 });
    const warm = await loadEcosystem(root, { cacheDir, threads: 1 });
    expect(warm.stats).toEqual({ files, read: 0, parsed: 0, cached: files });
    // The parses go; the stat table stays.
    for (const f of readdirSync(cacheDir)) if (f.startsWith('parse-')) rmSync(path.join(cacheDir, f));
    const again = await loadEcosystem(root, { cacheDir, threads: 1 });
    expect(again.stats).toEqual({ files, read: files, parsed: files, cached: 0 });
    expect(names(again.ecosystem)).toEqual(names(cold.ecosystem));
    expect(again.findings).toEqual(cold.findings);
  });

  it('identical files are parsed once, and each is indexed', async () => {
    const twin = doc('Namespace', 'twin', ['owners: [a]']);
    const root = writeWorld({ ...BASE, 'platforms/twin-a/platform.yaml': twin, 'platforms/twin-b/platform.yaml': twin });
    const loaded = await loadEcosystem(root, { cacheDir: false, threads: 1 });
    expect(loaded.stats.files - loaded.stats.parsed).toBe(1);
    expect(loaded.blobs.get('platforms/twin-a/platform.yaml')).toBe(loaded.blobs.get('platforms/twin-b/platform.yaml'));
  });

  it('a name defined twice is reported on the file the change touches, whichever sorts first', async () => {
    const a = 'platforms/aaa-copy/platform.yaml';
    const b = 'platforms/db-platform/platform.yaml';
    const root = writeWorld({ ...BASE, [a]: BASE[b]! });
    const reportedOn = async (changed: string[] | undefined) =>
      (await loadEcosystem(root, { cacheDir: false, threads: 1, ...(changed ? { changed: Promise.resolve(changed) } : {}) })).findings.filter((f) => f.ruleId === 'manifest.duplicate').map((f) => f.file);
    expect(await reportedOn([b])).toEqual([b]);
    expect(await reportedOn([a])).toEqual([a]);
    // A change whose files cannot be listed only informs: the load goes on.
    const failed = await loadEcosystem(root, { cacheDir: false, threads: 1, changed: Promise.reject(new Error('bad ref')) });
    expect(failed.findings.filter((f) => f.ruleId === 'manifest.duplicate')).toHaveLength(1);
  });

  it('a file over the size limit is reported, not read, and the rest loads', async () => {
    const root = writeWorld(BASE);
    writeFileSync(path.join(root, 'platforms/lone-platform/platform.yaml'), `${BASE['platforms/lone-platform/platform.yaml']!}# ${'x'.repeat(2000)}\n`);
    const loaded = await loadEcosystem(root, { cacheDir: false, threads: 1, limits: { maxFileBytes: 1024 } });
    expect(loaded.findings.map((f) => [f.file, f.ruleId, f.message])).toEqual([['platforms/lone-platform/platform.yaml', 'yaml.limit', expect.stringMatching(/^the file is 2\.\d KiB, over the 1\.0 KiB limit for a manifest$/)]]);
    expect(loaded.blobs.has('platforms/lone-platform/platform.yaml')).toBe(false);
    expect(loaded.ecosystem.platforms.has('db-platform')).toBe(true);
  });
});
