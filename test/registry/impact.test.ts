import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Ecosystem } from '../../tools/lib/manifest/ecosystem.js';
import { impactChain, impactOfChanges, isFindingAffected, manifestKeysOf, manifestKeysOfText, type Impact } from '../../tools/lib/registry/index.js';
import { isRecordAffected } from '../../tools/lib/registry/impact.js';
import { changedFilesSince } from '../../tools/lib/repo/git.js';
import type { Finding } from '../../tools/lib/report/finding.js';
import { git } from '../helpers/repo.js';
import { doc, load, removeWorlds, waiver, world } from './world.js';

afterAll(removeWorlds);

let shared: Ecosystem | undefined;
async function baseEco(): Promise<Ecosystem> {
  shared ??= (await world()).eco;
  return shared;
}

const sorted = (impact: Impact) => ({
  manifests: [...impact.manifests].sort(),
  platforms: [...impact.platforms].sort(),
  environments: [...impact.environments].sort(),
});

describe('impactOfChanges', () => {
  it('a changed template affects what extends it transitively, where it runs, what depends on it and what consumes it', async () => {
    const impact = impactOfChanges(await baseEco(), ['ecosystem/platform-templates/http-service.yaml']);
    expect([...impact.files]).toEqual(['ecosystem/platform-templates/http-service.yaml']);
    expect(sorted(impact)).toEqual({
      manifests: [
        'Environment/dev',
        'Environment/staging',
        'Platform/api-platform',
        'Platform/report-platform', // depends on api
        'Platform/worker-platform', // consumes queue, which api provides
        'PlatformTemplate/http-service',
        'PolicyException/api-prod-replicas', // names api-platform as its target
      ],
      platforms: ['api-platform', 'report-platform', 'worker-platform'],
      environments: ['dev', 'staging'],
    });
  });

  it('the root template reaches every platform built on it', async () => {
    const impact = impactOfChanges(await baseEco(), ['ecosystem/platform-templates/base.yaml']);
    expect(sorted(impact).platforms).toEqual(['api-platform', 'db-platform', 'report-platform', 'worker-platform']);
    expect(sorted(impact).environments).toEqual(['dev', 'prod', 'staging']);
    expect(impact.manifests.has('PlatformTemplate/http-service')).toBe(true);
  });

  it('a changed environment affects the platforms it runs and the environments promoting from it', async () => {
    const impact = impactOfChanges(await baseEco(), ['ecosystem/platform-cloud/staging/environment.yaml']);
    expect(sorted(impact)).toEqual({
      manifests: ['Environment/prod', 'Environment/staging', 'Platform/api-platform', 'Platform/db-platform'],
      platforms: ['api-platform', 'db-platform'],
      environments: ['prod', 'staging'],
    });
  });

  it('a changed instance affects its environment the same way', async () => {
    const impact = impactOfChanges(await baseEco(), ['ecosystem/platform-cloud/sandbox/platform.yaml']);
    expect(sorted(impact)).toEqual({
      manifests: ['Environment/sandbox', 'Platform/worker-platform', 'PlatformInstance/sandbox'],
      platforms: ['worker-platform'],
      environments: ['sandbox'],
    });
  });

  it('a changed contract affects its providers, consumers, implementing adapters and their environments', async () => {
    const impact = impactOfChanges(await baseEco(), ['ecosystem/contracts/storage/1.1.0.yaml']);
    expect(sorted(impact)).toEqual({
      manifests: [
        'Adapter/docker',
        'Contract/storage',
        'Contract/storage@1.1.0',
        'Environment/dev',
        'Environment/prod',
        'Environment/staging',
        'Platform/api-platform',
        'Platform/db-platform',
      ],
      platforms: ['api-platform', 'db-platform'],
      environments: ['dev', 'prod', 'staging'],
    });
  });

  it('a changed adapter affects the environments using it; a namespace its platforms; an exception its target', async () => {
    const eco = await baseEco();
    expect(sorted(impactOfChanges(eco, ['ecosystem/ecosystem-cloud/adapters/swarm.yaml']))).toEqual({
      manifests: ['Adapter/swarm', 'Environment/prod', 'Environment/sandbox'],
      platforms: [],
      environments: ['prod', 'sandbox'],
    });
    // registry/namespaces.yaml holds both namespaces.
    expect(sorted(impactOfChanges(eco, ['registry/namespaces.yaml'])).platforms).toEqual([
      'api-platform',
      'db-platform',
      'lone-platform',
      'report-platform',
      'worker-platform',
    ]);
    expect(sorted(impactOfChanges(eco, ['ecosystem/governance/exceptions/api-prod-replicas.yaml']))).toEqual({
      manifests: ['Platform/api-platform', 'PolicyException/api-prod-replicas'],
      platforms: ['api-platform'],
      environments: [],
    });
  });

  it('a dependsOn a platform inherits from its template makes it a dependent: a change to the dependency reaches it', async () => {
    const { eco } = await world({
      'ecosystem/platform-templates/batch.yaml': doc('PlatformTemplate', 'batch', ['replicas: 1', 'dependsOn:', '  - db-platform']),
    });
    const before = impactOfChanges(await baseEco(), ['platforms/db-platform/platform.yaml']);
    expect(sorted(before).platforms).toEqual(['api-platform', 'db-platform', 'report-platform']);
    // worker and lone set no dependsOn of their own: they inherit batch's, so they depend on db now.
    const impact = impactOfChanges(eco, ['platforms/db-platform/platform.yaml']);
    expect(sorted(impact).platforms).toEqual(['api-platform', 'db-platform', 'lone-platform', 'report-platform', 'worker-platform']);
    expect(impact.manifests.has('Platform/worker-platform')).toBe(true);
  });

  it('an exception affects its target: an environment, an instance\'s environment, or the environment it names', async () => {
    const file = (name: string) => `ecosystem/governance/exceptions/${name}.yaml`;
    const { eco } = await world({
      [file('env')]: waiver('env', ['kind: Environment', 'name: staging']),
      [file('inst')]: waiver('inst', ['kind: PlatformInstance', 'name: sandbox']),
      [file('adapter')]: waiver('adapter', ['kind: Adapter', 'name: docker', 'environment: dev']),
    });
    expect(sorted(impactOfChanges(eco, [file('env')]))).toEqual({ manifests: ['Environment/staging', 'PolicyException/env'], platforms: [], environments: ['staging'] });
    expect(sorted(impactOfChanges(eco, [file('inst')]))).toEqual({ manifests: ['Environment/sandbox', 'PlatformInstance/sandbox', 'PolicyException/inst'], platforms: [], environments: ['sandbox'] });
    expect(sorted(impactOfChanges(eco, [file('adapter')]))).toEqual({ manifests: ['Adapter/docker', 'Environment/dev', 'PolicyException/adapter'], platforms: [], environments: ['dev'] });
  });

  it('a file that holds no manifest changes nothing but itself', async () => {
    expect(sorted(impactOfChanges(await baseEco(), ['README.md']))).toEqual({ manifests: [], platforms: [], environments: [] });
  });

  it('a platform deleted since a git ref affects where it ran and what depended on it', async () => {
    const { root } = await world();
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'base');
    rmSync(path.join(root, 'platforms/db-platform/platform.yaml'));

    const change = await changedFilesSince(root, 'main');
    expect(change.changed).toEqual(['platforms/db-platform/platform.yaml']);
    const deletedKeys = change.deleted.flatMap((d) => manifestKeysOfText(d.text));
    // The contract it provided: its consumers miss a provider now.
    expect(deletedKeys).toEqual(['Platform/db-platform', 'Contract/storage']);

    const eco = await load(root);
    expect(eco.platforms.has('db-platform')).toBe(false);
    expect(sorted(impactOfChanges(eco, change.changed, deletedKeys))).toEqual({
      manifests: [
        'Adapter/docker', // implements storage, which db-platform provided
        'Contract/storage',
        'Environment/dev',
        'Environment/prod',
        'Environment/staging',
        'Platform/api-platform',
        'Platform/db-platform',
        'Platform/report-platform',
      ],
      platforms: ['api-platform', 'db-platform', 'report-platform'],
      environments: ['dev', 'prod', 'staging'],
    });
  });

  it('an added file counts as changed', async () => {
    const { root, eco: before } = await world();
    expect(before.platforms.has('new-platform')).toBe(false);
    writeFileSync(
      path.join(root, 'platforms/new.yaml'),
      'apiVersion: mnops/v1\nkind: Platform\nmetadata:\n  name: new-platform\nspec:\n  owner: team-a\n  namespace: ops\n  version: 1.0.0\n  dependsOn: [lone-platform]\n',
    );
    const eco = await load(root);
    expect(sorted(impactOfChanges(eco, ['platforms/new.yaml']))).toEqual({ manifests: ['Platform/new-platform'], platforms: ['new-platform'], environments: [] });
  });
});

describe('isFindingAffected', () => {
  const f = (extra: Partial<Finding>): Finding => ({ ruleId: 'x.y', severity: 'error', message: 'm', file: 'other.yaml', line: 1, column: 1, ...extra });
  const impact: Impact = {
    files: new Set(['platforms/api-platform/platform.yaml']),
    manifests: new Set(['Platform/api-platform', 'Environment/staging', 'PlatformTemplate/http-service']),
    platforms: new Set(['api-platform']),
    environments: new Set(['staging']),
  };

  it('true for a finding in a changed file or about an affected manifest', () => {
    expect(isFindingAffected(f({ file: 'platforms/api-platform/platform.yaml' }), impact)).toBe(true);
    expect(isFindingAffected(f({ kind: 'PlatformTemplate', name: 'http-service' }), impact)).toBe(true);
    expect(isFindingAffected(f({ kind: 'PlatformTemplate', name: 'base' }), impact)).toBe(false);
  });

  it('a platform finding in an environment: affected when the platform or the environment is', () => {
    expect(isFindingAffected(f({ kind: 'Platform', name: 'api-platform', environment: 'prod' }), impact)).toBe(true);
    expect(isFindingAffected(f({ kind: 'Platform', name: 'db-platform', environment: 'staging' }), impact)).toBe(true);
    expect(isFindingAffected(f({ kind: 'Platform', name: 'db-platform', environment: 'prod' }), impact)).toBe(false);
    expect(isFindingAffected(f({ kind: 'Platform', name: 'db-platform' }), impact)).toBe(false);
  });

  it('other findings in an affected environment are affected', () => {
    expect(isFindingAffected(f({ kind: 'PlatformInstance', name: 'staging', environment: 'staging' }), impact)).toBe(true);
    expect(isFindingAffected(f({ kind: 'PlatformInstance', name: 'dev', environment: 'dev' }), impact)).toBe(false);
  });
});

describe('isRecordAffected', () => {
  const none = (): Impact => ({ files: new Set(), manifests: new Set(), platforms: new Set(), environments: new Set() });
  const record = async (key: string) => {
    const rec = (await baseEco()).records.find((r) => r.key === key);
    expect(rec, key).toBeDefined();
    return rec!;
  };

  it('a record in a changed file, or whose manifest is affected (a contract by its name, any version)', async () => {
    const db = await record('Platform/db-platform');
    expect(isRecordAffected(db, none())).toBe(false);
    expect(isRecordAffected(db, { ...none(), files: new Set([db.file]) })).toBe(true);
    expect(isRecordAffected(db, { ...none(), files: new Set(['platforms/api-platform/platform.yaml']) })).toBe(false);
    const template = await record('PlatformTemplate/base');
    expect(isRecordAffected(template, { ...none(), manifests: new Set(['PlatformTemplate/base']) })).toBe(true);
    expect(isRecordAffected(template, { ...none(), manifests: new Set(['PlatformTemplate/batch']) })).toBe(false);
    const storage = await record('Contract/storage@1.0.0');
    expect(isRecordAffected(storage, { ...none(), manifests: new Set(['Contract/storage']) })).toBe(true);
    expect(isRecordAffected(storage, { ...none(), manifests: new Set(['Contract/storage@1.0.0']) })).toBe(false);
  });

  it('a platform when it is affected, whatever environment is; an environment or instance when its environment is', async () => {
    const api = await record('Platform/api-platform');
    expect(isRecordAffected(api, { ...none(), platforms: new Set(['api-platform']) })).toBe(true);
    expect(isRecordAffected(api, { ...none(), platforms: new Set(['db-platform']), environments: new Set(['dev']) })).toBe(false);
    const staging = await record('Environment/staging');
    expect(isRecordAffected(staging, { ...none(), environments: new Set(['staging']) })).toBe(true);
    expect(isRecordAffected(staging, { ...none(), environments: new Set(['prod']), platforms: new Set(['staging']) })).toBe(false);
    const instance = await record('PlatformInstance/sandbox');
    expect(isRecordAffected(instance, { ...none(), environments: new Set(['sandbox']) })).toBe(true);
    expect(isRecordAffected(instance, { ...none(), environments: new Set(['dev']) })).toBe(false);
    // Other kinds have no environment of their own.
    const adapter = await record('Adapter/docker');
    expect(isRecordAffected(adapter, { ...none(), environments: new Set(['docker', 'dev']), platforms: new Set(['docker']) })).toBe(false);
  });
});

describe('manifestKeysOf', () => {
  it('keys of what looks like a manifest, plus the contracts it provides or consumes; anything else is skipped', () => {
    expect(
      manifestKeysOf([
        null,
        'text',
        { kind: 'Platform' },
        { kind: 7, metadata: { name: 'x' } },
        { kind: 'Platform', metadata: { name: 3 } },
        { kind: 'Platform', metadata: { name: 'p' }, spec: { provides: ['queue@1.0.0', 5], consumes: 'storage' } },
        { kind: 'PlatformTemplate', metadata: { name: 't' }, spec: { consumes: ['storage@^1.0.0'] } },
        { kind: 'Namespace', metadata: { name: 'ops' } },
      ]),
    ).toEqual(['Platform/p', 'Contract/queue', 'PlatformTemplate/t', 'Contract/storage', 'Namespace/ops']);
  });
});

describe('impactChain', () => {
  const chainOf = async (files: string[], key: string, deleted: string[] = []) => {
    const eco = await baseEco();
    return impactChain(eco, impactOfChanges(eco, files, deleted), key)?.text;
  };

  it('names each relation the way it reads, with the file and line of the reference', async () => {
    const staging = 'ecosystem/platform-cloud/staging/environment.yaml';
    expect(await chainOf([staging], 'Platform/api-platform')).toBe('api-platform ← runs in staging (ecosystem/platform-cloud/staging/platform.yaml:10)');
    expect(await chainOf([staging], 'Environment/prod')).toBe('prod ← promotes from staging (ecosystem/platform-cloud/prod/environment.yaml:9)');
    expect(await chainOf([staging], 'Environment/staging')).toBe('staging (changed)');
    const sandbox = 'ecosystem/platform-cloud/sandbox/platform.yaml';
    expect(await chainOf([sandbox], 'Environment/sandbox')).toBe('sandbox ← environment of instance sandbox (ecosystem/platform-cloud/sandbox/platform.yaml:6)');
    expect(await chainOf([sandbox], 'Platform/worker-platform')).toBe('worker-platform ← runs in sandbox (ecosystem/platform-cloud/sandbox/platform.yaml:8)');
    // Through the adapter or through db-platform: both two long; Adapter/docker sorts first.
    expect(await chainOf(['ecosystem/contracts/storage/1.1.0.yaml'], 'Environment/dev')).toBe(
      'dev ← uses adapter docker (ecosystem/platform-cloud/dev/environment.yaml:7) ← implements storage@1.1.0 (ecosystem/ecosystem-cloud/adapters/docker.yaml:8)',
    );
    expect(await chainOf(['ecosystem/governance/exceptions/api-prod-replicas.yaml'], 'Platform/api-platform')).toBe(
      'api-platform ← targeted by api-prod-replicas (ecosystem/governance/exceptions/api-prod-replicas.yaml:9)',
    );
    expect(await chainOf(['registry/namespaces.yaml'], 'Platform/lone-platform')).toBe('lone-platform ← in namespace data (platforms/lone-platform/platform.yaml:7)');
    expect(await chainOf(['README.md'], 'Platform/api-platform')).toBeUndefined();
  });

  it('a deleted manifest ends the chain; the references to it are still located', async () => {
    expect(await chainOf([], 'Platform/report-platform', ['Platform/api-platform'])).toBe(
      'report-platform ← dependsOn api-platform (platforms/report-platform/platform.yaml:11)',
    );
    expect(await chainOf([], 'Platform/api-platform', ['Platform/api-platform'])).toBe('api-platform (deleted)');
  });

  it('a manifest named deleted whose file still loads and changed counts as changed', async () => {
    const file = 'platforms/api-platform/platform.yaml';
    expect(await chainOf([file], 'Platform/api-platform', ['Platform/api-platform'])).toBe('api-platform (changed)');
    expect(await chainOf([file], 'Platform/report-platform', ['Platform/api-platform'])).toBe(
      'report-platform ← dependsOn api-platform (platforms/report-platform/platform.yaml:11)',
    );
  });

  it('provided by, inherited from a template, runs in the environment an instance of another name places it in; the hops themselves', async () => {
    const { eco } = await world({
      'ecosystem/platform-templates/batch.yaml': doc('PlatformTemplate', 'batch', ['replicas: 1', 'dependsOn:', '  - db-platform']),
      'ecosystem/platform-cloud/sandbox/platform.yaml': doc('PlatformInstance', 'sandbox-inst', ['environment: sandbox', 'platforms:', '  - name: worker-platform', '    version: 0.3.0']),
    });
    const chain = (files: string[], key: string) => impactChain(eco, impactOfChanges(eco, files), key);
    const consumer = chain(['platforms/api-platform/platform.yaml'], 'Platform/worker-platform')!;
    expect(consumer.text).toBe(
      'worker-platform ← consumes queue@^1.0.0 (platforms/worker-platform/platform.yaml:11) ← provided by api-platform (platforms/api-platform/platform.yaml:11)',
    );
    expect(consumer).toMatchObject({ changed: 'Platform/api-platform', deleted: false });
    expect(consumer.hops).toEqual([
      { from: 'Platform/worker-platform', relation: 'consumes', to: 'Contract/queue', file: 'platforms/worker-platform/platform.yaml', line: 11 },
      { from: 'Platform/api-platform', relation: 'provides', to: 'Contract/queue', file: 'platforms/api-platform/platform.yaml', line: 11 },
    ]);
    const inherited = chain(['platforms/db-platform/platform.yaml'], 'Platform/lone-platform')!;
    expect(inherited.text).toBe('lone-platform ← dependsOn db-platform (ecosystem/platform-templates/batch.yaml:8, from template batch)');
    expect(inherited.hops[0]).toMatchObject({ inheritedFrom: 'PlatformTemplate/batch' });
    expect(chain(['ecosystem/platform-templates/http-service.yaml'], 'Platform/api-platform')!.hops[0]).not.toHaveProperty('inheritedFrom');
    expect(chain(['ecosystem/platform-cloud/sandbox/platform.yaml'], 'Platform/worker-platform')!.text).toBe(
      'worker-platform ← runs in sandbox (ecosystem/platform-cloud/sandbox/platform.yaml:8)',
    );
    expect(chain(['platforms/worker-platform/platform.yaml'], 'Environment/sandbox')!.text).toBe('sandbox ← runs worker-platform (ecosystem/platform-cloud/sandbox/platform.yaml:8)');
  });
});
