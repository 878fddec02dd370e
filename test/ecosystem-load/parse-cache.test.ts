// The parse cache on its own: what a save keeps and a reopen gives back, when the journal is
// folded into the base, which key it trusts, and that an entry sealed with the right key but
// of the wrong shape is still not used (the loader then parses the file: slower, never wrong).
// Its use by validate, and tampering without the key, are in test/validate/cache.test.ts.
import { createHash, createHmac } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobId, cacheContext, cacheKey, defaultCacheDir, ParseCache } from '../../tools/lib/ecosystem-load/parse-cache.js';
import type { ParsedContent } from '../../tools/lib/manifest/load.js';
import { removeDir, tempDir } from '../helpers/repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
function place(): { root: string; dir: string } {
  const base = tempDir('mnops-parse-cache-');
  dirs.push(base);
  mkdirSync(path.join(base, 'repo'));
  return { root: path.join(base, 'repo'), dir: path.join(base, 'cache') };
}

const id = (n: number) => blobId(Buffer.from(`file ${n}`));
const platform = { apiVersion: 'mnops/v1', kind: 'Platform', metadata: { name: 'api-platform' }, spec: { owner: 'a', dependsOn: ['db-platform'], replicas: 2 } };
const content = (value: unknown, extra: Partial<ParsedContent> = {}): ParsedContent => ({ documents: [{ index: 0, value, positions: {}, schemaOk: true }], findings: [], ...extra });
/** A cached value's JSON: text from the journal, bytes from the base. */
const jsonOf = (c: ReturnType<ParseCache['get']>) => Buffer.from(c!.documents[0]!.json!).toString('utf8');
const FINDING = { ruleId: 'yaml.warning', severity: 'warning' as const, message: 'm', hint: 'h', file: '', line: 2, column: 3 };

describe('ParseCache: saved, then opened again', () => {
  it('gives back each document as JSON text, its schema verdict, a valid platform’s summary, and the findings', async () => {
    const { root, dir } = place();
    const first = await ParseCache.open(root, dir);
    first.set(id(1), content(platform));
    first.set(id(2), { documents: [{ index: 0, value: { a: 1 }, positions: {} }, { index: 2, value: [1, 'x'], positions: {} }], findings: [FINDING] });
    await first.save();
    const again = await ParseCache.open(root, dir);
    const p = again.get(id(1))!;
    expect(p.documents).toEqual([{ index: 0, json: JSON.stringify(platform), schemaOk: true, summary: { kind: 'Platform', name: 'api-platform', links: { dependsOn: ['db-platform'] } } }]);
    expect(again.get(id(2))).toEqual({ documents: [{ index: 0, json: '{"a":1}' }, { index: 2, json: '[1,"x"]' }], findings: [FINDING] });
    expect(again.get(id(3))).toBeUndefined();
    // The keys' worth of each document: the summary of a platform, the value of the others.
    expect(again.keyValuesOf(id(1))).toEqual([{ kind: 'Platform', metadata: { name: 'api-platform' }, spec: { dependsOn: ['db-platform'] } }]);
    expect(again.keyValuesOf(id(2))).toEqual([{ a: 1 }, [1, 'x']]);
    expect(again.keyValuesOf(id(3))).toBeUndefined();
  });

  it('a platform that failed its schema has no summary, and a document without a value is never cached', async () => {
    const { root, dir } = place();
    const c = await ParseCache.open(root, dir);
    c.set(id(1), { documents: [{ index: 0, value: platform, positions: {} }], findings: [] });
    c.set(id(2), { documents: [{ index: 0, value: undefined, positions: {} }], findings: [] });
    await c.save();
    const again = await ParseCache.open(root, dir);
    expect(again.get(id(1))!.documents).toEqual([{ index: 0, json: JSON.stringify(platform) }]);
    expect(again.get(id(2))).toBeUndefined();
  });

  it('small saves append to the journal; past 200 entries the journal is folded into one base, keeping only what was used', async () => {
    const { root, dir } = place();
    const c = await ParseCache.open(root, dir);
    for (let i = 0; i < 10; i++) c.set(id(i), content({ n: i }));
    await c.save();
    expect(readdirSync(dir).filter((f) => f !== 'key').map((f) => path.extname(f))).toEqual(['.journal']);
    const big = await ParseCache.open(root, dir);
    for (let i = 0; i < 5; i++) expect(big.get(id(i))).toBeDefined(); // 5 of the 10 used again
    for (let i = 100; i < 300; i++) big.set(id(i), content({ n: i }));
    await big.save();
    expect(readdirSync(dir).filter((f) => f !== 'key').map((f) => path.extname(f))).toEqual(['.cache']);
    const folded = await ParseCache.open(root, dir);
    expect(jsonOf(folded.get(id(4)))).toBe('{"n":4}');
    expect(jsonOf(folded.get(id(299)))).toBe('{"n":299}');
    expect(folded.get(id(7))).toBeUndefined(); // not used in the run that folded
  });

  it('folds at the 201st entry, not the 200th; both files private to their owner', async () => {
    const { root, dir } = place();
    const files = () => readdirSync(dir).filter((f) => f !== 'key');
    const c = await ParseCache.open(root, dir);
    for (let i = 0; i < 200; i++) c.set(id(i), content({ n: i }));
    await c.save();
    expect(files().map((f) => path.extname(f))).toEqual(['.journal']);
    expect(statSync(path.join(dir, files()[0]!)).mode & 0o777).toBe(0o600);
    const next = await ParseCache.open(root, dir);
    next.set(id(500), content({ n: 500 }));
    await next.save();
    expect(files().map((f) => path.extname(f))).toEqual(['.cache']);
    expect(statSync(path.join(dir, files()[0]!)).mode & 0o777).toBe(0o600);
  });

  it('journal lines not of the shape of one are skipped, and the lines after them read', async () => {
    const { root, dir } = place();
    const c = await ParseCache.open(root, dir);
    c.set(id(1), content({ a: 1 }));
    await c.save();
    const journal = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.journal'))!);
    const line = readFileSync(journal, 'utf8');
    writeFileSync(journal, `garbage\n${'0'.repeat(64)} short {}\n\n${line}`);
    expect(jsonOf((await ParseCache.open(root, dir)).get(id(1)))).toBe('{"a":1}');
  });

  it('without a cache folder there is no cache, and nothing is written', async () => {
    const { root } = place();
    const none = await ParseCache.open(root, undefined);
    expect(none.dir).toBeUndefined();
    none.set(id(1), content({ a: 1 }));
    expect(none.get(id(1))).toBeUndefined();
    await none.save();
  });
});

describe('the key', () => {
  it('is made on first use, private to its owner, and then read back', async () => {
    const { dir } = place();
    const key = await cacheKey(dir);
    expect(key).toHaveLength(32);
    expect(statSync(path.join(dir, 'key')).mode & 0o777).toBe(0o600);
    expect(await cacheKey(dir)).toEqual(key);
  });

  it.skipIf(process.getuid?.() !== 0)('is not trusted when another user owns it', async () => {
    const { dir } = place();
    await cacheKey(dir);
    chownSync(path.join(dir, 'key'), 12_345, 12_345);
    expect(await cacheKey(dir)).toBeUndefined();
  });

  it('is not trusted when others may read it, when it is a link, or when it is not 32 bytes of hex: no key, no cache', async () => {
    const { root, dir } = place();
    await cacheKey(dir);
    const file = path.join(dir, 'key');
    chmodSync(file, 0o644);
    expect(await cacheKey(dir)).toBeUndefined();
    expect((await ParseCache.open(root, dir)).dir).toBeUndefined();
    chmodSync(file, 0o600);
    writeFileSync(file, 'not hex\n');
    expect(await cacheKey(dir)).toBeUndefined();
    rmSync(file);
    const elsewhere = path.join(path.dirname(dir), 'other-key');
    writeFileSync(elsewhere, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    symlinkSync(elsewhere, file);
    expect(await cacheKey(dir)).toBeUndefined();
  });
});

describe('entries sealed with the right key but of the wrong shape are not used', () => {
  /** Writes journal lines sealed as the cache seals them, for the repository at `root`. */
  async function journal(root: string, dir: string, lines: [string, unknown][]): Promise<ParseCache> {
    await ParseCache.open(root, dir); // makes the key
    const key = Buffer.from(readFileSync(path.join(dir, 'key'), 'utf8').trim(), 'hex');
    const context = await cacheContext(root);
    const salt = createHash('sha256').update(context).digest('hex').slice(0, 16);
    const text = lines.map(([blob, meta]) => {
      const json = typeof meta === 'string' ? meta : JSON.stringify(meta);
      const mac = createHmac('sha256', key).update(context).update('\n').update(blob).update('\n').update(json).digest('hex');
      return `${mac} ${blob} ${json}\n`;
    });
    writeFileSync(path.join(dir, `parse-${salt}.journal`), text.join(''));
    return ParseCache.open(root, dir);
  }

  it('each malformation on its own, beside a well-formed entry that is used', async () => {
    const { root, dir } = place();
    const good = { documents: [{ index: 0, v: 0, schemaOk: true }], findings: [FINDING], values: ['{"a":1}'] };
    const bad: Record<string, unknown> = {
      'values not all text': { ...good, values: [1] },
      'no values': { documents: good.documents, findings: [] },
      'a document index that is not a whole number': { ...good, documents: [{ index: 0.5, v: 0 }] },
      'a value place past the values': { ...good, documents: [{ index: 0, v: 1 }] },
      'a negative value place': { ...good, documents: [{ index: 0, v: -1 }] },
      'a schema verdict that is not true': { ...good, documents: [{ index: 0, v: 0, schemaOk: false }] },
      'a summary without a schema verdict': { ...good, documents: [{ index: 0, v: 0, summary: { kind: 'Platform', name: 'x', links: {} } }] },
      'a summary of another kind': { ...good, documents: [{ index: 0, v: 0, schemaOk: true, summary: { kind: 'Namespace', name: 'x', links: {} } }] },
      'a summary without links': { ...good, documents: [{ index: 0, v: 0, schemaOk: true, summary: { kind: 'Platform', name: 'x', links: null } }] },
      'a document that is not an object': { ...good, documents: [null] },
      'documents that are not a list': { ...good, documents: {} },
      'a finding without a line': { ...good, findings: [{ ...FINDING, line: undefined }] },
      'a finding without a rule': { ...good, findings: [{ ...FINDING, ruleId: 3 }] },
      'a finding that is not an object': { ...good, findings: ['x'] },
      'findings that are not a list': { ...good, findings: 'none' },
      'not JSON at all': '{"documents": [',
    };
    const names = Object.keys(bad);
    const cache = await journal(root, dir, [[id(0), good], ...names.map((name, i): [string, unknown] => [id(i + 1), bad[name]])]);
    expect(cache.get(id(0))).toEqual({ documents: [{ index: 0, json: '{"a":1}', schemaOk: true }], findings: [FINDING] });
    for (const [i, name] of names.entries()) expect(cache.get(id(i + 1)), name).toBeUndefined();
  });

  /** A real base, written by folding a large journal, cut into its parts to be edited and sealed again with the real key. */
  async function realBase() {
    const { root, dir } = place();
    const c = await ParseCache.open(root, dir);
    for (let i = 0; i < 250; i++) c.set(id(i), content({ n: i }));
    await c.save();
    const file = readdirSync(dir).find((f) => f.endsWith('.cache'))!;
    const key = Buffer.from(readFileSync(path.join(dir, 'key'), 'utf8').trim(), 'hex');
    const context = await cacheContext(root);
    const reseal = (body: Buffer) =>
      writeFileSync(path.join(dir, file), Buffer.concat([Buffer.from(`${createHmac('sha256', key).update('base\n').update(context).update('\n').update(body).digest('hex')}\n`), body]));
    const original = readFileSync(path.join(dir, file));
    const body = original.subarray(original.indexOf(0x0a) + 1);
    const nl = body.indexOf(0x0a);
    const length = Number(body.subarray(0, nl).toString());
    const index = JSON.parse(body.subarray(nl + 1, nl + 1 + length).toString()) as Record<string, { meta: unknown; at: [number, number][] }>;
    const values = body.subarray(nl + 1 + length);
    const rebuilt = (ix: unknown, lengthLine?: string) => {
      const json = Buffer.from(JSON.stringify(ix));
      return Buffer.concat([Buffer.from(`${lengthLine ?? json.byteLength}\n`), json, values]);
    };
    const open = () => ParseCache.open(root, dir);
    return { body, index, values, rebuilt, reseal, open };
  }

  it('a base whose index is not what it should be is dropped whole; one with a bad entry keeps the others', async () => {
    const { body, index, values, rebuilt, reseal, open } = await realBase();
    // Resealed as it was: used.
    reseal(rebuilt(index));
    expect(jsonOf((await open()).get(id(3)))).toBe('{"n":3}');
    // One entry pointing past the values, one with a key that is no blob id: only they go.
    const edited = { ...index, [id(3)]: { ...index[id(3)]!, at: [[0, values.length + 1]] }, 'not-a-blob-id': index[id(4)]! };
    reseal(rebuilt(edited));
    const partly = await open();
    expect(partly.get(id(3))).toBeUndefined();
    expect(jsonOf(partly.get(id(4)))).toBe('{"n":4}');
    // An index that is a list, a length that runs past the body, or no length: nothing is used.
    for (const broken of [rebuilt([1, 2]), rebuilt(index, String(body.length * 2)), rebuilt(index, 'x'), Buffer.from('no newline at all')]) {
      reseal(broken);
      expect((await open()).get(id(4))).toBeUndefined();
    }
  });

  it('an entry of a base is used only when each of its values is a slice of the values and its meta has the shape set writes', async () => {
    const { index, values, rebuilt, reseal, open } = await realBase();
    const [from, to] = index[id(5)]!.at[0]!;
    const bad: Record<string, unknown> = {
      'a negative start': { ...index[id(5)]!, at: [[-1, to]] },
      'an end before its start': { ...index[id(5)]!, at: [[to, from]] },
      'a start that is no whole number': { ...index[id(5)]!, at: [[from + 0.5, to]] },
      'an end that is no number': { ...index[id(5)]!, at: [[from, 'x']] },
      'a place that is no pair': { ...index[id(5)]!, at: ['x'] },
      'places that are not a list': { ...index[id(5)]!, at: 'x' },
      'a meta of null': { ...index[id(5)]!, meta: null },
      'a meta that is a number': { ...index[id(5)]!, meta: 7 },
      'no entry at all': null,
    };
    const names = Object.keys(bad);
    const ix: Record<string, unknown> = { ...index };
    names.forEach((name, i) => (ix[id(100 + i)] = bad[name]));
    // An empty value is a slice like any other (and its JSON is then refused when read).
    ix[id(200)] = { ...index[id(6)]!, at: [[values.length, values.length]] };
    reseal(rebuilt(ix));
    const cache = await open();
    expect(jsonOf(cache.get(id(5)))).toBe('{"n":5}');
    for (const [i, name] of names.entries()) expect(cache.get(id(100 + i)), name).toBeUndefined();
    expect(jsonOf(cache.get(id(200)))).toBe('');
  });
});

describe('defaultCacheDir', () => {
  it('MNOPS_CACHE_DIR first; on Actions this job’s RUNNER_TEMP or none; else XDG_CACHE_HOME or ~/.cache', () => {
    expect(defaultCacheDir({ MNOPS_CACHE_DIR: '/c', GITHUB_ACTIONS: 'true', RUNNER_TEMP: '/t' })).toBe('/c');
    expect(defaultCacheDir({ GITHUB_ACTIONS: 'true', RUNNER_TEMP: '/t' })).toBe('/t/mnops-parse-cache');
    expect(defaultCacheDir({ GITHUB_ACTIONS: 'true' })).toBeUndefined();
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/mnops');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '' })).toBe(path.join(os.homedir(), '.cache', 'mnops'));
  });
});
