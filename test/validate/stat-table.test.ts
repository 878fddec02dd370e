// A file whose stat is unchanged since the last run is not read again; one whose bytes may
// have changed always is — even rewritten to the same size with its modification time put back.
import { cpSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheContext } from '../../tools/lib/ecosystem-load/parse-cache.js';
import { SETTLE_MS, StatTable } from '../../tools/lib/ecosystem-load/stat-table.js';
import { validate } from '../../tools/lib/validate/validate.js';
import { exampleRepo, FIXED_NOW, removeDir, tempDir } from '../helpers/repo.js';

const NOW = new Date(FIXED_NOW);
const PLATFORM = 'platforms/governance-platform/platform.yaml';

describe('files known by their stat', () => {
  let root: string;
  let seeded: string;
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));

  /** A copy of the cache of a run over the unchanged tree. */
  const cache = () => {
    const dir = tempDir('mnops-stat-cache-');
    dirs.push(dir);
    cpSync(seeded, dir, { recursive: true });
    return dir;
  };
  const run = (cacheDir: string) => validate({ root, cacheDir, now: NOW });
  const unknownNamespace = (r: Awaited<ReturnType<typeof run>>) => r.report.findings.some((f) => f.ruleId === 'ref.unknown' && f.file === PLATFORM && f.message.includes('governanxe'));

  beforeAll(async () => {
    root = exampleRepo();
    seeded = tempDir('mnops-stat-seed-');
    dirs.push(root, seeded);
    // A whole second, so that putting it back after a rewrite is exact.
    utimesSync(path.join(root, PLATFORM), 1_700_000_000, 1_700_000_000);
    utimesSync(path.join(root, 'registry'), 1_700_000_000, 1_700_000_000);
    // Stats younger than this are not kept: the files must be older than the first run.
    await new Promise((r) => setTimeout(r, SETTLE_MS + 200));
    const first = await run(seeded);
    expect(first.stats.read).toBe(first.stats.files);
  }, 30_000);

  it('reads nothing the second time, and only the file written since the third', async () => {
    const dir = cache();
    const second = await run(dir);
    expect(second.stats.read).toBe(0);
    expect(second.stats.files).toBeGreaterThan(20);
    const abs = path.join(root, PLATFORM);
    const before = readFileSync(abs, 'utf8');
    try {
      writeFileSync(abs, before.replace('namespace: governance', 'namespace: governanxe-longer'));
      const third = await run(dir);
      expect(third.stats.read).toBe(1);
      expect(unknownNamespace(third)).toBe(true);
      // Written within the settling time: read again next time, whatever its stat says.
      expect((await run(dir)).stats.read).toBe(1);
    } finally {
      writeFileSync(abs, before);
      utimesSync(abs, 1_700_000_000, 1_700_000_000);
    }
  });

  it('reads a file rewritten to the same size with its modification time put back', async () => {
    const dir = cache();
    const abs = path.join(root, PLATFORM);
    const before = readFileSync(abs, 'utf8');
    const st = statSync(abs);
    try {
      writeFileSync(abs, before.replace('namespace: governance', 'namespace: governanxe'));
      utimesSync(abs, 1_700_000_000, 1_700_000_000);
      expect(statSync(abs).size).toBe(st.size);
      // Size and modification time as the seeded table has them: only the change time tells.
      expect(statSync(abs).mtimeMs).toBe(1_700_000_000_000);
      const r = await run(dir);
      expect(unknownNamespace(r)).toBe(true);
      expect(r.stats.read).toBe(1);
    } finally {
      writeFileSync(abs, before);
    }
  });

  it('finds a file added to a folder it listed before, the folder’s modification time put back', async () => {
    const dir = cache();
    const added = path.join(root, 'registry', 'added-namespace.yaml');
    try {
      writeFileSync(added, 'apiVersion: mnops/v1\nkind: Namespace\nmetadata:\n  name: added-ns\nspec:\n  owners: [nobody]\n');
      utimesSync(path.join(root, 'registry'), 1_700_000_000, 1_700_000_000);
      const r = await run(dir);
      const none = tempDir('mnops-stat-none-');
      dirs.push(none);
      expect(r.stats.files).toBe((await run(none)).stats.files);
      expect(r.ecosystem.files).toContain('registry/added-namespace.yaml');
    } finally {
      rmSync(added, { force: true });
      utimesSync(path.join(root, 'registry'), 1_700_000_000, 1_700_000_000);
    }
  });

  it('ignores a table that was tampered with: every file is read', async () => {
    const dir = cache();
    const name = readdirSync(dir).find((f) => f.startsWith('stats-'));
    expect(name, 'the first run wrote a table').toBeDefined();
    const file = path.join(dir, name!);
    const text = readFileSync(file, 'utf8');
    // Point the platform at another file's blob: a forged "unchanged".
    const body = text.slice(65);
    const nl = body.indexOf('\n');
    const [nFiles, , length] = body.slice(0, nl).split(' ').map(Number) as [number, number, number];
    const names = body.slice(nl + 1, nl + 1 + length).split('\0');
    const [files, dirEntries] = JSON.parse(body.slice(nl + 1 + length)) as [[number, number, number, number, string][], unknown[]];
    const other = names.findIndex((f, i) => i < nFiles && f !== PLATFORM && f.startsWith('platforms/'));
    files[names.indexOf(PLATFORM)]![4] = files[other]![4];
    writeFileSync(file, `${text.slice(0, 65)}${body.slice(0, nl + 1 + length)}${JSON.stringify([files, dirEntries])}`);
    const r = await run(dir);
    expect(r.stats.read).toBe(r.stats.files);
    expect(r.report.findings.filter((f) => f.file === PLATFORM && f.ruleId.startsWith('ref.'))).toEqual([]);
    expect(r.ecosystem.platforms.has('governance-platform')).toBe(true);
  });

  describe('stats taken by a worker while the cache opens', () => {
    const abs = () => path.join(root, PLATFORM);
    const other = 'platforms/data-platform/platform.yaml';

    it('are taken now, of the paths the table holds: a file written since is not known', async () => {
      const dir = cache();
      const before = readFileSync(abs(), 'utf8');
      try {
        writeFileSync(abs(), `${before}\n# longer\n`);
        const context = await cacheContext(root);
        const prefetch = StatTable.prefetch(dir, context, root, { max: 100_000, minBytes: 0 });
        expect(await prefetch, 'the worker stat the paths').toBeDefined();
        const table = await StatTable.open(dir, context, prefetch);
        const st = table.statFile(PLATFORM, abs());
        expect(st.size).toBe(statSync(abs()).size);
        expect(table.lookup(PLATFORM, st)).toBeUndefined();
        const otherAbs = path.join(root, other);
        expect(table.lookup(other, table.statFile(other, otherAbs))).toMatch(/^[0-9a-f]{40}$/);
        expect(table.statDir('platforms', path.join(root, 'platforms')).ino).toBe(statSync(path.join(root, 'platforms')).ino);
      } finally {
        writeFileSync(abs(), before);
        utimesSync(abs(), 1_700_000_000, 1_700_000_000);
      }
    });

    it('of another table are not used', async () => {
      const dir = cache();
      const context = await cacheContext(root);
      const real = await StatTable.prefetch(dir, context, root, { max: 100_000, minBytes: 0 });
      // The same paths, but not stats of the table that verifies: sizes that lie.
      const forged = { seal: '0'.repeat(64), stats: real!.stats.map((v, i) => (i % 4 === 0 ? 7 : v)) };
      const table = await StatTable.open(dir, context, Promise.resolve(forged));
      expect(table.statFile(PLATFORM, abs()).size).toBe(statSync(abs()).size);
    });
  });
});
