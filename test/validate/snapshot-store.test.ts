// The findings snapshot store on its own: a snapshot is given back only under the key it was
// made with, only when its seal holds, and only in its full shape. (What an incremental run
// does with it is in test/validate/snapshot.test.ts.)
import { createHmac } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheKey } from '../../tools/lib/ecosystem-load/parse-cache.js';
import { governanceHash, SnapshotStore, type Snapshot } from '../../tools/lib/validate/snapshot.js';
import { removeDir, tempDir } from '../helpers/repo.js';
import { waiver, world } from '../registry/world.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const cacheDir = () => {
  const d = tempDir('mnops-snapshot-');
  dirs.push(d);
  return d;
};
const CONTEXT = JSON.stringify(['a repository']);
const KEY = { bundle: 'b'.repeat(64), governance: 'g'.repeat(64), today: '2026-12-03' };
const F = { ruleId: 'r.x', severity: 'error' as const, message: 'm', file: 'f.yaml', line: 1, column: 1 };
const SNAP: Snapshot = { key: KEY, files: { 'f.yaml': 'a'.repeat(40) }, findings: [F], waived: [], references: [], secrets: [], fileBacked: ['dev'] };

describe('SnapshotStore', () => {
  it('gives back what it wrote, under the same key only', async () => {
    const dir = cacheDir();
    const store = (await SnapshotStore.open(dir, CONTEXT))!;
    expect(await store.read(KEY)).toBeUndefined(); // nothing yet
    await store.write(SNAP);
    expect(await store.read(KEY)).toEqual(SNAP);
    for (const other of [{ ...KEY, bundle: 'c'.repeat(64) }, { ...KEY, governance: 'h'.repeat(64) }, { ...KEY, today: '2026-12-04' }]) expect(await store.read(other)).toBeUndefined();
    // Another repository's context looks elsewhere.
    expect(await (await SnapshotStore.open(dir, JSON.stringify(['another'])))!.read(KEY)).toBeUndefined();
  });

  it('has no store without a cache folder or a key it trusts', async () => {
    expect(await SnapshotStore.open(undefined, CONTEXT)).toBeUndefined();
    const dir = cacheDir();
    await cacheKey(dir);
    chmodSync(path.join(dir, 'key'), 0o644);
    expect(await SnapshotStore.open(dir, CONTEXT)).toBeUndefined();
  });

  it('a snapshot whose seal fails, or sealed right but missing a part, is not used', async () => {
    const dir = cacheDir();
    const store = (await SnapshotStore.open(dir, CONTEXT))!;
    await store.write(SNAP);
    const file = path.join(dir, readdirSync(dir).find((f) => f.endsWith('.snapshot'))!);
    const original = readFileSync(file);
    writeFileSync(file, Buffer.concat([original.subarray(0, 65), Buffer.from(JSON.stringify({ ...SNAP, findings: [] }))]));
    expect(await store.read(KEY)).toBeUndefined(); // edited: the seal fails
    writeFileSync(file, original.subarray(0, original.length - 5));
    expect(await store.read(KEY)).toBeUndefined(); // cut short
    writeFileSync(file, Buffer.concat([Buffer.from('x'), original]));
    expect(await store.read(KEY)).toBeUndefined(); // the seal line is not 64 hex
    const key = (await cacheKey(dir))!;
    const sealed = (body: string) => {
      const mac = createHmac('sha256', key).update('mnops-findings-snapshot 4\n').update(CONTEXT).update('\n').update(body).digest('hex');
      writeFileSync(file, `${mac}\n${body}`);
    };
    sealed(JSON.stringify(SNAP));
    expect(await store.read(KEY)).toEqual(SNAP); // resealed as it was: used
    for (const part of ['findings', 'waived', 'references', 'secrets', 'fileBacked', 'files', 'key'] as const) {
      const { [part]: _gone, ...rest } = SNAP;
      sealed(JSON.stringify(rest));
      expect(await store.read(KEY), part).toBeUndefined();
    }
    sealed(JSON.stringify({ ...SNAP, files: null }));
    expect(await store.read(KEY)).toBeUndefined();
    for (const body of ['null', '[1]', '{"key":', '"text"']) {
      sealed(body);
      expect(await store.read(KEY), body).toBeUndefined();
    }
  });
});

describe('governanceHash', () => {
  it('changes with an exception, not with the order they were loaded in', async () => {
    const { eco } = await world();
    const base = governanceHash(eco);
    const { eco: more } = await world({ 'ecosystem/governance/exceptions/extra.yaml': waiver('extra', ['kind: Platform', 'name: db-platform']) });
    expect(governanceHash(more)).not.toBe(base);
    const reversed = { settings: new Map([...more.settings].reverse()), exceptions: new Map([...more.exceptions].reverse()) };
    expect(governanceHash(reversed)).toBe(governanceHash(more));
  });
});
