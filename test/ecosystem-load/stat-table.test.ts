// The stat table on its own, with stats given as data: what it keeps and gives back, when it
// is worth rewriting, and that a table sealed with the right key but of the wrong shape is
// not used (every file is then read: slower, never wrong). Its use by validate on real
// files, and tampering without the key, are in test/validate/stat-table.test.ts.
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cacheKey } from '../../tools/lib/ecosystem-load/parse-cache.js';
import { SETTLE_MS, StatTable } from '../../tools/lib/ecosystem-load/stat-table.js';
import { removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const CONTEXT = JSON.stringify(['a test context']);

function cacheDir(): string {
  const d = tempDir('mnops-stat-table-');
  dirs.push(d);
  return d;
}
/** A stat long settled (a day after the epoch), told apart by its inode. */
const stat = (ino: number, size = 10) => ({ size, mtimeMs: 86_400_000, ctimeMs: 86_400_000, ino });
const blob = (n: number) => createHash('sha1').update(String(n)).digest('hex');

/** A table of `files` files (f0…) and one folder, saved and opened again. */
async function saved(dir: string, files: number): Promise<StatTable> {
  const t = await StatTable.open(dir, CONTEXT);
  for (let i = 0; i < files; i++) t.record(`f${i}.yaml`, stat(i), blob(i));
  t.set('platforms', stat(1000), [['a.yaml', 'f'], ['sub', 'd']]);
  await t.save();
  return StatTable.open(dir, CONTEXT);
}

describe('StatTable with stats given as data', () => {
  it('knows a file and a folder by their exact stat, and nothing else', async () => {
    const t = await saved(cacheDir(), 60);
    expect(t.lookup('f3.yaml', stat(3))).toBe(blob(3));
    expect(t.lookup('f3.yaml', stat(3, 11))).toBeUndefined(); // another size
    expect(t.lookup('f3.yaml', { ...stat(3), ctimeMs: 86_400_001 })).toBeUndefined(); // changed
    expect(t.lookup('f3.yaml', stat(4))).toBeUndefined(); // another inode
    expect(t.lookup('nope.yaml', stat(3))).toBeUndefined();
    expect(t.get('platforms', stat(1000))).toEqual([['a.yaml', 'f'], ['sub', 'd']]);
    expect(t.get('platforms', { ...stat(1000), mtimeMs: 1 })).toBeUndefined();
    expect(t.get('f3.yaml', stat(3))).toBeUndefined(); // a file is no folder
  });

  it('keeps nothing of a stat taken less than the settling time before the run began', async () => {
    const dir = cacheDir();
    const t = await StatTable.open(dir, CONTEXT);
    const now = Date.now();
    for (let i = 0; i < 60; i++) t.record(`f${i}.yaml`, { ...stat(i), mtimeMs: now }, blob(i));
    t.set('platforms', { ...stat(1000), ctimeMs: now }, []);
    await t.save();
    expect(readdirSync(dir).filter((f) => f.endsWith('.table'))).toEqual([]);
  });

  it('is rewritten only once it has learnt enough: fifty entries', async () => {
    const dir = cacheDir();
    const few = await StatTable.open(dir, CONTEXT);
    for (let i = 0; i < 48; i++) few.record(`f${i}.yaml`, stat(i), blob(i));
    few.set('platforms', stat(1000), []);
    await few.save();
    expect(readdirSync(dir).filter((f) => f.endsWith('.table'))).toEqual([]);
    const enough = await saved(dir, 49); // 49 files and a folder
    expect(readdirSync(dir).filter((f) => f.endsWith('.table'))).toHaveLength(1);
    expect(enough.lookup('f48.yaml', stat(48))).toBe(blob(48));
  });

  it('has no table without a cache folder, or in another context', async () => {
    const none = await StatTable.open(undefined, CONTEXT);
    none.record('f.yaml', stat(1), blob(1));
    await none.save();
    expect(none.lookup('f.yaml', stat(1))).toBeUndefined();
    const dir = cacheDir();
    await saved(dir, 60);
    expect((await StatTable.open(dir, JSON.stringify(['another context']))).lookup('f1.yaml', stat(1))).toBeUndefined();
  });

  it('a file and a folder whose stat it has are stat’ed from the worker’s prefetch, others now', async () => {
    const dir = cacheDir();
    const root = tempDir('mnops-stat-root-');
    dirs.push(root);
    mkdirSync(path.join(root, 'platforms'));
    writeFileSync(path.join(root, 'f0.yaml'), 'a: 1\n');
    writeFileSync(path.join(root, 'other.yaml'), 'b: 2\n');
    await saved(dir, 60);
    const prefetch = StatTable.prefetch(dir, CONTEXT, root, { max: 1000, minBytes: 0 });
    const t = await StatTable.open(dir, CONTEXT, prefetch);
    const real = statSync(path.join(root, 'f0.yaml'));
    expect(t.statFile('f0.yaml', path.join(root, 'f0.yaml'))).toEqual({ size: real.size, mtimeMs: real.mtimeMs, ctimeMs: real.ctimeMs, ino: real.ino });
    expect(t.statFile('other.yaml', path.join(root, 'other.yaml')).size).toBe(5);
    const folder = statSync(path.join(root, 'platforms'));
    expect(t.statDir('platforms', path.join(root, 'platforms'))).toMatchObject({ mtimeMs: folder.mtimeMs, ino: folder.ino });
    // A path the table holds that is gone: stat'ed now, and it throws as a stat does.
    expect(() => t.statFile('f1.yaml', path.join(root, 'f1.yaml'))).toThrow(/ENOENT/);
    // No prefetch for a table under the size worth a worker.
    expect(await StatTable.prefetch(dir, CONTEXT, root, { max: 1000 })).toBeUndefined();
    // The worker's stat is used even where a stat now would say otherwise (here: of another path).
    expect(t.statFile('f0.yaml', path.join(root, 'other.yaml')).ino).toBe(real.ino);
    expect(t.statDir('platforms', path.join(root, 'f0.yaml')).ino).toBe(folder.ino);
    expect(t.statDir('elsewhere', path.join(root, 'f0.yaml')).ino).toBe(real.ino);
    // A table of exactly the size worth a worker is prefetched.
    const size = statSync(path.join(dir, readdirSync(dir).find((f) => f.endsWith('.table'))!)).size;
    expect(await StatTable.prefetch(dir, CONTEXT, root, { max: 1000, minBytes: size })).toBeDefined();
    expect(await StatTable.prefetch(dir, CONTEXT, root, { max: 1000, minBytes: size + 1 })).toBeUndefined();
  });

  it('a stat exactly the settling time before the run began is kept', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const now = 1_000_000_000_000;
      vi.setSystemTime(now);
      const dir = cacheDir();
      const t = await StatTable.open(dir, CONTEXT);
      for (let i = 0; i < 60; i++) t.record(`f${i}.yaml`, { ...stat(i), mtimeMs: now - SETTLE_MS, ctimeMs: now - SETTLE_MS }, blob(i));
      await t.save();
      expect((await StatTable.open(dir, CONTEXT)).lookup('f1.yaml', { ...stat(1), mtimeMs: now - SETTLE_MS, ctimeMs: now - SETTLE_MS })).toBe(blob(1));
    } finally {
      vi.useRealTimers();
    }
  });

  it('is rewritten when most of it no longer holds (past fifty entries or a quarter), or when it learnt a hundredth of its size', async () => {
    const tables = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.table'));
    const reopened = async (use: number, learn = 0) => {
      const dir = cacheDir();
      await saved(dir, 60); // 60 files and a folder
      const before = readFileSync(path.join(dir, tables(dir)[0]!));
      const t = await StatTable.open(dir, CONTEXT);
      for (let i = 0; i < use; i++) expect(t.lookup(`f${i}.yaml`, stat(i))).toBe(blob(i));
      for (let i = 0; i < learn; i++) t.record(`new${i}.yaml`, stat(5000 + i), blob(5000 + i));
      await t.save();
      const rewritten = !readFileSync(path.join(dir, tables(dir)[0]!)).equals(before);
      return { rewritten, again: await StatTable.open(dir, CONTEXT) };
    };
    // 56 of 61 entries no longer used: rewritten with the five.
    const mostGone = await reopened(5);
    expect(mostGone.rewritten).toBe(true);
    expect(mostGone.again.lookup('f4.yaml', stat(4))).toBe(blob(4));
    expect(mostGone.again.lookup('f30.yaml', stat(30))).toBeUndefined();
    // 41 unused: not worth it yet.
    expect((await reopened(20)).rewritten).toBe(false);
    // What it learnt does not count as still holding.
    expect((await reopened(5, 5)).rewritten).toBe(true);
    // Fifty new entries are worth a rewrite, even with everything else still holding.
    const learnt = await reopened(60, 50);
    expect(learnt.rewritten).toBe(true);
    expect(learnt.again.lookup('new49.yaml', stat(5049))).toBe(blob(5049));
  });
});

describe('a table sealed with the right key but of the wrong shape', () => {
  async function resealed(dir: string, body: string | Buffer): Promise<StatTable> {
    const key = (await cacheKey(dir))!;
    const file = readdirSync(dir).find((f) => f.endsWith('.table'))!;
    const bytes = Buffer.from(body);
    const mac = createHmac('sha256', key).update('mnops-stat-table 4\n').update(CONTEXT).update('\n').update(bytes).digest('hex');
    writeFileSync(path.join(dir, file), Buffer.concat([Buffer.from(`${mac}\n`), bytes]));
    return StatTable.open(dir, CONTEXT);
  }

  /** The saved table's body, cut into its parts: header, names and the JSON of the entries. */
  function partsOf(dir: string): { body: string; header: string; nFiles: number; nDirs: number; length: number; tail: string; names: string; json: [unknown[][], unknown[][]] } {
    const file = readdirSync(dir).find((f) => f.endsWith('.table'))!;
    const original = readFileSync(path.join(dir, file));
    const body = original.subarray(original.indexOf(0x0a) + 1).toString('utf8');
    const [header, ...rest] = body.split('\n');
    const [nFiles, nDirs, length] = header!.split(' ').map(Number) as [number, number, number];
    const tail = rest.join('\n');
    return { body, header: header!, nFiles, nDirs, length, tail, names: tail.slice(0, length), json: JSON.parse(tail.slice(length)) as [unknown[][], unknown[][]] };
  }

  it('is used when resealed as it was, and not at all once its header, names or entries do not add up', async () => {
    const dir = cacheDir();
    await saved(dir, 60);
    const { body, header, nFiles, nDirs, length, tail, names, json } = partsOf(dir);
    expect((await resealed(dir, body)).lookup('f1.yaml', stat(1))).toBe(blob(1));
    const broken: Record<string, string> = {
      'a header that is not three numbers': `${nFiles} ${nDirs}\n${tail}`,
      'a header with text after it': `${nFiles} ${nDirs} ${length} x\n${tail}`,
      'names longer than the table': `${nFiles} ${nDirs} ${body.length}\n${tail}`,
      'one name fewer than the header says': `${nFiles + 1} ${nDirs} ${length}\n${tail}`,
      'entries that are not two lists': `${header}\n${names}${JSON.stringify({ files: json[0], dirs: json[1] })}`,
      'one list only': `${header}\n${names}${JSON.stringify([json[0]])}`,
      'a file entry missing': `${header}\n${names}${JSON.stringify([json[0].slice(1), json[1]])}`,
      'a folder entry too many': `${header}\n${names}${JSON.stringify([json[0], [...json[1], json[1][0]]])}`,
      'entries that are not JSON': `${header}\n${names}[[`,
    };
    for (const [what, text] of Object.entries(broken)) expect((await resealed(dir, text)).lookup('f1.yaml', stat(1)), what).toBeUndefined();
  });

  it('an entry of the wrong shape is not used, and the others are', async () => {
    const dir = cacheDir();
    await saved(dir, 60);
    const { header, names, json } = partsOf(dir);
    const at = (name: string) => names.split('\0').indexOf(name);
    const files = json[0].map((e) => [...e]);
    files[at('f1.yaml')]![4] = 'not a blob id';
    files[at('f2.yaml')] = files[at('f2.yaml')]!.slice(0, 4);
    files[at('f4.yaml')] = [...files[at('f4.yaml')]!, 'one too many'];
    files[at('f5.yaml')]![4] = `${blob(5)}a`;
    files[at('f6.yaml')]![4] = `z${blob(6)}`;
    const folders = [[...json[1][0]!.slice(0, 4), [['a.yaml', 'x']]]];
    const t = await resealed(dir, `${header}\n${names}${JSON.stringify([files, folders])}`);
    expect(t.lookup('f1.yaml', stat(1))).toBeUndefined();
    expect(t.lookup('f2.yaml', stat(2))).toBeUndefined();
    expect(t.lookup('f3.yaml', stat(3))).toBe(blob(3));
    for (const n of [4, 5, 6]) expect(t.lookup(`f${n}.yaml`, stat(n)), `f${n}`).toBeUndefined();
    expect(t.get('platforms', stat(1000))).toBeUndefined(); // a listing entry of no known type
    // Each listing of the wrong shape, beside entries of the right one.
    for (const listing of [[['a.yaml', 'f'], ['b.yaml', 'x']], [['a.yaml', 'f', 'extra']], [[1, 'f']], ['a.yaml'], [['a.yaml']]]) {
      const one = await resealed(dir, `${header}\n${names}${JSON.stringify([json[0], [[...json[1][0]!.slice(0, 4), listing]]])}`);
      expect(one.get('platforms', stat(1000)), JSON.stringify(listing)).toBeUndefined();
    }
    const typed = await resealed(dir, `${header}\n${names}${JSON.stringify([json[0], [[...json[1][0]!.slice(0, 4), [['a', 'd'], ['b', 'f'], ['c', 'l'], ['d', 'o']]]]])}`);
    expect(typed.get('platforms', stat(1000))).toEqual([['a', 'd'], ['b', 'f'], ['c', 'l'], ['d', 'o']]);
  });
});
