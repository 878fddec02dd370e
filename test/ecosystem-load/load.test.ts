// loadEcosystem's own paths between the stat table, the parse cache and the parser, in
// process: a file known by its stat whose parse is gone is read after all, identical files
// are parsed once, and a name defined twice is reported on the file of the change.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { definitionHistory, loadEcosystem, type LoadOptions } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { blobId, cacheContext, ParseCache } from '../../tools/lib/ecosystem-load/parse-cache.js';
import { PhaseClock } from '../../tools/lib/ecosystem-load/phases.js';
import { parseManifestText, resolveLimits } from '../../tools/lib/manifest/load.js';
import { SETTLE_MS } from '../../tools/lib/ecosystem-load/stat-table.js';
import { git, removeDir, tempDir } from '../helpers/repo.js';
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

describe('loadEcosystem: what it hands on', () => {
  const NAMESPACES = 'registry/namespaces.yaml';
  const DB = 'platforms/db-platform/platform.yaml';

  it('positions of cached and fast-parsed documents are read from the file once, when first asked for, and only from the bytes the entry is of', async () => {
    const root = writeWorld(BASE);
    const cacheDir = cacheDirOf();
    const reference = parseManifestText(BASE[NAMESPACES]!).documents.map((d) => d.positions);
    expect(reference[1]!['/metadata/name']).toEqual([11, 3]);
    const docsOf = (loaded: Awaited<ReturnType<typeof loadEcosystem>>, file: string) => loaded.parsed.find((p) => p.file === file)!.content.documents;
    const cold = await loadEcosystem(root, { cacheDir, threads: 1 });
    const warm = await loadEcosystem(root, { cacheDir, threads: 1 });
    expect(warm.stats.cached).toBe(warm.stats.files);
    for (const loaded of [cold, warm]) expect(docsOf(loaded, NAMESPACES).map((d) => d.positions)).toEqual(reference);

    // Asked for once: a file rewritten after its first position was read lends the rest from the bytes read.
    const once = docsOf(await loadEcosystem(root, { cacheDir, threads: 1 }), NAMESPACES);
    expect(once[0]!.positions).toEqual(reference[0]);
    writeFileSync(path.join(root, NAMESPACES), `# moved down\n${BASE[NAMESPACES]!}`);
    expect(once[1]!.positions).toEqual(reference[1]);
    // Rewritten before any was read: the positions fall back to the top of the file.
    writeFileSync(path.join(root, NAMESPACES), BASE[NAMESPACES]!);
    const before = docsOf(await loadEcosystem(root, { cacheDir, threads: 1 }), NAMESPACES);
    writeFileSync(path.join(root, NAMESPACES), `# moved down\n${BASE[NAMESPACES]!}`);
    expect(before.map((d) => d.positions)).toEqual([{ '': [1, 1] }, { '': [1, 1] }]);
    // Gone since: the same.
    writeFileSync(path.join(root, NAMESPACES), BASE[NAMESPACES]!);
    const gone = docsOf(await loadEcosystem(root, { cacheDir, threads: 1 }), NAMESPACES);
    rmSync(path.join(root, NAMESPACES));
    expect(gone[1]!.positions).toEqual({ '': [1, 1] });
  });

  it('a cached document’s value is parsed when read, and can be replaced', async () => {
    const root = writeWorld(BASE);
    const cacheDir = cacheDirOf();
    await loadEcosystem(root, { cacheDir, threads: 1 });
    const warm = await loadEcosystem(root, { cacheDir, threads: 1 });
    const [doc0] = warm.parsed.find((p) => p.file === NAMESPACES)!.content.documents;
    expect(doc0!.value).toMatchObject({ kind: 'Namespace', metadata: { name: 'ops' } });
    doc0!.value = { replaced: true };
    expect(doc0!.value).toEqual({ replaced: true });
  });

  it('the cache it used, with each blob’s keys; the schema verdicts and platform summaries saved with the parses', async () => {
    const root = writeWorld(BASE);
    const cacheDir = cacheDirOf();
    const loaded = await loadEcosystem(root, { cacheDir, threads: 1 });
    expect(loaded.cache).toMatchObject({ dir: cacheDir, context: await cacheContext(root, resolveLimits()) });
    // The keys of what an earlier run cached: this run's own parses are not asked for.
    const warm = await loadEcosystem(root, { cacheDir, threads: 1 });
    expect(warm.cache!.keyValuesOf(warm.blobs.get(DB)!)).toEqual([{ kind: 'Platform', metadata: { name: 'db-platform' }, spec: expect.objectContaining({ provides: ['storage@1.1.0'] }) }]);
    expect(warm.cache!.keyValuesOf(blobId(Buffer.from('never seen')))).toBeUndefined();
    const saved = await ParseCache.open(root, cacheDir, resolveLimits());
    expect(saved.get(loaded.blobs.get(DB)!)!.documents).toEqual([expect.objectContaining({ schemaOk: true, summary: expect.objectContaining({ kind: 'Platform', name: 'db-platform' }) })]);
    expect(saved.get(loaded.blobs.get(NAMESPACES)!)!.documents.map((d) => d.schemaOk)).toEqual([true, true]);
    expect((await loadEcosystem(root, { cacheDir: false, threads: 1 })).cache).toBeUndefined();
  });

  it('the cache folder: MNOPS_CACHE_DIR by default, none under MNOPS_NO_CACHE', async () => {
    const root = writeWorld(BASE);
    const cacheDir = cacheDirOf();
    const saved = { dir: process.env.MNOPS_CACHE_DIR, no: process.env.MNOPS_NO_CACHE };
    try {
      process.env.MNOPS_CACHE_DIR = cacheDir;
      delete process.env.MNOPS_NO_CACHE;
      expect((await loadEcosystem(root, { threads: 1 })).cache?.dir).toBe(cacheDir);
      process.env.MNOPS_NO_CACHE = '1';
      expect((await loadEcosystem(root, { threads: 1 })).cache).toBeUndefined();
      // An explicit folder wins.
      expect((await loadEcosystem(root, { threads: 1, cacheDir })).cache?.dir).toBe(cacheDir);
    } finally {
      for (const [k, v] of [['MNOPS_CACHE_DIR', saved.dir], ['MNOPS_NO_CACHE', saved.no]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('times its phases on the clock it is given', async () => {
    const clock = new PhaseClock();
    await loadEcosystem(writeWorld(BASE), { cacheDir: cacheDirOf(), threads: 1, clock });
    expect(Object.keys(clock.ms).sort()).toEqual(['cache', 'discover', 'index', 'parse', 'read']);
  });

  it('limits are reached, not crossed, at their value: files, total bytes and a file’s bytes', async () => {
    const root = writeWorld(BASE);
    const count = Object.keys(BASE).length;
    const total = Object.values(BASE).reduce((n, t) => n + Buffer.byteLength(t), 0);
    const largest = Math.max(...Object.values(BASE).map((t) => Buffer.byteLength(t)));
    const load = (limits: LoadOptions['limits']) => loadEcosystem(root, { cacheDir: false, threads: 1, limits });
    expect((await load({ maxFiles: count })).stats.files).toBe(count);
    await expect(load({ maxFiles: count - 1 })).rejects.toMatchObject({
      message: `the repository holds ${count} manifest files, over the limit of ${count - 1}`,
      hint: 'remove the files that are not manifests from the manifest folders, or raise the maxFiles limit if the repository really is this large',
    });
    expect((await load({ maxTotalBytes: total })).findings).toEqual([]);
    // A file of exactly the per-file limit is read, parsed and counted in the total.
    const exact = await load({ maxFileBytes: largest, maxTotalBytes: total });
    expect(exact.findings).toEqual([]);
    expect(exact.blobs.size).toBe(count);
    await expect(load({ maxFileBytes: largest, maxTotalBytes: total - 1 })).rejects.toMatchObject({
      message: expect.stringMatching(/^the repository's \d+ manifest files total .*, over the limit of /),
      hint: 'remove large files from the manifest folders, or raise the maxTotalBytes limit if the repository really is this large',
    });
    expect((await load({ maxFileBytes: largest - 1 })).findings.map((f) => f.ruleId)).toEqual(['yaml.limit']);
    // A file over its own limit is never read, and its bytes do not count towards the total.
    expect((await load({ maxFileBytes: largest - 1, maxTotalBytes: total - largest })).findings.map((f) => f.ruleId)).toEqual(['yaml.limit']);
  });
});

describe('definitionHistory', () => {
  it('which files the change touches, and which git has not committed; outside git, none', () => {
    const root = writeWorld(BASE);
    const files = ['platforms/db-platform/platform.yaml', 'platforms/api-platform/platform.yaml'];
    expect(Object.fromEntries(definitionHistory(root)(files))).toEqual({ [files[0]!]: { changed: false, uncommitted: false }, [files[1]!]: { changed: false, uncommitted: false } });
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', files[0]!);
    git(root, 'commit', '-qm', 'one');
    expect(Object.fromEntries(definitionHistory(root, new Set([files[0]!]))(files))).toEqual({ [files[0]!]: { changed: true, uncommitted: false }, [files[1]!]: { changed: false, uncommitted: true } });
  });
});
