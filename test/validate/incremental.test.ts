// The pieces an incremental run is built of, in process: what changed since the snapshot,
// which of its findings a slice did not judge again, what the policies must judge for an
// impact, and the names a change removed that still propagate.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEcosystem } from '../../tools/lib/ecosystem-load/load-ecosystem.js';
import { PolicyEngine } from '../../tools/lib/policy/index.js';
import type { Impact } from '../../tools/lib/registry/impact.js';
import type { Finding } from '../../tools/lib/report/finding.js';
import { judgedSlice, keysAtBase, keysByName, openSnapshot, type Judged } from '../../tools/lib/validate/incremental.js';
import { changedSince, outsideSlice, type Snapshot } from '../../tools/lib/validate/snapshot.js';
import { commitNewRepo, removeDir, tempDir } from '../helpers/repo.js';
import { BASE, doc, removeWorlds, world, writeFiles, writeWorld } from '../registry/world.js';

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

describe('openSnapshot', () => {
  const NOW = new Date('2026-11-23T12:00:00Z');
  // The built-in bundle; its hash is what binds a snapshot to its rules, so "other rules" (or
  // a bundle without a hash) is the same engine claiming another one.
  let builtIn: PolicyEngine;
  beforeAll(async () => {
    builtIn = await PolicyEngine.load(writeWorld(BASE));
  });
  const engine = (sha?: string) => (sha === undefined ? builtIn : (Object.assign(Object.create(builtIn), { meta: { ...builtIn.meta, wasmSha256: sha } }) as PolicyEngine));
  const DB = 'platforms/db-platform/platform.yaml';
  const WORKER = 'platforms/worker-platform/platform.yaml';
  const INSTANCE = (env: string) => `ecosystem/platform-cloud/${env}/platform.yaml`;
  const f = (id: string, file: string, over: Partial<Finding> = {}): Finding => ({ ruleId: `r.${id}`, severity: 'error', message: id, file, line: 1, column: 1, ...over });
  const platform = (id: string, name: string, file: string) => f(id, file, { kind: 'Platform', name });
  const instance = (id: string, env: string) => f(id, INSTANCE(env), { kind: 'PlatformInstance', name: env, environment: env });
  const ids = (fs: Finding[]) => fs.map((x) => x.message).sort();
  const caches: string[] = [];
  afterAll(() => caches.forEach(removeDir));
  const setUp = () => {
    const root = writeWorld(BASE);
    const cacheDir = tempDir('mnops-open-snap-');
    caches.push(cacheDir);
    const loadNow = () => loadEcosystem(root, { cacheDir, threads: 1 });
    const open = async (sha?: string) => {
      const loaded = await loadNow();
      return { loaded, snap: await openSnapshot(loaded, engine(sha), loaded.ecosystem, NOW) };
    };
    const snapshotBytes = () => readFileSync(path.join(cacheDir, readdirSync(cacheDir).find((n) => n.startsWith('findings-'))!));
    return { root, cacheDir, open, snapshotBytes };
  };
  const FIRST: Judged = {
    findings: [platform('pDb', 'db-platform', DB), platform('pWorker', 'worker-platform', WORKER), instance('iProd', 'prod'), instance('iDev', 'dev')],
    waived: [{ ...platform('wDb', 'db-platform', DB), exception: 'x' }, { ...platform('wWorker', 'worker-platform', WORKER), exception: 'x' }],
    references: [platform('rDb', 'db-platform', DB), platform('rWorker', 'worker-platform', WORKER)],
    secrets: { findings: [instance('sProd', 'prod'), instance('sStaging', 'staging')], fileBacked: ['staging'] },
  };

  it('without a cache, or without a bundle to bind it to, there is none', async () => {
    const root = writeWorld(BASE);
    const loaded = await loadEcosystem(root, { cacheDir: false, threads: 1 });
    expect(loaded.cache).toBeUndefined();
    expect(await openSnapshot(loaded, engine(), loaded.ecosystem, NOW)).toBeUndefined();
    const { open } = setUp();
    expect((await open('')).snap).toBeUndefined();
  });

  it('the first run judges everything and is saved whole; with nothing changed since, nothing is judged again and nothing rewritten', async () => {
    const { open, snapshotBytes } = setUp();
    const first = (await open()).snap!;
    expect(first.only).toBeUndefined();
    expect(first.impact).toBeUndefined();
    expect(first.secretScope).toBeUndefined();
    expect(await first.merge(FIRST)).toEqual(FIRST);
    const saved = snapshotBytes();

    const again = (await open()).snap!;
    expect(again.only).toEqual({ platforms: new Set(), environments: new Set() });
    expect([...again.impact!.files]).toEqual([]);
    // The environments whose secrets are read from files are checked again every run.
    expect([...again.secretScope!.environments!]).toEqual(['staging']);
    const merged = await again.merge({ findings: [], waived: [], references: [platform('rNew', 'api-platform', 'platforms/api-platform/platform.yaml')], secrets: { findings: [instance('sStaging2', 'staging'), instance('sProd2', 'prod')], fileBacked: ['staging'] } });
    expect(ids(merged.findings)).toEqual(['iDev', 'iProd', 'pDb', 'pWorker']);
    expect(ids(merged.waived)).toEqual(['wDb', 'wWorker']);
    // What the change does not reach stands as the snapshot has it: this run's findings there are not its own.
    expect(ids(merged.references)).toEqual(['rDb', 'rWorker']);
    expect(ids(merged.secrets.findings)).toEqual(['sProd', 'sStaging2']);
    expect(snapshotBytes()).toEqual(saved);
    // Under other rules the snapshot is not used.
    expect((await open('c'.repeat(64))).snap!.only).toBeUndefined();
  });

  it('a changed file: its slice is judged again, the rest stands from the snapshot, and the merge is the next snapshot', async () => {
    const { root, open, snapshotBytes } = setUp();
    await (await open()).snap!.merge(FIRST);
    const saved = snapshotBytes();
    writeFileSync(path.join(root, WORKER), BASE[WORKER]!.replace('owner: team-a', 'owner: team-b'));
    const opened = await open();
    const snap = opened.snap!;
    expect([...snap.only!.platforms]).toEqual(['worker-platform']);
    expect([...snap.only!.environments].sort()).toEqual(['dev', 'sandbox']);
    expect([...snap.impact!.files]).toEqual([WORKER]);
    expect(snap.secretScope!.impact).toBe(snap.impact);
    const run: Judged = {
      findings: [platform('pWorker2', 'worker-platform', WORKER)],
      waived: [],
      references: [platform('rWorker2', 'worker-platform', WORKER), platform('rDb2', 'db-platform', DB)],
      secrets: { findings: [instance('sStaging2', 'staging'), instance('sProd2', 'prod')], fileBacked: ['staging'] },
    };
    const merged = await snap.merge(run);
    expect(ids(merged.findings)).toEqual(['iProd', 'pDb', 'pWorker2']);
    expect(ids(merged.waived)).toEqual(['wDb']);
    expect(ids(merged.references)).toEqual(['rDb', 'rWorker2']);
    expect(ids(merged.secrets.findings)).toEqual(['sProd', 'sStaging2']);
    expect(merged.secrets.fileBacked).toEqual(['staging']);
    expect(snapshotBytes()).not.toEqual(saved);
    // The next run, with nothing changed since, starts from what this one merged.
    const next = await (await open()).snap!.merge({ findings: [], waived: [], references: [], secrets: { findings: [], fileBacked: [] } });
    expect(ids(next.findings)).toEqual(ids(merged.findings));
    expect(ids(next.references)).toEqual(ids(merged.references));
    // staging reads its secrets from files: checked again, and this run found nothing there.
    expect(ids(next.secrets.findings)).toEqual(['sProd']);

    // A changed file whose old parse is no longer cached cannot be traced: everything is judged again.
    writeFileSync(path.join(root, DB), BASE[DB]!.replace('version: 1.0.0', 'version: 1.0.1'));
    const untraced = await loadEcosystem(root, { cacheDir: opened.loaded.cache!.dir, threads: 1 });
    const blind = await openSnapshot({ ...untraced, cache: { ...untraced.cache!, keyValuesOf: () => undefined } }, engine(), untraced.ecosystem, NOW);
    expect(blind!.only).toBeUndefined();
    expect(blind!.impact).toBeUndefined();
    expect(await blind!.merge(run)).toEqual(run);
  });

  it('a new file is traced from nothing; a change to the settings judges everything again', async () => {
    const { root, open } = setUp();
    await (await open()).snap!.merge(FIRST);
    writeFileSync(path.join(root, 'platforms/new-platform.yaml'), doc('Platform', 'new-platform', ['owner: team-a', 'namespace: ops', 'version: 0.1.0', 'extends: batch']));
    const added = (await open()).snap!;
    expect([...added.only!.platforms]).toEqual(['new-platform']);
    await added.merge(FIRST);
    writeFiles(root, { 'ecosystem/governance/settings.yaml': doc('Settings', 'settings', ['tiers: {}']) });
    const widened = (await open()).snap!;
    expect(widened.only).toBeUndefined();
    expect(widened.impact).toBeUndefined();
  });
});
