// The pieces an incremental run is built of, in process: what changed since the snapshot,
// which of its findings a slice did not judge again, what the policies must judge for an
// impact, and the names a change removed that still propagate.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import type { Impact } from '../../tools/lib/registry/impact.js';
import type { Finding } from '../../tools/lib/report/finding.js';
import { judgedSlice, keysAtBase, keysByName } from '../../tools/lib/validate/incremental.js';
import { changedSince, outsideSlice, type Snapshot } from '../../tools/lib/validate/snapshot.js';
import { commitNewRepo } from '../helpers/repo.js';
import { BASE, doc, removeWorlds, world, writeWorld } from '../registry/world.js';

afterAll(removeWorlds);

describe('changedSince', () => {
  it('files whose blob differs, was added or is gone, sorted', () => {
    const snap = { files: { 'a.yaml': '1', 'b.yaml': '2', 'gone.yaml': '3' } } as unknown as Snapshot;
    expect(changedSince(snap, new Map([['b.yaml', '2'], ['a.yaml', '9'], ['new.yaml', '4']]))).toEqual(['a.yaml', 'gone.yaml', 'new.yaml']);
    expect(changedSince(snap, new Map([['a.yaml', '1'], ['b.yaml', '2'], ['gone.yaml', '3']]))).toEqual([]);
  });
});

describe('outsideSlice', () => {
  const slice = { platforms: new Set(['api-platform']), environments: new Set(['dev']) };
  const f = (over: Partial<Finding>): Finding => ({ ruleId: 'r.x', severity: 'error', message: 'm', file: 'f', line: 1, column: 1, ...over });
  it('a platform’s manifest outside the platforms, or anything in an environment outside the environments', () => {
    expect(outsideSlice(f({ kind: 'Platform', name: 'api-platform' }), slice)).toBe(false);
    expect(outsideSlice(f({ kind: 'Platform', name: 'db-platform' }), slice)).toBe(true);
    expect(outsideSlice(f({ kind: 'Platform' }), slice)).toBe(false);
    expect(outsideSlice(f({ kind: 'Platform', name: 'db-platform', environment: 'dev' }), slice)).toBe(false);
    expect(outsideSlice(f({ kind: 'Platform', name: 'api-platform', environment: 'prod' }), slice)).toBe(true);
    expect(outsideSlice(f({ kind: 'PlatformInstance', environment: 'prod' }), slice)).toBe(true);
    expect(outsideSlice(f({ kind: 'PlatformInstance', environment: 'dev' }), slice)).toBe(false);
    expect(outsideSlice(f({ kind: 'PlatformInstance' }), slice)).toBe(false);
    // The small collections are judged again by every slice.
    expect(outsideSlice(f({ kind: 'Environment', name: 'prod', environment: 'prod' }), slice)).toBe(false);
  });
});

describe('judgedSlice', () => {
  const impact = (over: Partial<Impact>): Impact => ({ files: new Set(), manifests: new Set(), platforms: new Set(), environments: new Set(), ...over });
  it('the platforms of the impact and of its files, and every environment running one of them or whose instance changed', async () => {
    const { eco } = await world();
    const s = judgedSlice(eco, impact({ platforms: new Set(['worker-platform']), files: new Set(['platforms/db-platform/platform.yaml']) }));
    expect([...s.platforms].sort()).toEqual(['db-platform', 'worker-platform']);
    // db runs in dev, staging and prod; worker in dev and sandbox.
    expect([...s.environments].sort()).toEqual(['dev', 'prod', 'sandbox', 'staging']);
    const instanceOnly = judgedSlice(eco, impact({ files: new Set(['ecosystem/platform-cloud/prod/platform.yaml']), environments: new Set(['x']) }));
    expect([...instanceOnly.platforms]).toEqual([]);
    expect([...instanceOnly.environments].sort()).toEqual(['prod', 'x']);
  });
});

describe('keysByName and keysAtBase', () => {
  it('a renamed manifest propagates its old name; one failing its schema its current one; a deleted file its old keys', async () => {
    const root = commitNewRepo(writeWorld({}), BASE, 'base');
    const DB = 'platforms/db-platform/platform.yaml';
    const LONE = 'platforms/lone-platform/platform.yaml';
    const WORKER = 'platforms/worker-platform/platform.yaml';
    writeFileSync(path.join(root, DB), BASE[DB]!.replace('name: db-platform', 'name: db2-platform'));
    writeFileSync(path.join(root, LONE), doc('Platform', 'lone-platform', ['owner: team-b', 'replicas: two']));
    const deletedText = BASE[WORKER]!;
    rmSync(path.join(root, WORKER));
    const before = (await keysAtBase(root, 'HEAD', [DB, LONE, 'docs/notes.md'], [{ file: WORKER, text: deletedText }]))!;
    // With the contracts they name.
    expect(Object.fromEntries(before)).toEqual({ [WORKER]: ['Platform/worker-platform', 'Contract/queue'], [DB]: ['Platform/db-platform', 'Contract/storage'], [LONE]: ['Platform/lone-platform'] });
    const loaded = await loadEcosystem(root, { cacheDir: false, threads: 1 });
    expect(keysByName([DB, LONE, WORKER], (f) => before.get(f) ?? [], loaded).sort()).toEqual(['Contract/queue', 'Platform/db-platform', 'Platform/lone-platform', 'Platform/worker-platform']);
    // Unchanged names propagate nothing by name: the index has them.
    expect(keysByName(['platforms/api-platform/platform.yaml'], () => ['Platform/api-platform'], loaded)).toEqual([]);
    // No manifests to read: no commit is opened.
    expect(Object.fromEntries((await keysAtBase(root, 'no-such-ref', ['docs/notes.md'], []))!)).toEqual({});
  });

  it('past three hundred rewritten manifests, nothing is traced: the caller judges everything', async () => {
    const many = Array.from({ length: 301 }, (_, i) => `platforms/p${i}/platform.yaml`);
    expect(await keysAtBase('/nonexistent', 'HEAD', many, [])).toBeUndefined();
    expect(await keysAtBase('/nonexistent', 'HEAD', many.slice(0, 300).map((f) => f.replace('.yaml', '.md')), [])).toEqual(new Map());
  });
});
